"""migq status, migq remind, migq contact: follow-up of the questionnaire after it is sent."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from migq.cli.common import DbOption, app, console, err_console, escape, handle_errors, parse_date_option, split_codes

QuestionnaireKeyOption = typer.Option(
    None, "--questionnaire", "-q", metavar="FORM_ID:VERSION",
    help="Which questionnaire sent from this workspace. Default: the only or the latest registered.",
    show_default=False,
)
AsOfOption = typer.Option(None, "--as-of", help="Count as of this date (YYYY-MM-DD). Default: today.",
                          show_default=False)
FORMATS = ("table", "csv", "json")


@app.command()
@handle_errors
def status(
    state: Optional[List[str]] = typer.Option(None, "--state", help="Only recipients in this state (repeat or comma-separate): not sent, sent, held, replied, replied with problems, revision pending."),
    region: Optional[str] = typer.Option(None, "--region", help="Only this M49 region or sub-region."),
    group: Optional[str] = typer.Option(None, "--group", help="Only this UN regional group (or weog, grulac, eeg, apg, african)."),
    as_of: Optional[str] = AsOfOption,
    fmt: str = typer.Option("table", "--format", "-f", help="Output: table, csv or json."),
    questionnaire: Optional[str] = QuestionnaireKeyOption,
    chart: Optional[Path] = typer.Option(None, "--chart", help="Also draw the cumulative replies chart to this .png or .svg file."),
    lang: str = typer.Option("en", "--lang", help="Language of the chart and timeline labels: en, fr or es."),
    db: Optional[str] = DbOption,
) -> None:
    """Where each recipient stands: form sent (when, language, to whom), replies (when,
    versions, late, open problems), last contact, and a state; totals by region and group,
    and the timeline of cumulative replies against the deadline."""
    from datetime import date

    from migq.followup import status as st
    from migq.followup.timeline import timeline_from_statuses, write_chart
    from migq.store import open_store

    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not a format; use table, csv or json.", param_hint="--format")
    if lang not in ("en", "fr", "es"):
        raise typer.BadParameter(f"'{lang}' is not a label language; use en, fr or es.", param_hint="--lang")
    when = parse_date_option(as_of, "--as-of") or date.today()
    states = [s for value in (state or []) for s in value.split(",") if s.strip()]
    with open_store(db) as store:
        qid, q = st.resolve_questionnaire(store, questionnaire)
        rows = st.recipient_statuses(store, qid, as_of=when, deadline=q.deadline)
    rows = st.filter_statuses(rows, states=states, region=region, group=group)
    timeline = timeline_from_statuses(rows, as_of=when, deadline=None)
    if chart:
        write_chart(timeline, chart, lang=lang, title=f"{q.title(lang)} — {q.key}")
    if fmt == "json":
        _status_json(q, when, rows, timeline)
    elif fmt == "csv":
        _status_csv(rows)
    else:
        _status_tables(q, when, rows, timeline, lang)
    if chart:  # on stderr for csv/json, so the data on stdout stays clean
        (console if fmt == "table" else err_console).print(f"Chart written to {chart}.", highlight=False)


def _status_json(q, when, rows, timeline) -> None:
    import json

    from migq.followup.status import totals

    doc = {"questionnaire": q.key, "as_of": when.isoformat(),
           "deadline": timeline.deadline.isoformat() if timeline.deadline else None,
           "recipients": [r.to_row() for r in rows],
           "totals": {"region": totals(rows, "region"), "group": totals(rows, "group")},
           "timeline": [{"date": d.isoformat(), "replies": n} for d, n in timeline.points]}
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def _status_csv(rows) -> None:
    import csv
    import io

    from migq.followup.status import RecipientStatus

    from migq.export_formats import neutralise

    buf = io.StringIO()
    fields = list(RecipientStatus("", "", "", "").to_row())
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        # A note typed by a person could start with '=' and run as a formula in a spreadsheet.
        writer.writerow({k: neutralise(v) for k, v in r.to_row().items()})
    typer.echo(buf.getvalue(), nl=False)


def _status_tables(q, when, rows, timeline, lang) -> None:
    from rich.table import Table

    from migq.followup.status import totals
    from migq.followup.timeline import sparkline, text_lines

    t = Table(title=f"{q.key} — status as of {when.isoformat()}", title_justify="left")
    for col in ("ISO3", "Recipient", "State", "Sent", "Lang", "To", "Replies", "Late", "Open problems", "Last contact"):
        t.add_column(col, overflow="fold")
    for r in rows:
        replies = ""
        if r.versions:
            replies = f"{r.first_reply}" + (f" … {r.last_reply}" if r.last_reply != r.first_reply else "")
            replies += f" ({r.versions} version{'s' if r.versions > 1 else ''})"
        if r.held:
            replies += f" {r.held} held"
        lc = r.last_contact
        t.add_row(r.iso3, r.name, r.state, str(r.sent_on or ""), r.language or "", escape(", ".join(r.to)),
                  replies.strip(), {True: "late", False: "", None: ""}[r.late], str(r.open_problems or ""),
                  escape(f"{lc.on_date} {lc.channel}: {lc.note}") if lc else "")
    console.print(t)
    for by in ("region", "group"):
        console.print(_totals_table(totals(rows, by), by))
    console.print(f"Replies: {timeline.total} of {timeline.sent} forms sent"
                  + (f"; {timeline.by_deadline()} by the deadline {timeline.deadline}" if timeline.deadline else "")
                  + f"  {sparkline(timeline)}", highlight=False)
    for line in text_lines(timeline, lang=lang):
        console.print(line, highlight=False)


def _totals_table(rows: list[dict], by: str):
    from rich.table import Table

    from migq.followup.status import STATES

    t = Table(title=f"By {'M49 region' if by == 'region' else 'UN regional group'}", title_justify="left")
    cols = [by, "recipients", "forms sent", "answered", "rate", *STATES]
    for c in cols:
        t.add_column(c.capitalize() if c == by else c, justify="left" if c == by else "right")
    for r in rows:
        t.add_row(*[("" if r[c] is None else f"{r[c]:.0%}") if c == "rate" else str(r[c]) for c in cols],
                  style="bold" if r[by] == "Total" else None)
    return t


@app.command()
@handle_errors
def remind(
    template: Optional[str] = typer.Option(None, "--template", help="Wording: before or after the deadline. Default: chosen by today's date against the deadline."),
    to: Optional[str] = typer.Option(None, "--to", help="Only these recipients: ISO3 codes, comma-separated."),
    min_days: int = typer.Option(7, "--min-days", min=0, help="Nobody is e-mailed again within this many days."),
    send: bool = typer.Option(False, "--send", help="Send for real through --smtp. Without it, only write drafts and show who would get one."),
    smtp: Optional[str] = typer.Option(None, "--smtp", metavar="HOST:PORT", help="Mail server to send through (with --send)."),
    starttls: bool = typer.Option(False, "--starttls", help="Encrypt the SMTP session with STARTTLS."),
    smtp_user: Optional[str] = typer.Option(None, "--smtp-user", help="Log in to the mail server as this user; the password is read from $MIGQ_SMTP_PASSWORD."),
    sender: Optional[str] = typer.Option(None, "--from", help="Sender address. Default: $MIGQ_FROM, else the questionnaire's office address."),
    outbox: Optional[Path] = typer.Option(None, "--outbox", help="Folder of the forms sent. Default: outbox/<form_id>-<version>/."),
    out: Path = typer.Option(Path("outbox") / "reminders", "--out", help="Folder for the reminder messages (.eml)."),
    templates: Path = typer.Option(Path("templates"), "--templates", help="Folder of your own templates (they take precedence over the defaults)."),
    init_templates: bool = typer.Option(False, "--init-templates", help="Copy the default templates to --templates for editing, then stop."),
    confirm_sent: Optional[List[str]] = typer.Option(None, "--confirm-sent", metavar="ISO3", help="These uncertain reminders did go out (you checked the mail server's log or asked): record them as sent. ISO3 codes, comma-separated or repeated; recorded with or without --send."),
    resend: Optional[List[str]] = typer.Option(None, "--resend", metavar="ISO3", help="These uncertain reminders did not go out: send the same message again (with --send). ISO3 codes, comma-separated or repeated."),
    as_of: Optional[str] = AsOfOption,
    questionnaire: Optional[str] = QuestionnaireKeyOption,
    db: Optional[str] = DbOption,
) -> None:
    """Remind recipients who have not replied: a message in their language, To the mission,
    Cc the focal points, the form attached again. Dry run by default (drafts in --out);
    --send sends them one by one, each recorded, a failed one retried by the next run.
    A reminder that may or may not have gone out (a run stopped while sending it) is never
    sent again by itself: it is listed until --confirm-sent or --resend resolves it, and the
    command exits 3 while any is left."""
    from migq.followup import reminder_message as rm

    if init_templates:
        written, kept = rm.init_templates(templates)
        console.print(f"Wrote {len(written)} template(s) to {templates}"
                      + (f"; kept {len(kept)} you already had." if kept else "."), highlight=False)
        console.print("Edit them; placeholders: " + ", ".join("$" + p for p in rm.PLACEHOLDERS) + ".", highlight=False)
        return
    kind = rm.check_kind(template)
    settings = None
    if send:
        from migq.followup.mailer import smtp_settings

        if not smtp:
            raise typer.BadParameter("--send needs the mail server: add --smtp HOST:PORT.", param_hint="--smtp")
        settings = smtp_settings(smtp, starttls=starttls, user=smtp_user)
    resolve = {"confirm_sent": [c for v in confirm_sent or () for c in split_codes(v)],
               "resend": [c for v in resend or () for c in split_codes(v)]}
    _run_remind(kind, split_codes(to), min_days, settings, sender, outbox, out, templates,
                parse_date_option(as_of, "--as-of"), questionnaire, db, resolve)


def _run_remind(kind, to, min_days, settings, sender, outbox, out, templates, when, questionnaire, db,
                resolve) -> None:
    from migq.followup.deliver import confirm_sent, send_reminders, write_drafts
    from migq.followup.mailer import Mailer
    from migq.followup.remind import plan_reminders
    from migq.followup.status import resolve_questionnaire
    from migq.store import open_store

    with open_store(db) as store:
        qid, q = resolve_questionnaire(store, questionnaire)
        plan = plan_reminders(store, qid, q, forms_dir=outbox or Path("outbox") / q.key, as_of=when,
                              template=kind, min_days=min_days, to=to, **resolve)
        if settings is None:
            confirm_sent(store, plan)  # a record only: nothing is sent
            write_drafts(plan, out, from_addr=sender, templates_dir=templates)
        else:
            with Mailer(settings) as mailer:
                send_reminders(store, plan, mailer, out, from_addr=sender, templates_dir=templates)
    _remind_report(plan, sent=settings is not None, out=out)


def _remind_report(plan, *, sent: bool, out: Path) -> None:
    from rich.table import Table

    from migq.cli.common import fail

    t = Table(title=f"Reminders for {plan.questionnaire.key} as of {plan.as_of}", title_justify="left")
    for col in ("ISO3", "Recipient", "Action", "Template", "Lang", "To", "Cc", "Result"):
        t.add_column(col, overflow="fold")
    for i in plan.items:
        result = i.outcome or ""
        detail = i.error or (i.reason if i.action != "remind" else "")
        t.add_row(i.iso3, i.name, i.action, i.template, i.language, escape(", ".join(i.to)), escape(", ".join(i.cc)),
                  escape(f"{result}: {detail}" if result and detail else (result or detail)))
    if plan.items:
        console.print(t)
    counts = {a: len(plan.with_action(a)) for a in ("remind", "retry", "phone", "skip", "cancel")}
    console.print(f"{plan.answered} recipient(s) have replied and get no reminder.", highlight=False)
    phone = plan.with_action("phone")
    if phone:
        console.print(f"Phone them (no e-mail address on file): {', '.join(i.iso3 for i in phone)}.", highlight=False)
    if counts["skip"]:
        console.print(f"{counts['skip']} skipped (see the Result column).", highlight=False)
    for note in plan.notes:
        console.print(note, highlight=False, markup=False)
    confirmed = [i.iso3 for i in plan.items if i.outcome == "recorded as sent"]
    if confirmed:
        console.print(f"Recorded {len(confirmed)} uncertain reminder(s) as sent ({', '.join(confirmed)}); "
                      "each is logged as an e-mail contact.", highlight=False)
    uncertain = plan.uncertain()
    failed = []
    if not sent:
        if counts["remind"]:
            console.print(f"Dry run: {counts['remind']} draft(s) written to {out}. "
                          "Check them, then add --send --smtp HOST:PORT to send.", highlight=False)
        if counts["retry"]:
            console.print(f"{counts['retry']} earlier reminder(s) not yet delivered will be retried with --send.", highlight=False)
    else:
        done = [i for i in plan.items if i.outcome == "sent"]
        failed = [i for i in plan.items if i.outcome in ("failed", "not attempted")]
        console.print(f"Sent {len(done)} reminder(s); each is logged as an e-mail contact.", highlight=False)
    if uncertain:
        _uncertain_report(uncertain)
    if failed:
        error = fail(f"{len(failed)} reminder(s) not sent ({', '.join(i.iso3 for i in failed)}); they stay "
                     "pending and the next 'migq remind --send' retries them with the same message.")
        if not uncertain:
            raise error
    if uncertain:
        raise fail(f"{len(uncertain)} reminder(s) may or may not have gone out "
                   f"({', '.join(i.iso3 for i in uncertain)}): they are not sent again by themselves. "
                   "Resolve each with --confirm-sent or --resend (see above).", code=UNCERTAIN_EXIT)


UNCERTAIN_EXIT = 3  # uncertain reminders remain: a person must say whether they went out


def _uncertain_report(items) -> None:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    say = lambda text: console.print(text, highlight=False, markup=False, soft_wrap=True)  # noqa: E731
    console.print(f"[bold]Uncertain:[/] {len(items)} reminder(s) may or may not have gone out: handed (or "
                  "being handed) to the mail server, the result never recorded. They are not sent again "
                  "by themselves.", highlight=False)
    for i in items:
        say(f"  {i.iso3} {i.name}: to {', '.join(i.to) or '?'}" + (f", cc {', '.join(i.cc)}" if i.cc else ""))
        when = i.attempted_at.strftime("%Y-%m-%d %H:%M UTC") if i.attempted_at else "at an unknown time"
        say(f"    attempt {i.attempts} began {when}; Message-ID {i.message_id}")
        if i.message_path:
            say(f"    message file: {i.message_path}")
        if i.error or i.last_error:
            say(f"    {i.error or i.last_error}")
        if i.replied_on:
            say(f"    They replied on {i.replied_on}: if it did not go out, --resend cancels it instead of sending it.")
        if i.attempted_at and (now - i.attempted_at).total_seconds() < 15 * 60:
            minutes = int((now - i.attempted_at).total_seconds() // 60)
            say(f"    That attempt began {minutes} minute(s) ago: if another run is still sending it, "
                "wait for that run to finish before resolving it.")
    codes = ",".join(i.iso3 for i in items)
    say("  To resolve: check the mail server's sent log for the Message-ID, or ask the recipient whether "
        "it arrived. Then")
    say(f"    migq remind --confirm-sent {codes}    if it went out: recorded as sent, logged as an e-mail contact")
    say(f"    migq remind --resend {codes} --send --smtp HOST:PORT    if it did not: the same message "
        "(same Message-ID) is sent again")


@app.command()
@handle_errors
def contact(
    iso3: str = typer.Argument(..., help="The recipient's ISO3 code."),
    channel: Optional[str] = typer.Option(None, "--channel", help="How: phone, email, meeting or note."),
    note: Optional[str] = typer.Option(None, "--note", help="What was said or agreed."),
    on: Optional[str] = typer.Option(None, "--on", help="When it took place (YYYY-MM-DD). Default: today."),
    db: Optional[str] = DbOption,
) -> None:
    """Record a contact with a recipient (a call, an e-mail, a meeting, a note); without
    --channel and --note, list the contacts recorded so far."""
    from migq.followup.contacts_log import check_recipient, contacts_for, record_contact
    from migq.store import open_store

    code = check_recipient(iso3)
    when = parse_date_option(on, "--on")
    if channel is None and note is None:
        if on is not None:
            raise typer.BadParameter("--on needs --channel and --note (it dates a new contact).", param_hint="--on")
        with open_store(db) as store:
            entries = contacts_for(store, code)
        if not entries:
            console.print(f"No contacts recorded with {code}.", highlight=False)
        for e in entries:
            console.print(f"{e.on_date}  {e.channel:<8} {e.note}  ({e.actor})", highlight=False)
        return
    if channel is None:
        raise typer.BadParameter("say how the contact took place: phone, email, meeting or note.", param_hint="--channel")
    with open_store(db) as store:
        entry = record_contact(store, code, channel, note or "", when)
    console.print(f"Recorded: {entry.on_date} {entry.channel} with {entry.iso3}"
                  + (f": {entry.note}" if entry.note else "") + ".", highlight=False)
