"""Writing reminders (drafts in a dry run) and sending them through the reminders outbox.

See ``migq.followup.remind`` for the guarantees: recorded 'pending' before sending, marked
'sent' in the transaction that sends, under a row lock; failures kept and retried as is.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from email.parser import BytesParser
from email.utils import getaddresses, make_msgid
from pathlib import Path

from sqlalchemy import insert, select, update

from migq.errors import MigqError
from migq.files import atomic_write
from migq.followup import reminder_message as rm
from migq.followup.contacts_log import last_email_dates, log_contact
from migq.followup.mailer import SEND_ERRORS, Mailer, describe_error
from migq.followup.remind import CANCEL, OPEN, REMIND, RETRY, ReminderItem, ReminderPlan, _open_reminders
from migq.store import schema
from migq.store.db import Store, utcnow


def _compose(item: ReminderItem, plan: ReminderPlan, *, from_addr: str, message_id: str,
             templates_dir: Path | None, draft: bool) -> bytes:
    q = plan.questionnaire
    lang = item.language if item.language in rm.LANGUAGES else "en"
    tpl = rm.load_template(item.template, lang, folder=templates_dir)
    values = rm.template_values(country=item.name, deadline=item.deadline, title=q.title(lang),
                                issue_id=item.issue_id, as_of=plan.as_of, lang=lang)
    subject, body = rm.render(tpl, values)
    return rm.build_message(subject=subject, body=body, from_addr=from_addr, to=item.to, cc=item.cc,
                            message_id=message_id, issue_id=item.issue_id,
                            attachment_name=item.form_path.name, attachment=item.form_path.read_bytes(),
                            draft=draft)


def _new_message_id(iso3: str, from_addr: str) -> str:
    domain = from_addr.rpartition("@")[2] or "migq.invalid"
    return make_msgid(idstring=f"reminder.{iso3}", domain=domain)


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data, hint="Check the reminders folder (--out) and free disk space.")


def write_drafts(plan: ReminderPlan, out_dir: Path, *, from_addr: str | None = None,
                 templates_dir: Path | None = rm.USER_FOLDER) -> ReminderPlan:
    """Dry run: write each new reminder as a draft .eml in ``out_dir``; change nothing else."""
    sender = rm.sender_address(from_addr)
    key = plan.questionnaire.key
    for item in plan.with_action(REMIND):
        data = _compose(item, plan, from_addr=sender, message_id=_new_message_id(item.iso3, sender),
                        templates_dir=templates_dir, draft=True)
        item.message_path = out_dir / f"{item.iso3}-{key}-reminder-{item.template}.eml"
        _atomic_write(item.message_path, data)
        item.outcome = "draft written"
    for item in plan.with_action(RETRY):
        item.outcome = "would be retried"
    return plan


def send_reminders(store: Store, plan: ReminderPlan, mailer: Mailer, out_dir: Path, *,
                   from_addr: str | None = None, templates_dir: Path | None = rm.USER_FOLDER) -> ReminderPlan:
    """Send the plan's reminders one by one; every outcome is recorded before the next."""
    sender = rm.sender_address(from_addr)
    for item in plan.with_action(CANCEL):
        _cancel(store, item)
    todo = plan.with_action(REMIND, RETRY)
    if todo:
        mailer.connect()  # fail fast, before anything is recorded, if the server is unreachable
    for n, item in enumerate(todo):
        if item.action == REMIND and not _queue(store, plan, item, out_dir, sender, templates_dir):
            continue
        try:
            _deliver(store, plan, item, mailer, sender, templates_dir)
        except MigqError as err:  # the connection was lost and could not be re-opened
            item.outcome, item.error = "failed", str(err)
            for rest in todo[n + 1:]:
                rest.outcome = "not attempted"
            break
    return plan


