"""migq send: write one signed form per recipient, e-mail drafts, and the dispatch register."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, handle_errors, parse_date_option, split_codes

QuestionnaireOption = typer.Option(
    None, "--questionnaire", "-q",
    help="Questionnaire definition (.yaml or XLSForm .xlsx). Default: the bundled 2008 questionnaire.",
    show_default=False,
)


def load_definition(path: Optional[Path]):
    """The questionnaire at ``path``, or the bundled one."""
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    return load_questionnaire(path or bundled_questionnaire_path())


@app.command()
@handle_errors
def send(
    questionnaire: Optional[Path] = QuestionnaireOption,
    to: Optional[str] = typer.Option(None, "--to", help="Only these recipients: ISO3 codes, comma-separated."),
    exclude: Optional[str] = typer.Option(None, "--exclude", help="Leave out these ISO3 codes, comma-separated."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the forms. Default: outbox/<form_id>-<version>/."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Write every form in this language (en, fr, es) instead of each recipient's."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="Reply deadline printed on the forms (YYYY-MM-DD). Default: the questionnaire's."),
    sent_on: Optional[str] = typer.Option(None, "--sent-on", help="Date recorded as sent (YYYY-MM-DD). Default: today."),
    reissue: bool = typer.Option(False, "--reissue", help="Issue a new form even to recipients who already have this version."),
    db: Optional[str] = DbOption,
) -> None:
    """Write one signed Excel form per recipient, e-mail drafts, and the dispatch register.

    Recipients who already have this version are skipped unless --reissue."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from migq.registry import load_roster
    from migq.send import send_forms
    from migq.store import open_store
    from migq.store.contacts import load_contacts

    q = load_definition(questionnaire)
    deadline_d = parse_date_option(deadline, "--deadline")
    sent_on_d = parse_date_option(sent_on, "--sent-on")
    out_dir = out or Path("outbox") / q.key
    roster = load_roster()
    with open_store(db) as store:
        contacts = load_contacts(store)
        with Progress(TextColumn("Writing forms"), BarColumn(), MofNCompleteColumn(),
                      console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("forms", total=None)
            result = send_forms(
                store, q, roster, out_dir=out_dir, to=split_codes(to), exclude=split_codes(exclude),
                lang=lang, deadline=deadline_d, sent_on=sent_on_d, reissue=reissue, contacts=contacts,
                progress=lambda n: bar.advance(task, n),
            )
    _summary(result, q)


def _summary(result, q) -> None:
    from collections import Counter

    for warning in result.warnings:
        console.print(f"[yellow]Warning:[/] {warning}")
    if result.already_sent:
        console.print(
            f"{len(result.already_sent)} recipient(s) already have {q.key} and were skipped "
            "(use --reissue to send them a new form)."
        )
    if not result.sent:
        console.print("No forms written.")
        return
    langs = Counter(s.language for s in result.sent)
    console.print(
        f"Wrote {len(result.sent)} form(s) for {q.key} to {result.out_dir} "
        f"({', '.join(f'{n} {lang}' for lang, n in sorted(langs.items()))})."
    )
    drafts = sum(1 for s in result.sent if s.draft)
    reissued = sum(1 for s in result.sent if s.reissued)
    if reissued:
        console.print(f"{reissued} form(s) re-issued; the earlier forms are marked replaced.")
    console.print(f"E-mail drafts: {drafts} in {result.out_dir / 'email'}." if drafts else
                  "No e-mail drafts: no contacts on file (import them with 'migq recipients import').")
    if drafts and result.without_contacts:
        console.print(f"No contacts for {len(result.without_contacts)} recipient(s): "
                      f"{', '.join(result.without_contacts[:12])}{' …' if len(result.without_contacts) > 12 else ''}.")
    console.print("Dispatch register updated.")
