"""`migq recipients`: list the roster of recipients and import their contacts."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, err_console, escape, handle_errors

recipients_app = typer.Typer(
    help="The 195 recipients (193 Member States, Holy See, State of Palestine) and their contacts.",
    no_args_is_help=True,
)
app.add_typer(recipients_app, name="recipients",
              help="List the recipients (ISO3, names, region, group, language); import contacts.")

FORMATS = ("table", "csv", "json")
NAME_LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")


@recipients_app.command("list")
@handle_errors
def list_recipients(
    region: Optional[str] = typer.Option(
        None, "--region", help="M49 region (Africa, Americas, Asia, Europe, Oceania) or sub-region."),
    group: Optional[str] = typer.Option(
        None, "--group", help="UN regional group, or an alias: african, apg, eeg, grulac, weog."),
    status: Optional[str] = typer.Option(None, "--status", help="member or observer."),
    lang: str = typer.Option("en", "--lang", help="Language of the names: en, fr, es, ar, ru, zh."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json (csv/json go to stdout)."),
) -> None:
    """List the recipients, optionally filtered by region, regional group or status."""
    from migq.errors import UsageError
    from migq.registry import load_roster

    lang, fmt = lang.strip().lower(), fmt.strip().lower()
    if lang not in NAME_LANGUAGES:
        raise typer.BadParameter(f"'{lang}' is not a UN language; use one of {', '.join(NAME_LANGUAGES)}.",
                                 param_hint="--lang")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not a format; use table, csv or json.", param_hint="--format")
    roster = load_roster()
    for option, criterion in (("--region", {"region": region}), ("--group", {"group": group}),
                              ("--status", {"status": status})):
        try:
            roster.filter(**criterion)  # one criterion at a time, to name the wrong option
        except UsageError as err:
            raise typer.BadParameter(str(err), param_hint=option) from None
    chosen = roster.filter(region=region, group=group, status=status)

    if fmt == "json":
        sys.stdout.write(json.dumps(roster.to_rows(chosen), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        from migq.registry import ROSTER_COLUMNS

        writer = csv.DictWriter(sys.stdout, fieldnames=ROSTER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(roster.to_rows(chosen))
        return
    _print_table(chosen, lang, region, group, status)


def _print_table(chosen, lang: str, region, group, status) -> None:
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for column in ("ISO3", "M49", "Name", "Status", "Region", "Group", "Lang"):
        table.add_column(column, justify="right" if column == "M49" else "left")
    for r in chosen:
        table.add_row(r.iso3, str(r.m49), r.name(lang), r.status, r.region, r.group or "—", r.language)
    console.print(table)
    criteria = [f"{k} {v}" for k, v in (("region", region), ("group", group), ("status", status)) if v]
    members = sum(1 for r in chosen if r.is_member)
    line = f"{len(chosen)} recipients ({members} members, {len(chosen) - members} observers)"
    console.print(line + (f" — {', '.join(criteria)}" if criteria else ""), highlight=False)


@recipients_app.command("import")
@handle_errors
def import_contacts(
    file: Path = typer.Argument(..., help="Contacts file (.csv or .xlsx): iso3, mission_email, "
                                "focal_point_email, cc, language."),
    db: Optional[str] = DbOption,
) -> None:
    """Import recipients' e-mail addresses and language overrides into the database.

    The whole file is checked first; if any row has a problem, all problems are listed and
    nothing is stored.
    """
    from migq.registry import read_contacts

    contacts, problems = read_contacts(file)
    if problems:
        _print_problems(problems)
        total = len(problems) + problems.left_out
        err_console.print(f"[bold red]Error:[/] {escape(str(file))}: {total} problem(s); nothing imported. "
                          "Fix the rows shown and run the import again.", highlight=False, soft_wrap=True)
        raise typer.Exit(1)

    from migq.store import open_store
    from migq.store.contacts import save_contacts

    with open_store(db) as store:
        n = save_contacts(store, contacts)
    console.print(f"Imported {n} contacts from {file.name}.", highlight=False)


def _print_problems(problems) -> None:
    from rich.table import Table

    table = Table(header_style="bold", title="Problems in the contacts file")
    for column in ("File", "Row", "Column", "Problem", "Fix"):
        table.add_column(column, overflow="fold")
    for p in problems:
        table.add_row(escape(p.file or ""), "" if p.row is None else str(p.row), escape(p.column or ""),
                      escape(p.message), escape(p.hint))
    console.print(table)
    if problems.left_out:  # a file wrong throughout: the first problems show what to fix
        console.print(f"… and {problems.left_out} more problem(s) not shown.", highlight=False)
