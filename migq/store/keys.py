"""Signing keys for the forms' HMAC: created on first use, kept in the workspace database.

A secret is never printed or logged. Rotation retires the active key but keeps it, so forms
already sent still verify.
"""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select, update

from migq.store import schema
from migq.store.db import Store, utcnow


def _new_key(conn) -> tuple[str, bytes]:
    key_id = secrets.token_hex(4)
    secret = secrets.token_bytes(32)
    conn.execute(insert(schema.signing_keys).values(key_id=key_id, secret_hex=secret.hex(), created_at=utcnow()))
    return key_id, secret


def active_key(store: Store) -> tuple[str, bytes]:
    """(key_id, secret) of the key that signs new forms; made on first use."""
    with store.write() as conn:
        store.lock_recipient(conn, "signing-key")
        row = conn.execute(
            select(schema.signing_keys.c.key_id, schema.signing_keys.c.secret_hex)
            .where(schema.signing_keys.c.retired_at.is_(None))
            .order_by(schema.signing_keys.c.created_at, schema.signing_keys.c.key_id)
            .limit(1)
        ).first()
        if row:
            return row.key_id, bytes.fromhex(row.secret_hex)
        key_id, secret = _new_key(conn)
        store.audit(conn, "key_created", key_id=key_id)
        return key_id, secret


def all_keys(store: Store) -> dict[str, bytes]:
    """Every key, retired ones included: what a returned form may have been signed with."""
    with store.read() as conn:
        rows = conn.execute(select(schema.signing_keys.c.key_id, schema.signing_keys.c.secret_hex)).all()
    return {r.key_id: bytes.fromhex(r.secret_hex) for r in rows}


def rotate(store: Store) -> tuple[str | None, str]:
    """Retire the active key (kept for verification) and make a new one; (old_id, new_id)."""
    with store.write() as conn:
        store.lock_recipient(conn, "signing-key")
        old = conn.execute(
            select(schema.signing_keys.c.key_id).where(schema.signing_keys.c.retired_at.is_(None))
        ).scalars().all()
        conn.execute(
            update(schema.signing_keys).where(schema.signing_keys.c.retired_at.is_(None)).values(retired_at=utcnow())
        )
        new_id, _ = _new_key(conn)
        store.audit(conn, "key_rotated", retired=old, new=new_id)
    return (old[0] if old else None), new_id


def key_summary(store: Store) -> list[dict]:
    """Key ids and dates, never secrets."""
    with store.read() as conn:
        rows = conn.execute(
            select(schema.signing_keys.c.key_id, schema.signing_keys.c.created_at, schema.signing_keys.c.retired_at)
            .order_by(schema.signing_keys.c.created_at)
        ).all()
    return [dict(key_id=r.key_id, created_at=r.created_at, retired_at=r.retired_at) for r in rows]
