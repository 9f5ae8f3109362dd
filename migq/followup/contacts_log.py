"""The contact log: every contact with a recipient, by hand (phone, meeting, note) or by migq.

Reminders sent by ``migq remind`` are logged here too (channel ``email``), so the log is the
one place that answers "when did we last hear from / write to this government?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from migq.errors import MigqError, UsageError
from migq.store import schema
from migq.store.db import Store, utcnow

CHANNELS = ("phone", "email", "meeting", "note")


@dataclass(frozen=True)
class ContactEntry:
    """One logged contact. ``on_date`` is when it happened; ``at`` when it was recorded."""

    id: int
    iso3: str
    channel: str
    note: str
    on_date: date
    at: datetime
    actor: str

    def to_dict(self) -> dict:
        return {"iso3": self.iso3, "channel": self.channel, "note": self.note,
                "on_date": self.on_date.isoformat(), "at": self.at.isoformat(), "actor": self.actor}


def check_recipient(iso3: str, roster=None) -> str:
    """The ISO3 code, upper-cased, or a MigqError that suggests close matches from the roster."""
    from migq.registry import load_roster

    return (roster or load_roster()).get(iso3).iso3


def check_channel(channel: str) -> str:
    key = (channel or "").strip().lower()
    if key not in CHANNELS:
        raise UsageError(f"'{channel}' is not a contact channel.",
                         hint=f"Use --channel with one of: {', '.join(CHANNELS)}.")
    return key


def log_contact(store: Store, conn: Connection, iso3: str, channel: str, note: str,
                on_date: date) -> int:
    """Insert one entry inside the caller's write transaction (used by reminders)."""
    return conn.execute(
        insert(schema.contact_log).values(iso3=iso3, channel=channel, note=note or "",
                                          on_date=on_date, at=utcnow(), actor=store.actor)
    ).inserted_primary_key[0]


def record_contact(store: Store, iso3: str, channel: str, note: str = "",
                   on_date: date | None = None, *, roster=None) -> ContactEntry:
    """Record a contact with a recipient (and audit it). Unknown ISO3 or channel: an error."""
    code = check_recipient(iso3, roster)
    chan = check_channel(channel)
    on = on_date or date.today()
    if on > date.today():
        raise UsageError(f"the contact date {on} is in the future.",
                         hint="Give --on the date the contact took place (YYYY-MM-DD).")
    with store.write() as conn:
        entry_id = log_contact(store, conn, code, chan, note, on)
        store.audit(conn, "contact_logged", iso3=code, channel=chan, on_date=on.isoformat())
    entries = [e for e in contacts_for(store, code) if e.id == entry_id]
    if not entries:  # cannot happen short of a concurrent delete; say so rather than crash
        raise MigqError(f"the contact with {code} was not found after recording it.")
    return entries[0]


def _entry(r) -> ContactEntry:
    return ContactEntry(id=r.id, iso3=r.iso3, channel=r.channel, note=r.note, on_date=r.on_date,
                        at=r.at, actor=r.actor)


def contacts_for(store: Store, iso3: str, *, as_of: date | None = None) -> list[ContactEntry]:
    """Every contact with one recipient, oldest first (on or before ``as_of`` if given)."""
    t = schema.contact_log
    stmt = select(t).where(t.c.iso3 == iso3.strip().upper()).order_by(t.c.on_date, t.c.at, t.c.id)
    if as_of is not None:
        stmt = stmt.where(t.c.on_date <= as_of)
    with store.read() as conn:
        return [_entry(r) for r in conn.execute(stmt).all()]


def last_contacts(store: Store, *, as_of: date | None = None,
                  conn: Connection | None = None) -> dict[str, ContactEntry]:
    """ISO3 -> the latest contact on or before ``as_of`` (all recipients with any contact)."""
    t = schema.contact_log
    stmt = select(t).order_by(t.c.iso3, t.c.on_date, t.c.at, t.c.id)
    if as_of is not None:
        stmt = stmt.where(t.c.on_date <= as_of)
    if conn is None:
        with store.read() as c:
            rows = c.execute(stmt).all()
    else:
        rows = conn.execute(stmt).all()
    latest: dict[str, ContactEntry] = {}
    for r in rows:  # ordered ascending, so the last one seen per ISO3 wins
        latest[r.iso3] = _entry(r)
    return latest


def last_email_dates(conn: Connection, *, as_of: date | None = None) -> dict[str, date]:
    """ISO3 -> date of the latest e-mail contact (reminders are logged as e-mails)."""
    t = schema.contact_log
    stmt = select(t.c.iso3, func.max(t.c.on_date)).where(t.c.channel == "email").group_by(t.c.iso3)
    if as_of is not None:
        stmt = stmt.where(t.c.on_date <= as_of)
    return {iso3: d for iso3, d in conn.execute(stmt).all()}
