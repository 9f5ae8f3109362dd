"""Writing reminders (drafts in a dry run) and sending them through the reminders outbox.

See ``migq.followup.remind`` for the guarantees: recorded 'pending' before sending; claimed
('sending', committed) under a row lock before the server sees it; then 'sent', or 'failed'
when the server refused it (retried as is). A claim that was never settled leaves the reminder
uncertain: never resent automatically, resolved by ``confirm_sent`` or a resend.
"""

from __future__ import annotations

import secrets
import smtplib
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
from migq.followup.remind import (CANCEL, CONFIRM, OPEN, REMIND, RESEND, RETRY, SENDING, UNCERTAIN, ReminderItem,
                                  ReminderPlan, _open_reminders, as_utc)
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
    for item in plan.with_action(RESEND):
        item.outcome = "would be sent again with --send"
    return plan


def send_reminders(store: Store, plan: ReminderPlan, mailer: Mailer, out_dir: Path, *,
                   from_addr: str | None = None, templates_dir: Path | None = rm.USER_FOLDER) -> ReminderPlan:
    """Send the plan's reminders one by one; every outcome is recorded before the next.

    Confirmations and cancellations are recorded first (they need no mail server)."""
    sender = rm.sender_address(from_addr)
    confirm_sent(store, plan)
    for item in plan.with_action(CANCEL):
        _cancel(store, item)
    todo = plan.with_action(REMIND, RETRY, RESEND)
    if todo:
        mailer.connect()  # fail fast, before anything is recorded, if the server is unreachable
    for n, item in enumerate(todo):
        if item.action == REMIND and not _queue(store, plan, item, out_dir, sender, templates_dir):
            continue
        try:
            _deliver(store, plan, item, mailer, sender, templates_dir)
        except _NoSession as lost:  # the connection was lost and could not be re-opened
            item.outcome, item.error = "failed", str(lost.error)
            for rest in todo[n + 1:]:
                rest.outcome = "not attempted"
            break
    return plan


def confirm_sent(store: Store, plan: ReminderPlan) -> ReminderPlan:
    """Record the plan's ``CONFIRM`` reminders as sent: a person checked that they went out.

    Only the attempt that was planned is confirmed: a reminder another run has settled or tried
    again since is left as it now is, and said so."""
    r = schema.reminders
    for item in plan.with_action(CONFIRM):
        with store.write() as conn:
            row = _locked(store, conn, item.reminder_id)
            if row.status != SENDING or row.attempts != item.attempts:
                _changed_meanwhile(item, row)
                continue
            conn.execute(update(r).where(r.c.id == row.id).values(status="sent"))
            attempted = as_utc(row.sent_at)
            # Logged like a send: on the day of the attempt (not later than the run's date).
            on = min(attempted.astimezone().date(), plan.as_of) if attempted else plan.as_of
            log_contact(store, conn, row.iso3, "email", f"reminder {row.template} sent (confirmed by hand)", on)
            store.audit(conn, "reminder_confirmed_sent", iso3=row.iso3, message_id=row.message_id,
                        template=row.template, attempt=row.attempts, attempted_at=attempted)
        item.status, item.outcome = "sent", "recorded as sent"
    return plan


def _locked(store, conn, reminder_id):
    r = schema.reminders
    stmt = select(r).where(r.c.id == reminder_id)
    return conn.execute(stmt if store.is_sqlite else stmt.with_for_update()).first()


def _changed_meanwhile(item: ReminderItem, row) -> None:
    """The row is not as planned: another run sent, cancelled, claimed or settled it."""
    item.status = row.status
    if row.status == "sent":
        item.outcome = "already sent"
    elif row.status == SENDING:  # another run's attempt, perhaps still under way
        item.outcome, item.attempts, item.attempted_at = UNCERTAIN, row.attempts, as_utc(row.sent_at)
        item.message_id = row.message_id
        item.error = "another run is sending it, or stopped while sending it"
    elif row.status in OPEN:
        item.outcome = f"now {row.status}"
        item.error = "settled by another run meanwhile; the next --send retries it"
    else:
        item.outcome = row.status