def _queue(store, plan, item, out_dir, sender, templates_dir) -> bool:
    """Write the message and record it 'pending' (or adopt a concurrent run's pending one)."""
    message_id = _new_message_id(item.iso3, sender)
    data = _compose(item, plan, from_addr=sender, message_id=message_id, templates_dir=templates_dir, draft=False)
    path = out_dir / f"{item.iso3}-{plan.questionnaire.key}-reminder-{item.template}-{secrets.token_hex(4)}.eml"
    _atomic_write(path, data)
    r = schema.reminders
    with store.write() as conn:
        store.lock_recipient(conn, f"reminder:{plan.questionnaire_id}:{item.iso3}")
        row = _open_reminders(conn, plan.questionnaire_id).get(item.iso3)
        last = last_email_dates(conn, as_of=plan.as_of).get(item.iso3)
        row_skip = ""
        if row is None and last is not None and last > plan.as_of - timedelta(days=plan.min_days):
            row_skip = f"e-mailed on {last} by another run"
        if row is None and not row_skip:
            item.reminder_id = conn.execute(insert(r).values(
                iso3=item.iso3, questionnaire_id=plan.questionnaire_id, template=item.template,
                message_path=str(path), message_id=message_id, status="pending", attempts=0,
                created_at=utcnow())).inserted_primary_key[0]
            item.message_path, item.message_id = path, message_id
            store.audit(conn, "reminder_queued", iso3=item.iso3, file_name=path.name,
                        message_id=message_id, template=item.template)
            return True
    path.unlink(missing_ok=True)
    if row_skip:
        item.outcome, item.reason = "skipped", row_skip
        return False
    item.reminder_id, item.message_path, item.message_id = row.id, Path(row.message_path), row.message_id
    return True


def _deliver(store, plan, item, mailer, sender, templates_dir) -> None:
    r = schema.reminders
    with store.write() as conn:
        stmt = select(r).where(r.c.id == item.reminder_id)
        row = conn.execute(stmt if store.is_sqlite else stmt.with_for_update()).first()
        if row.status not in OPEN:  # another run sent (or cancelled) it meanwhile
            item.outcome = "already sent" if row.status == "sent" else row.status
            return
        path = Path(row.message_path)
        try:
            data = path.read_bytes()
        except OSError as err:
            if item.form_path is None or not item.to:
                item.outcome, item.error = "failed", f"message file unreadable: {path} ({err.strerror})"
                _mark_failed(store, conn, row, item.error)
                return
            # The file was lost: write it again with the recorded Message-ID, so a copy the
            # server may have accepted before is recognisably the same message.
            item.template = row.template
            data = _compose(item, plan, from_addr=sender, message_id=row.message_id,
                            templates_dir=templates_dir, draft=False)
            _atomic_write(path, data)
        headers = BytesParser().parsebytes(data, headersonly=True)
        rcpts = [a for _, a in getaddresses(headers.get_all("To", []) + headers.get_all("Cc", [])) if a]
        try:
            refused = mailer.send(data, sender, rcpts)
        except SEND_ERRORS as err:
            item.outcome, item.error = "failed", describe_error(err)
            _mark_failed(store, conn, row, item.error)
            return
        note = "; ".join(f"{a}: {m}" for a, m in refused.items()) or None
        conn.execute(update(r).where(r.c.id == row.id, r.c.status != "sent").values(
            status="sent", attempts=r.c.attempts + 1, sent_at=utcnow(),
            last_error=f"refused by the server for {note}" if note else None))
        log_contact(store, conn, row.iso3, "email", f"reminder {row.template} sent", plan.as_of)
        store.audit(conn, "reminder_sent", iso3=row.iso3, file_name=path.name, message_id=row.message_id,
                    template=row.template, recipients=rcpts, refused=refused)
        item.outcome = "sent"
        if note:
            item.error = f"refused for {note}"


def _mark_failed(store, conn, row, error: str) -> None:
    r = schema.reminders
    conn.execute(update(r).where(r.c.id == row.id, r.c.status != "sent").values(
        status="failed", attempts=r.c.attempts + 1, last_error=error))
    store.audit(conn, "reminder_failed", iso3=row.iso3, message_id=row.message_id, error=error)


def _cancel(store, item) -> None:
    r = schema.reminders
    with store.write() as conn:
        done = conn.execute(update(r).where(r.c.id == item.reminder_id, r.c.status.in_(OPEN)).values(
            status="cancelled", last_error=item.reason)).rowcount
        if done:
            store.audit(conn, "reminder_cancelled", iso3=item.iso3, reason=item.reason)
    item.outcome = "cancelled" if done else "already sent"
