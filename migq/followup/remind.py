"""``migq remind``: reminder e-mails to recipients who have not replied.

Who: recipients with a form dispatched (as of the date) and no reply that counts or waits for
a decision. A recipient named by a *held* file is skipped with a reason: the file may be their
reply, so a person identifies it first (reminding a government that has answered is the worse
mistake). Recipients without e-mail addresses are listed to phone, never silently dropped.

Delivery is an outbox in the ``reminders`` table, at most once per message:

- A message is written to a file and recorded 'pending' before anything is sent.
- Before talking to the mail server, the run *claims* it: under the row lock (SELECT ... FOR
  UPDATE on PostgreSQL, the database write lock on SQLite) it checks that the reminder is still
  'pending' or 'failed', marks it 'sending' (attempts + 1, ``sent_at`` = when the attempt
  began) and commits. Only then is it handed to the server; so two runs can never both send it.
- The server accepted it: 'sent' (``sent_at`` = accepted at), with a contact-log entry. The
  server refused it (an SMTP answer; it was certainly not accepted): 'failed' with that answer,
  retried by the next run with the same file and Message-ID. No session to send it in (the
  connection could not be re-opened): the claim is undone, the reminder stays as it was.
- Anything else leaves it 'sending': the run died or the database failed after the server may
  have accepted it, or the connection broke without an answer. Such a reminder is *uncertain*.
  It is never sent again automatically and never cancelled automatically: every run lists it
  (``UNCERTAIN``), and a person checks the mail server's log or asks the recipient, then
  records it as sent (``confirm_sent``: ``--confirm-sent``) or sends it again knowingly
  (``resend``: ``--resend``, same file and Message-ID). A row another run is sending right now
  is also 'sending', hence uncertain from this run's point of view, and is left alone.

A pending or failed reminder whose recipient has replied since is marked 'cancelled'.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import select

from migq.errors import UsageError
from migq.followup import reminder_message as rm
from migq.followup.contacts_log import last_email_dates
from migq.followup.status import HELD, recipient_statuses
from migq.store import schema
from migq.store.db import Store

REMIND, RETRY, PHONE, SKIP, CANCEL = "remind", "retry", "phone", "skip", "cancel"
# A reminder left 'sending' (it may have gone out): listed, or resolved by a person.
UNCERTAIN, CONFIRM, RESEND = "uncertain", "confirm sent", "resend"
OPEN = ("pending", "failed")  # not sent, safe to (re)send
SENDING = "sending"  # handed, or being handed, to the mail server: delivery unknown


@dataclass
class ReminderItem:
    iso3: str
    name: str
    action: str
    reason: str = ""
    language: str = ""
    template: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    issue_id: str = ""
    deadline: date | None = None
    form_path: Path | None = None
    reminder_id: int | None = None  # an earlier reminder (retry, cancel, uncertain, confirm, resend)
    message_path: Path | None = None
    message_id: str | None = None
    outcome: str = ""  # after a run: draft written | sent | failed | already sent | cancelled | uncertain | ...
    error: str = ""
    status: str = ""  # the reminder row's status as this run last knew it ('sending': uncertain)
    attempts: int = 0  # the row's attempts when planned (a resolution applies to that attempt only)
    attempted_at: datetime | None = None  # when the last attempt began (a 'sending' row)
    replied_on: date | None = None  # the recipient replied (an uncertain reminder is kept anyway)
    last_error: str = ""  # an uncertain reminder's recorded detail (e.g. no answer from the server)


@dataclass
class ReminderPlan:
    questionnaire_id: int
    questionnaire: object
    as_of: date
    items: list[ReminderItem] = field(default_factory=list)
    answered: int = 0  # recipients left out because they replied
    min_days: int = 7

    notes: list[str] = field(default_factory=list)  # e.g. --resend naming nothing uncertain

    def with_action(self, *actions: str) -> list[ReminderItem]:
        return [i for i in self.items if i.action in actions]

    def uncertain(self) -> list[ReminderItem]:
        """Reminders still 'sending' after the run: may or may not have gone out; a person decides."""
        return [i for i in self.items if i.status == SENDING]


def _open_reminders(conn, qid: int, statuses: tuple[str, ...] = OPEN) -> dict[str, object]:
    r = schema.reminders
    rows = conn.execute(select(r).where(r.c.questionnaire_id == qid, r.c.status.in_(statuses)).order_by(r.c.id)).all()
    return {row.iso3: row for row in rows}


def as_utc(ts: datetime | None) -> datetime | None:
    """Timestamps come back naive from SQLite (stored as UTC) and aware from PostgreSQL."""
    if ts is None:
        return None
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def message_addresses(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(To, Cc) as written in a saved message, or None if the file cannot be read."""
    try:
        with open(path, "rb") as fh:
            headers = BytesParser().parse(fh, headersonly=True)
    except OSError:
        return None
    to = tuple(a for _, a in getaddresses(headers.get_all("To", [])) if a)
    cc = tuple(a for _, a in getaddresses(headers.get_all("Cc", [])) if a)
    return to, cc