def _queue(store, plan, item, out_dir, sender, templates_dir) -> bool:
    """Write the message and record it 'pending' (or adopt a concurrent run's pending one)."""
    message_id = _new_message_id(item.iso3, sender)
    data = _compose(item, plan, from_addr=sender, message_id=message_id, templates_dir=templates_dir, draft=False)
    path = out_dir / f"{item.iso3}-{plan.questionnaire.key}-reminder-{item.template}-{secrets.token_hex(4)}.eml"
    _atomic_write(path, data)
    r = schema.reminders
    with store.write() as conn:
        store.lock_recipient(conn, f"reminder:{plan.questionnaire_id}:{item.iso3}")
        row = _open_reminders(conn, plan.questionnaire_id, (*OPEN, SENDING)).get(item.iso3)
        last = last_email_dates(conn, as_of=plan.as_of).get(item.iso3)
        row_skip = ""
        if row is None and last is not None and last > plan.as_of - timedelta(days=plan.min_days):
            row_skip = f"e-mailed on {last} by another run"
        if row is None and not row_skip:
            item.reminder_id = conn.execute(insert(r).values(
                iso3=item.iso3, questionnaire_id=plan.questionnaire_id, template=item.template,
                message_path=str(path), message_id=message_id, status="pending", attempts=0,
                created_at=utcnow())).inserted_primary_key[0]
            item.message_path, item.message_id, item.status = path, message_id, "pending"
            store.audit(conn, "reminder_queued", iso3=item.iso3, file_name=path.name,
                        message_id=message_id, template=item.template)
            return True
    path.unlink(missing_ok=True)
    if row_skip:
        item.outcome, item.reason = "skipped", row_skip
        return False
    item.reminder_id, item.message_path, item.message_id = row.id, Path(row.message_path), row.message_id
    if row.status == SENDING:  # another run claimed one since this run planned: leave it alone
        _changed_meanwhile(item, row)
        return False
    item.status = row.status
    return True


class _NoSession(Exception):
    """No SMTP session to send in (the server dropped it and it could not be re-opened)."""

    def __init__(self, error: MigqError):
        super().__init__(str(error))
        self.error = error


# The server answered no: the message was certainly not accepted, so it may be retried.
# (A lost connection or a timeout has no answer: the message may have been accepted.)
REFUSALS = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError)


def _deliver(store, plan, item, mailer, sender, templates_dir) -> None:
    """Claim (commit 'sending'), hand to the server, then settle: sent, failed or uncertain."""
    claim = _claim(store, plan, item, sender, templates_dir)
    if claim is None:
        return
    row, attempt, path, data, rcpts = claim
    try:
        refused = mailer.send(data, sender, rcpts)
    except MigqError as err:  # no session: nothing was handed over; undo the claim
        _release(store, row, attempt, item, str(err))
        raise _NoSession(err) from err
    except REFUSALS as err:
        item.outcome, item.error = "failed", describe_error(err)
        _mark_failed(store, row, attempt, item, item.error)
        return
    except SEND_ERRORS as err:
        item.outcome, item.error = UNCERTAIN, f"no answer from the mail server ({describe_error(err)})"
        _note_uncertain(store, row, attempt, item.error)
        return
    try:
        _mark_sent(store, plan, item, row, path, rcpts, refused)
    except MigqError as err:
        raise MigqError(
            f"the mail server accepted the reminder to {row.iso3} (Message-ID {row.message_id}) but "
            f"recording it failed: {err}",
            hint=f"It stays 'sending' and is not sent again automatically; 'migq remind' lists it. "
                 f"Record it with 'migq remind --confirm-sent {row.iso3}'.") from err


