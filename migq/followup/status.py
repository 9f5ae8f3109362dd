"""Where each recipient stands for one questionnaire, as of a date.

State of a recipient (first that applies):
  revision pending      a revised reply waits for a decision (the recipient has answered)
  replied with problems the counted reply still has unresolved error problems
  replied               the counted reply is clean
  held                  no counted reply, but a held (unidentified) file names this recipient
  sent                  a form was dispatched, no reply yet
  not sent              no form dispatched (by the date asked)
The counted reply as of a date is the highest version received by then whose status is
accepted or superseded (a version superseded later was the counted one before that).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select

from migq.errors import UsageError
from migq.store import schema
from migq.store.db import Store

NOT_SENT, SENT, REPLIED, REPLIED_PROBLEMS = "not sent", "sent", "replied", "replied with problems"
REVISION_PENDING, HELD = "revision pending", "held"
STATES = (NOT_SENT, SENT, HELD, REPLIED, REPLIED_PROBLEMS, REVISION_PENDING)
ANSWERED = (REPLIED, REPLIED_PROBLEMS, REVISION_PENDING)
from migq.analysis.rules import COUNTED_STATUSES
from migq.analysis import rules
REPLY_STATUSES = (*COUNTED_STATUSES, "revision_pending")


@dataclass
class RecipientStatus:
    iso3: str
    name: str
    region: str
    group: str
    state: str = NOT_SENT
    issue_id: str | None = None
    file_name: str | None = None
    file_sha256: str | None = None
    sent_on: date | None = None
    language: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    deadline: date | None = None
    first_reply: date | None = None
    last_reply: date | None = None
    versions: int = 0
    counted_version: int | None = None
    late: bool | None = None
    open_problems: int = 0
    held: int = 0
    last_contact: object | None = None  # contacts_log.ContactEntry
    submission_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def answered(self) -> bool:
        return self.state in ANSWERED

    def to_row(self) -> dict:
        """A flat, JSON- and CSV-ready dict."""
        lc = self.last_contact
        iso = lambda d: d.isoformat() if d else ""  # noqa: E731
        return {
            "iso3": self.iso3, "name": self.name, "region": self.region, "group": self.group,
            "state": self.state, "issue_id": self.issue_id or "", "file_name": self.file_name or "",
            "sent_on": iso(self.sent_on),
            "language": self.language or "", "to": ";".join(self.to), "cc": ";".join(self.cc),
            "deadline": iso(self.deadline), "first_reply": iso(self.first_reply),
            "last_reply": iso(self.last_reply), "versions": self.versions,
            "late": "" if self.late is None else self.late, "open_problems": self.open_problems,
            "held": self.held, "last_contact": iso(lc.on_date) if lc else "",
            "last_contact_channel": lc.channel if lc else "", "last_contact_note": lc.note if lc else "",
        }


def resolve_questionnaire(store: Store, spec: str | None = None):
    """(id, Questionnaire) for 'FORM_ID:VERSION', or the only / latest registered one."""
    from migq.store.register import pick_questionnaire

    return pick_questionnaire(store, spec)


def _dispatches_as_of(conn, qid: int, as_of: date) -> dict:
    """ISO3 -> the dispatch live on ``as_of``: the latest issued on or before that date."""
    t = schema.dispatches
    rows = conn.execute(
        select(t).where(t.c.questionnaire_id == qid, t.c.sent_on <= as_of)
        .order_by(t.c.iso3, t.c.sent_on, t.c.created_at)
    ).all()
    return {r.iso3: r for r in rows}  # ascending order: the last one per ISO3 wins


def _submissions_as_of(conn, qid: int, as_of: date) -> list:
    s = schema.submissions
    held_any_form = and_(s.c.status == "held", or_(s.c.questionnaire_id.is_(None), s.c.questionnaire_id == qid))
    return conn.execute(
        select(s.c.id, s.c.iso3, s.c.version_no, s.c.status, s.c.received_on, s.c.late)
        .where(s.c.iso3.is_not(None), s.c.received_on <= as_of,
               or_(and_(s.c.questionnaire_id == qid, s.c.status.in_(REPLY_STATUSES)), held_any_form))
        .order_by(s.c.iso3, s.c.version_no, s.c.id)
    ).all()


def _open_problems(conn, submission_ids: list[int]) -> dict[int, int]:
    if not submission_ids:
        return {}
    p = schema.problems
    rows = conn.execute(
        select(p.c.submission_id, func.count()).where(
            p.c.submission_id.in_(submission_ids), p.c.severity == "error",
            p.c.resolved.is_(False)).group_by(p.c.submission_id)
    ).all()
    return dict(rows)


def recipient_statuses(store: Store, qid: int, *, as_of: date | None = None,
                       roster=None, deadline: date | None = None) -> list[RecipientStatus]:
    """One RecipientStatus per roster recipient, in ISO3 order, as of ``as_of`` (default today)."""
    from migq.followup.contacts_log import last_contacts
    from migq.registry import load_roster

    as_of = as_of or date.today()
    roster = roster or load_roster()
    with store.read() as conn:
        sent = _dispatches_as_of(conn, qid, as_of)
        subs = _submissions_as_of(conn, qid, as_of)
        contacts = last_contacts(store, as_of=as_of, conn=conn)
        by_iso: dict[str, list] = {}
        for s in subs:
            by_iso.setdefault(s.iso3, []).append(s)
        counted_ids = []
        for rows in by_iso.values():
            counted = [r for r in rows if r.status in COUNTED_STATUSES]
            if counted:
                counted_ids.append(counted[-1].id)
        problems = _open_problems(conn, counted_ids)

    out = []
    for rec in roster:
        st = RecipientStatus(iso3=rec.iso3, name=rec.name(), region=rec.region,
                             group=rec.group or "", last_contact=contacts.get(rec.iso3))
        d = sent.get(rec.iso3)
        if d is not None:
            st.issue_id, st.sent_on, st.language = d.issue_id, d.sent_on, d.language
            st.file_name, st.file_sha256 = d.file_name, d.file_sha256
            st.to = tuple(a for a in d.to_addresses.split(";") if a)
            st.cc = tuple(a for a in d.cc_addresses.split(";") if a)
            st.deadline = rules.applicable_deadline(d.deadline, deadline)
        _apply_replies(st, by_iso.get(rec.iso3, []), problems)
        out.append(st)
    return out


def _apply_replies(st: RecipientStatus, rows: list, problems: dict[int, int]) -> None:
    replies = [r for r in rows if r.status in REPLY_STATUSES]
    counted = rules.counting_versions(replies)
    st.held = sum(1 for r in rows if r.status == "held")
    st.submission_ids = [r.id for r in rows]
    st.versions = len(replies)
    if replies:
        dates = [r.received_on for r in replies]
        st.first_reply, st.last_reply = min(dates), max(dates)
    first = rules.first_counting(replies)
    if first is not None:
        st.late = rules.is_late(first.received_on, st.deadline) if st.deadline else bool(first.late)
    if counted:
        st.counted_version = counted[-1].version_no
        st.open_problems = problems.get(counted[-1].id, 0)
    if any(r.status == "revision_pending" for r in replies):
        st.state = REVISION_PENDING
    elif counted:
        st.state = REPLIED_PROBLEMS if st.open_problems else REPLIED
    elif st.held:
        st.state = HELD
    elif st.sent_on is not None:
        st.state = SENT


def filter_statuses(rows: list[RecipientStatus], *, states=None, region: str | None = None,
                    group: str | None = None, roster=None) -> list[RecipientStatus]:
    """Keep rows in ``states`` and in the region / group (names checked against the roster)."""
    from migq.registry import load_roster

    if states:
        wanted = {normalize_state(s) for s in states}
        rows = [r for r in rows if r.state in wanted]
    if region or group:
        allowed = {r.iso3 for r in (roster or load_roster()).filter(region=region, group=group)}
        rows = [r for r in rows if r.iso3 in allowed]
    return rows


def normalize_state(text: str) -> str:
    key = " ".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    aliases = {"problems": REPLIED_PROBLEMS, "pending": REVISION_PENDING, "unsent": NOT_SENT,
               "answered": REPLIED, "revision": REVISION_PENDING}
    key = aliases.get(key, key)
    if key not in STATES:
        raise UsageError(f"'{text}' is not a state.", hint=f"Use --state with one of: {', '.join(STATES)}.")
    return key


def totals(rows: list[RecipientStatus], by: str = "region") -> list[dict]:
    """Counts per region (or UN regional group): recipients, forms sent, answered, each state.

    "sent" is the state (sent, no reply yet); "forms sent" counts every recipient with a form."""
    if by not in ("region", "group"):
        raise ValueError(by)
    keys = sorted({getattr(r, by) for r in rows}, key=lambda k: (k == "", k))
    table = []
    for key in [*keys, None]:
        chosen = [r for r in rows if key is None or getattr(r, by) == key]
        counts = Counter(r.state for r in chosen)
        n_sent = sum(1 for r in chosen if r.state != NOT_SENT)
        n_answered = sum(counts[s] for s in ANSWERED)
        table.append({
            by: "Total" if key is None else (key or "(no group)"), "recipients": len(chosen),
            "forms sent": n_sent, "answered": n_answered,
            "rate": round(n_answered / n_sent, 3) if n_sent else None,
            **{s: counts[s] for s in STATES},
        })
    return table