def plan_reminders(store: Store, qid: int, q, *, forms_dir: Path, as_of: date | None = None,
                   template: str | None = None, min_days: int = 7, to: list[str] | None = None,
                   roster=None, contacts: dict | None = None, confirm_sent: list[str] | None = None,
                   resend: list[str] | None = None) -> ReminderPlan:
    """Decide, for every recipient concerned, whether to remind, retry, phone, skip or cancel.

    Every uncertain reminder (left 'sending') of the questionnaire is in the plan whatever ``to``
    says: as ``UNCERTAIN``, or resolved as the person asked — ``confirm_sent`` (ISO3 codes: it
    went out) or ``resend`` (it did not: send it again; cancelled instead if they have replied)."""
    from migq.registry import load_roster
    from migq.store.contacts import load_contacts

    as_of = as_of or date.today()
    roster = roster or load_roster()
    wanted = {roster.get(c).iso3 for c in to} if to else None
    confirm = {roster.get(c).iso3 for c in confirm_sent or ()}
    again = {roster.get(c).iso3 for c in resend or ()}
    if confirm & again:
        raise UsageError(f"{', '.join(sorted(confirm & again))} named by both --confirm-sent and --resend.",
                         hint="A reminder either went out (--confirm-sent) or did not (--resend): choose one.")
    contacts = load_contacts(store) if contacts is None else contacts
    statuses = recipient_statuses(store, qid, as_of=as_of, roster=roster, deadline=q.deadline)
    with store.read() as conn:
        open_rows = _open_reminders(conn, qid)
        sending = _open_reminders(conn, qid, (SENDING,))
        emailed = last_email_dates(conn, as_of=as_of)
    plan = ReminderPlan(qid, q, as_of, min_days=min_days)
    for st in statuses:
        if st.iso3 in sending:  # before anything else, and whatever --to says
            plan.answered += bool(st.answered)
            plan.items.append(_uncertain_item(st, q, sending[st.iso3], contacts.get(st.iso3), forms_dir,
                                              roster, confirm, again))
            continue
        if wanted is not None and st.iso3 not in wanted:
            continue
        item = ReminderItem(st.iso3, st.name, SKIP, language=st.language or "", issue_id=st.issue_id or "",
                            deadline=st.deadline or q.deadline)
        row = open_rows.get(st.iso3)
        if st.answered:
            plan.answered += 1
            if row is not None:
                item.action, item.reminder_id, item.status = CANCEL, row.id, row.status
                item.reason = f"replied on {st.last_reply}; the unsent reminder is cancelled"
            elif wanted is not None:
                item.reason = f"replied on {st.last_reply} ({st.state})"
            else:
                continue
        elif st.sent_on is None:
            if wanted is None:
                continue
            item.reason = "no form sent (run 'migq send' first)"
        elif st.state == HELD:
            item.reason = "a held file names this recipient: identify it before reminding"
        else:
            _decide(item, st, q, row, emailed.get(st.iso3), contacts.get(st.iso3), forms_dir,
                    template, min_days, as_of, roster)
        plan.items.append(item)
    for code in sorted((confirm | again) - set(sending)):
        option = "--confirm-sent" if code in confirm else "--resend"
        plan.notes.append(f"{option} {code}: no uncertain reminder to {code}; nothing done for it.")
    return plan


