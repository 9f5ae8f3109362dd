"""migq ingest / accept / evidence / show: replies in, history out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from migq.cli.common import DbOption, app, console, escape, handle_errors, parse_date_option

OUTCOME_STYLE = {
    "accepted": "green", "revision_accepted": "green", "duplicate": "cyan", "valid": "green",
    "revision_pending": "yellow", "held": "yellow", "rejected": "red",
}
OUTCOME_LABEL = {
    "accepted": "accepted", "revision_accepted": "revision accepted", "duplicate": "duplicate",
    "revision_pending": "revision pending", "held": "held", "rejected": "rejected", "valid": "valid (dry run)",
}


@app.command()
@handle_errors
def ingest(
    paths: Optional[List[Path]] = typer.Argument(None, help="Returned files or folders (default: responses/)."),
    received_on: Optional[str] = typer.Option(None, "--received-on", help="Date received (YYYY-MM-DD). Default: the e-mail's Date, else today."),
    channel: str = typer.Option("email", "--channel", help="How the replies came: email, fax, post or hand."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the files and show what would happen; store nothing."),
    accept_revisions: bool = typer.Option(False, "--accept-revisions", help="Count a different file from a recipient who already replied as its new reply."),
    assume: Optional[str] = typer.Option(None, "--assume", help="Attach an unidentified form (metadata removed) to this ISO3 code: a person's decision, recorded."),
    output_format: str = typer.Option("table", "--format", help="table or json."),
    db: Optional[str] = DbOption,
) -> None:
    """Read returned forms safely and store every usable reply with its provenance.

    Exit 0 when every file was stored (duplicates and revisions included), 1 when any was
    rejected or held."""
    from migq.ingest.pipeline import IngestOptions, ingest as run_ingest
    from migq.store import open_store

    if output_format not in ("table", "json"):
        raise typer.BadParameter("use table or json.", param_hint="--format")
    if channel not in ("email", "fax", "post", "hand"):
        raise typer.BadParameter("use email, fax, post or hand.", param_hint="--channel")
    targets = list(paths) if paths else [Path("responses")]
    options = IngestOptions(received_on=parse_date_option(received_on, "--received-on"), channel=channel,
                            dry_run=dry_run, accept_revisions=accept_revisions,
                            assume=assume.strip().upper() if assume else None)
    with open_store(db) as store:
        with console.status("Reading returned files…", spinner="dots") if console.is_terminal else _null():
            outcomes = run_ingest(store, targets, options)
    if output_format == "json":
        typer.echo(json.dumps({"files": [o.to_dict() for o in outcomes],
                               "ok": all(o.ok for o in outcomes), "dry_run": dry_run}, ensure_ascii=False, indent=2))
    else:
        _print_outcomes(outcomes, dry_run, options)
    raise typer.Exit(0 if all(o.ok for o in outcomes) else 1)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _print_outcomes(outcomes, dry_run: bool, options) -> None:
    from collections import Counter

    from rich.table import Table

    if not outcomes:
        console.print("No files found.")
        return
    table = Table(title="Dry run: nothing stored" if dry_run else None, show_lines=False)
    for col in ("File", "Recipient", "Outcome", "Received", "Problems"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        style = OUTCOME_STYLE.get(o.outcome, "")
        label = OUTCOME_LABEL.get(o.outcome, o.outcome) + (f" v{o.version_no}" if o.version_no and o.version_no > 1 else "")
        if o.late:
            label += " (late)"
        errors = sum(1 for p in o.problems if p.is_error)
        warns = len(o.problems) - errors
        probs = ", ".join(x for x in (f"{errors} error(s)" if errors else "", f"{warns} warning(s)" if warns else "") if x)
        # Names, reasons and problems quote the files: escaped, or rich reads '[/x]' as markup.
        table.add_row(escape(o.file), o.iso3 or "—", f"[{style}]{label}[/]", str(o.received_on or ""),
                      probs or escape(o.reason if o.outcome in ("rejected", "duplicate") else ""))
    console.print(table)
    for o in outcomes:
        if o.outcome in ("rejected", "held"):
            console.print(f"[bold]{escape(o.file)}[/]: [{OUTCOME_STYLE[o.outcome]}]{o.outcome}[/]: {escape(o.reason)}",
                          highlight=False)
        if o.problems and o.outcome != "duplicate":
            problems = Table(title=f"Problems in {escape(o.file)}", title_justify="left")
            for col in ("Severity", "Sheet", "Cell", "Question", "Problem", "How to fix"):
                problems.add_column(col, overflow="fold")
            for p in o.problems:
                problems.add_row(*(escape(x or "") for x in (p.severity.value, p.sheet, p.cell, p.question, p.message, p.hint)))
            console.print(problems)
    counts = Counter(OUTCOME_LABEL.get(o.outcome, o.outcome) for o in outcomes)
    console.print(", ".join(f"{n} {k}" for k, n in counts.most_common()) + ".")
    if any(o.outcome == "revision_pending" for o in outcomes):
        console.print("Pending revisions are kept but not counted: 'migq accept ISO3' counts one, "
                      "or ingest with --accept-revisions.")


@app.command()
@handle_errors
def accept(
    iso3: str = typer.Argument(..., help="The recipient whose pending revision to count."),
    version: Optional[int] = typer.Option(None, "--version", help="Which pending version (default: the latest)."),
    questionnaire: Optional[str] = typer.Option(None, "--questionnaire", help="FORM_ID:VERSION (default: the only or latest one sent)."),
    db: Optional[str] = DbOption,
) -> None:
    """Count a recipient's pending revised reply instead of its earlier one."""
    from migq.registry import load_roster
    from migq.store import open_store
    from migq.store.replies import accept_revision

    code = load_roster().get(iso3.strip().upper()).iso3
    with open_store(db) as store:
        qid, q = pick_questionnaire(store, questionnaire)
        v = accept_revision(store, code, qid, version)
    console.print(f"{code}: version {v} of {q.key} is now the counted reply; earlier versions are kept as history.")


def pick_questionnaire(store, spec: Optional[str]):
    """(id, Questionnaire) for FORM_ID:VERSION, or the only/latest registered one."""
    from migq.store.register import pick_questionnaire as pick

    return pick(store, spec)


@app.command()
@handle_errors
def evidence(
    ref: str = typer.Argument(..., help="An ISO3 code (its counted reply) or a SHA-256 (or its first 8+ characters)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the original file."),
    version: Optional[int] = typer.Option(None, "--version", help="With ISO3: this version instead of the counted one."),
    db: Optional[str] = DbOption,
) -> None:
    """Write back the original bytes of a stored reply, exactly as received."""
    import hashlib

    from migq.errors import MigqError
    from migq.store import open_store
    from migq.files import write_output
    from migq.store.replies import evidence_bytes, submissions_of

    with open_store(db) as store:
        sha = ref.strip()
        if len(sha) == 3 and sha.isalpha():
            subs = [s for s in submissions_of(store, sha.upper())
                    if (s["version_no"] == version if version else s["status"] == "accepted")]
            if not subs:
                raise MigqError(f"{sha.upper()} has no {'version ' + str(version) if version else 'counted reply'} stored.",
                                hint=f"See 'migq show {sha.upper()}'.")
            sha = subs[-1]["evidence_sha256"]
        full, name, data = evidence_bytes(store, sha)
    if hashlib.sha256(data).hexdigest() != full:
        raise MigqError(f"the stored copy of {name} does not match its hash.", hint="Run 'migq doctor'.")
    write_output(out, data)
    console.print(f"Wrote {out} ({len(data):,} bytes, SHA-256 {full[:12]}…, received as {name}).")
