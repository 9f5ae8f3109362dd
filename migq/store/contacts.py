"""Contacts of recipients (missions, focal points), imported from the user's file."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from migq.store import schema
from migq.store.db import Store, utcnow


def _join(values) -> str:
    return ";".join(values or ())


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(";") if v)


def save_contacts(store: Store, contacts) -> int:
    """Replace the contacts of the recipients in ``contacts`` (one transaction)."""
    now = utcnow()
    t = schema.contacts
    with store.write() as conn:
        for c in contacts:
            conn.execute(delete(t).where(t.c.iso3 == c.iso3))
            conn.execute(
                insert(t).values(
                    iso3=c.iso3, mission_emails=_join(c.mission_emails),
                    focal_point_emails=_join(c.focal_point_emails), cc=_join(c.cc),
                    language=c.language, updated_at=now,
                )
            )
        store.audit(conn, "contacts_imported", count=len(contacts))
    return len(contacts)


def load_contacts(store: Store) -> dict:
    """ISO3 -> registry.Contact for every recipient with contacts on file."""
    from migq.registry import Contact

    with store.read() as conn:
        rows = conn.execute(select(schema.contacts)).mappings().all()
    return {
        r["iso3"]: Contact(
            iso3=r["iso3"], mission_emails=_split(r["mission_emails"]),
            focal_point_emails=_split(r["focal_point_emails"]), cc=_split(r["cc"]),
            language=r["language"],
        )
        for r in rows
    }
