"""``migq remind``: reminder e-mails to recipients who have not replied.

Who: recipients with a form dispatched (as of the date) and no reply that counts or waits for
a decision. A recipient named by a *held* file is skipped with a reason: the file may be their
reply, so a person identifies it first (reminding a government that has answered is the worse
mistake). Recipients without e-mail addresses are listed to phone, never silently dropped.

Delivery is an outbox in the ``reminders`` table. A message is written to a file and recorded
'pending' before it is sent; it becomes 'sent' in the same transaction as the send, under a row
lock (SELECT ... FOR UPDATE on PostgreSQL, the database write lock on SQLite), so two runs can
never both send it. A refused message is marked 'failed' with the server's answer and retried
by the next run with the same file and Message-ID. A pending reminder whose recipient has
replied since is marked 'cancelled'.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from migq.followup import reminder_message as rm
from migq.followup.contacts_log import last_email_dates
from migq.followup.status import HELD, recipient_statuses
from migq.store import schema
from migq.store.db import Store

REMIND, RETRY, PHONE, SKIP, CANCEL = "remind", "retry", "phone", "skip", "cancel"
OPEN = ("pending", "failed")


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
    reminder_id: int | None = None  # an earlier pending/failed reminder (retry or cancel)
    message_path: Path | None = None
    message_id: str | None = None
    outcome: str = ""  # after a run: draft written | sent | failed | already sent | cancelled | ...
    error: str = ""


@dataclass
class ReminderPlan:
    questionnaire_id: int
    questionnaire: object
    as_of: date
    items: list[ReminderItem] = field(default_factory=list)
    answered: int = 0  # recipients left out because they replied
    min_days: int = 7

    def with_action(self, *actions: str) -> list[ReminderItem]:
        return [i for i in self.items if i.action in actions]


def _open_reminders(conn, qid: int) -> dict[str, object]:
    r = schema.reminders
    rows = conn.execute(select(r).where(r.c.questionnaire_id == qid, r.c.status.in_(OPEN)).order_by(r.c.id)).all()
    return {row.iso3: row for row in rows}


def plan_reminders(store: Store, qid: int, q, *, forms_dir: Path, as_of: date | None = None,
                   template: str | None = None, min_days: int = 7, to: list[str] | None = None,
                   roster=None, contacts: dict | None = None) -> ReminderPlan:
    """Decide, for every recipient concerned, whether to remind, retry, phone, skip or cancel."""
    from migq.registry import load_roster
    from migq.store.contacts import load_contacts

    as_of = as_of or date.today()
    roster = roster or load_roster()
    wanted = {roster.get(c).iso3 for c in to} if to else None
    contacts = load_contacts(store) if contacts is None else contacts
    statuses = recipient_statuses(store, qid, as_of=as_of, roster=roster, deadline=q.deadline)
    with store.read() as conn:
        open_rows = _open_reminders(conn, qid)
        emailed = last_email_dates(conn, as_of=as_of)
    plan = ReminderPlan(qid, q, as_of, min_days=min_days)
    for st in statuses:
        if wanted is not None and st.iso3 not in wanted:
            continue
        item = ReminderItem(st.iso3, st.name, SKIP, language=st.language or "", issue_id=st.issue_id or "",
                            deadline=st.deadline or q.deadline)
        row = open_rows.get(st.iso3)
        if st.answered:
            plan.answered += 1
            if row is not None:
                item.action, item.reminder_id = CANCEL, row.id
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
    return plan


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
        item.action, item.reminder_id, item.template = RETRY, row.id, row.template
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