def _claim(store, plan, item, sender, templates_dir):
    """Under the row lock: check it may be sent, read (or rebuild) its file, mark it 'sending'
    and commit — before the server sees anything. None: not this run's to send."""
    r = schema.reminders
    with store.write() as conn:
        row = _locked(store, conn, item.reminder_id)
        mine = (row.status == SENDING and row.attempts == item.attempts) if item.action == RESEND \
            else row.status in OPEN
        if not mine:
            _changed_meanwhile(item, row)
            return None
        path = Path(row.message_path)
        try:
            data = path.read_bytes()
        except OSError as err:
            if item.form_path is None or not item.to:
                item.outcome, item.error = "failed", f"message file unreadable: {path} ({err.strerror})"
                conn.execute(update(r).where(r.c.id == row.id).values(
                    status="failed", attempts=row.attempts + 1, sent_at=None, last_error=item.error))
                store.audit(conn, "reminder_failed", iso3=row.iso3, message_id=row.message_id, error=item.error)
                item.status = "failed"
                return None
            # The file was lost: write it again with the recorded Message-ID, so a copy the
            # server may have accepted before is recognisably the same message.
            item.template = row.template
            data = _compose(item, plan, from_addr=sender, message_id=row.message_id,
                            templates_dir=templates_dir, draft=False)
            _atomic_write(path, data)
        headers = BytesParser().parsebytes(data, headersonly=True)
        rcpts = [a for _, a in getaddresses(headers.get_all("To", []) + headers.get_all("Cc", [])) if a]
        attempt, began = row.attempts + 1, utcnow()
        conn.execute(update(r).where(r.c.id == row.id).values(
            status=SENDING, attempts=attempt, sent_at=began, last_error=None))
        store.audit(conn, "reminder_sending", iso3=row.iso3, file_name=path.name, message_id=row.message_id,
                    attempt=attempt, resend=item.action == RESEND)
    item.status, item.attempts, item.attempted_at, item.message_id = SENDING, attempt, began, row.message_id
    return row, attempt, path, data, rcpts


def _mark_sent(store, plan, item, row, path, rcpts, refused) -> None:
    """The server accepted it: 'sent', logged as an e-mail contact."""
    r = schema.reminders
    note = "; ".join(f"{a}: {m}" for a, m in refused.items()) or None
    with store.write() as conn:
        # Acceptance is a fact whichever attempt it was: nothing must send it again.
        conn.execute(update(r).where(r.c.id == row.id, r.c.status != "sent").values(
            status="sent", sent_at=utcnow(), last_error=f"refused by the server for {note}" if note else None))
        log_contact(store, conn, row.iso3, "email", f"reminder {row.template} sent", plan.as_of)
        store.audit(conn, "reminder_sent", iso3=row.iso3, file_name=path.name, message_id=row.message_id,
                    template=row.template, recipients=rcpts, refused=refused)
    item.outcome, item.status = "sent", "sent"
    if note:
        item.error = f"refused for {note}"


def _settle(store, row, attempt, values: dict, action: str, **detail) -> bool:
    """Change this run's claim (only if it still is this attempt's) and audit it."""
    r = schema.reminders
    with store.write() as conn:
        done = conn.execute(update(r).where(r.c.id == row.id, r.c.status == SENDING, r.c.attempts == attempt)
                            .values(**values)).rowcount
        store.audit(conn, action, iso3=row.iso3, message_id=row.message_id, attempt=attempt, **detail)
    return bool(done)


def _mark_failed(store, row, attempt, item, error: str) -> None:
    """The server refused it: certainly not accepted, so 'failed' and retried by the next run."""
    if _settle(store, row, attempt, dict(status="failed", sent_at=None, last_error=error),
               "reminder_failed", error=error):
        item.status = "failed"


def _note_uncertain(store, row, attempt, error: str) -> None:
    """No answer from the server: it stays 'sending' (uncertain), with what happened."""
    _settle(store, row, attempt, dict(last_error=error), "reminder_uncertain", error=error)


def _release(store, row, attempt, item, error: str) -> None:
    """Nothing was handed to the server: put the reminder back exactly as it was."""
    if _settle(store, row, attempt, dict(status=row.status, attempts=row.attempts, sent_at=row.sent_at,
                                         last_error=row.last_error), "reminder_not_attempted", error=error):
        item.status, item.attempts, item.attempted_at = row.status, row.attempts, as_utc(row.sent_at)


def _cancel(store, item) -> None:
    """Cancel an unsent reminder of a recipient who replied. A 'sending' one only when a person
    said it did not go out (--resend), and only the attempt they saw."""
    r = schema.reminders
    if item.status == SENDING:
        which = (r.c.status == SENDING, r.c.attempts == item.attempts)
    else:
        which = (r.c.status.in_(OPEN),)
    with store.write() as conn:
        done = conn.execute(update(r).where(r.c.id == item.reminder_id, *which).values(
            status="cancelled", last_error=item.reason)).rowcount
        if done:
            store.audit(conn, "reminder_cancelled", iso3=item.iso3, reason=item.reason)
        else:
            row = _locked(store, conn, item.reminder_id)
    if done:
        item.outcome, item.status = "cancelled", "cancelled"
    else:
        _changed_meanwhile(item, row)