def _uncertain_item(st, q, row, contact, forms_dir, roster, confirm, again) -> ReminderItem:
    lang = st.language if st.language in rm.LANGUAGES else "en"
    item = ReminderItem(st.iso3, roster.get(st.iso3).name(lang), UNCERTAIN, language=st.language or "",
                        template=row.template, issue_id=st.issue_id or "", deadline=st.deadline or q.deadline,
                        reminder_id=row.id, message_path=Path(row.message_path), message_id=row.message_id,
                        status=SENDING, attempts=row.attempts, attempted_at=as_utc(row.sent_at),
                        replied_on=st.last_reply if st.answered else None, last_error=row.last_error or "")
    written = message_addresses(item.message_path)
    if written is not None:
        item.to, item.cc = written
    elif contact is not None:
        item.to = tuple(contact.mission_emails or contact.focal_point_emails)
        item.cc = tuple(a for a in (*contact.focal_point_emails, *contact.cc) if a not in item.to)
    if st.iso3 in confirm:
        item.action, item.reason = CONFIRM, "you confirmed it went out (--confirm-sent)"
    elif st.iso3 in again and st.answered:
        item.action = CANCEL
        item.reason = f"did not go out (--resend), and they replied on {st.last_reply}: cancelled, not sent"
    elif st.iso3 in again:
        item.action, item.reason = RESEND, "did not go out (--resend): the same message is sent again"
        form = _dispatched_file(st, forms_dir)
        item.form_path = form if isinstance(form, Path) else None  # to rebuild a lost message file
    else:
        item.reason = "may or may not have gone out" + (f" ({row.last_error})" if row.last_error else "")
        if st.answered:
            item.reason += f"; they replied on {st.last_reply} (kept until you resolve it)"
    return item


def _decide(item, st, q, row, last_email, contact, forms_dir, template, min_days, as_of, roster) -> None:
    item.name = roster.get(st.iso3).name(item.language if item.language in rm.LANGUAGES else "en")
    if last_email is not None and (as_of - last_email).days < min_days:
        item.reason = f"e-mailed on {last_email}, less than {min_days} days ago (--min-days)"
        return
    addresses = (contact.mission_emails or contact.focal_point_emails) if contact else ()
    item.to = tuple(addresses)
    item.cc = tuple(a for a in (*contact.focal_point_emails, *contact.cc) if a not in item.to) if contact else ()
    item.template = template or rm.choose_kind(as_of, item.deadline)
    form = _dispatched_file(st, forms_dir)
    if row is not None:  # an earlier reminder not yet delivered: send that very message again
        item.action, item.reminder_id, item.template, item.status = RETRY, row.id, row.template, row.status
        item.message_path, item.message_id = Path(row.message_path), row.message_id
        item.form_path = form if isinstance(form, Path) else None
        item.reason = f"earlier attempt {row.status}" + (f": {row.last_error}" if row.last_error else "")
        return
    if not addresses:
        item.action, item.reason, item.template = PHONE, "no e-mail address on file: phone them", ""
        return
    if isinstance(form, str):
        item.reason = form
        return
    item.action, item.form_path = REMIND, form


def _dispatched_file(st, forms_dir: Path) -> Path | str:
    """The form as dispatched, or why it cannot be attached."""
    path = forms_dir / (st.file_name or "")
    if not st.file_name or not path.is_file():
        return f"form file missing: {path} (restore it, or point --outbox at the forms folder)"
    if st.file_sha256 and hashlib.sha256(path.read_bytes()).hexdigest() != st.file_sha256:
        return f"form file changed since it was sent: {path} (restore the original file)"
    return path

