"""migq show ISO3: everything known of one recipient."""

from __future__ import annotations

from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, escape, handle_errors


@app.command()
@handle_errors
def show(
    iso3: str = typer.Argument(..., help="The recipient's ISO3 code (or its name)."),
    db: Optional[str] = DbOption,
) -> None:
    """A recipient's dispatches, replies and versions, the counted answers, open problems and contacts."""
    from rich.table import Table

    from migq.errors import MigqError
    from migq.registry import load_roster
    from migq.store import open_store
    from migq.store.register import all_dispatches, registered_questionnaires
    from migq.store.replies import answers_of, problems_of, submissions_of

    roster = load_roster()
    rec = roster.find(iso3) or roster.get(iso3.strip().upper())
    with open_store(db) as store:
        qs = dict(registered_questionnaires(store))
        dispatches = [d for d in all_dispatches(store) if d.iso3 == rec.iso3]
        subs = submissions_of(store, rec.iso3)
        counted = [s for s in subs if s["status"] == "accepted"]
        answers = answers_of(store, counted[-1]["id"]) if counted else []
        open_problems = [p for s in subs if s["status"] in ("accepted", "revision_pending", "held")
                         for p in problems_of(store, s["id"]) if not p["resolved"]]
        try:
            from migq.followup.contacts_log import contacts_for

            contacts = contacts_for(store, rec.iso3)
        except (ImportError, MigqError):
            contacts = []
    console.print(f"[bold]{rec.name('en')}[/] ({rec.iso3}, M49 {rec.m49}) — {rec.status}, {rec.region}, "
                  f"{rec.group or 'no regional group'}, writes in {rec.language}")
    t = Table(title="Forms sent", title_justify="left")
    for c in ("Form", "Issue id", "Sent", "Language", "To", "State"):
        t.add_column(c, overflow="fold")
    for d in dispatches:
        t.add_row(qs[d.questionnaire_id].key if d.questionnaire_id in qs else "?", d.issue_id, str(d.sent_on),
                  d.language, escape(d.to_addresses or "—"), f"replaced by {d.replaced_by}" if d.replaced_by else "live")
    console.print(t if dispatches else "No form sent.")
    t = Table(title="Replies", title_justify="left")
    for c in ("Version", "Status", "Received", "Channel", "Late", "File", "SHA-256"):
        t.add_column(c, overflow="fold")
    for s in subs:
        t.add_row(str(s["version_no"]), s["status"], str(s["received_on"]), s["channel"], "yes" if s["late"] else "",
                  escape(s["file_name"]), s["evidence_sha256"][:12])
    console.print(t if subs else "No reply.")
    if answers:
        q = qs.get(counted[-1]["questionnaire_id"])
        t = Table(title=f"Counted answers (version {counted[-1]['version_no']})", title_justify="left")
        for c in ("Question", "Answer", "Cell", "Valid"):
            t.add_column(c, overflow="fold")
        order = {qq.name: i for i, qq in enumerate(q.questions)} if q else {}
        for a in sorted(answers, key=lambda a: order.get(a["question"], 999)):
            t.add_row(a["question"], escape(a["value"] or ""), escape(a["cell"] or ""), "yes" if a["valid"] else "[red]set aside[/]")
        console.print(t)
    if open_problems:
        t = Table(title="Open problems", title_justify="left")
        for c in ("Severity", "Cell", "Question", "Problem"):
            t.add_column(c, overflow="fold")
        for p in open_problems:
            t.add_row(p["severity"], escape(p["cell"] or ""), escape(p["question"] or ""), escape(p["message"]))
        console.print(t)
    if contacts:
        t = Table(title="Contacts", title_justify="left")
        for c in ("On", "Channel", "Note", "By"):
            t.add_column(c, overflow="fold")
        for c in contacts:
            t.add_row(str(c["on_date"]), c["channel"], escape(c["note"]), escape(c["actor"]))
        console.print(t)
