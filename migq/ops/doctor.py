"""``migq doctor``: is this workspace database whole and trustworthy?

Each check is independent and runs in a transaction of its own, so one that fails (say, a
table missing on an old schema) cannot hide the others. A check never changes the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Callable

from sqlalchemy import func, select, text

from migq.store import schema
from migq.store.db import Store

SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
PG_TRIGGER = "audit_log_append_only"
_SHOWN = 5  # offending items named in a detail; the rest are counted


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def run_checks(store: Store) -> list[Check]:
    """Every check, in a stable order; ``all(c.ok for c in checks)`` means healthy."""
    checks: list[Check] = []
    for name, fn in CHECKS:
        try:
            checks.append(fn(store))
        except Exception as err:  # a check that cannot run is itself a finding
            first = str(getattr(err, "orig", err)).strip().splitlines()[0:1] or [type(err).__name__]
            checks.append(Check(name, False, f"could not run: {first[0]}",
                                "Run 'migq db upgrade' if the schema is old; otherwise restore from a backup."))
    return checks


def _some(items: list[str]) -> str:
    head = ", ".join(items[:_SHOWN])
    return head + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def check_integrity(store: Store) -> Check:
    name = "database integrity"
    with store.read() as conn:
        if store.is_sqlite:
            result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
            if result != ["ok"]:
                return Check(name, False, "SQLite integrity check: " + _some(result),
                             "Restore the latest backup ('migq backup' makes one), or ask for help before writing more.")
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                where = [f"{r[0]} row {r[1]} -> {r[2]}" for r in broken]
                return Check(name, False, f"{len(broken)} row(s) point at rows that do not exist: {_some(where)}",
                             "Restore the latest backup; these rows were written without foreign keys enforced.")
            return Check(name, True, "SQLite integrity check and foreign key check passed")
        version = conn.execute(text("SHOW server_version")).scalar()
    return Check(name, True, f"connected to PostgreSQL {version}")


def check_schema(store: Store) -> Check:
    from migq.store import migrate

    with store.read() as conn:
        current = migrate.current_revision(conn)
    head = migrate.head_revision()
    if current == head:
        return Check("schema version", True, f"at {head} (current)")
    return Check("schema version", False, f"at {current or 'none'}; this migq needs {head}",
                 "Back it up ('migq backup -o FILE'), then run 'migq db upgrade'.")


def check_rows(store: Store) -> Check:
    """Row counts per table, and no reply parts without their reply (the counts' sanity)."""
    s, a, p, e = schema.submissions, schema.answers, schema.problems, schema.evidence
    with store.read() as conn:
        counts = {t: conn.execute(select(func.count()).select_from(schema.metadata.tables[t])).scalar()
                  for t in schema.ALL_TABLES}
        orphans = {
            "answers without a reply": conn.execute(select(func.count()).select_from(a).where(
                ~a.c.submission_id.in_(select(s.c.id)))).scalar(),
            "problems without a reply": conn.execute(select(func.count()).select_from(p).where(
                ~p.c.submission_id.in_(select(s.c.id)))).scalar(),
            "replies without their file": conn.execute(select(func.count()).select_from(s).where(
                ~s.c.evidence_sha256.in_(select(e.c.sha256)))).scalar(),
        }
        unaudited = conn.execute(select(func.count()).select_from(s).where(
            ~s.c.evidence_sha256.in_(select(schema.audit_log.c.sha256).where(schema.audit_log.c.sha256.is_not(None))))
        ).scalar()
    summary = ", ".join(f"{t} {n}" for t, n in counts.items() if n)
    bad = [f"{n} {what}" for what, n in orphans.items() if n]
    if unaudited:
        bad.append(f"{unaudited} replies without an audit entry")
    if bad:
        return Check("row counts", False, "; ".join(bad) + f" (rows: {summary or 'none'})",
                     "Restore the latest backup; parts of replies were written outside migq.")
    return Check("row counts", True, f"rows: {summary}" if summary else "empty workspace (no rows yet)")


def check_evidence(store: Store) -> Check:
    """Recompute the SHA-256 of every stored original file from its bytes."""
    e, s = schema.evidence, schema.submissions
    wrong: list[str] = []
    n = 0
    with store.read() as conn:
        rows = conn.execution_options(yield_per=20).execute(select(e.c.sha256, e.c.size, e.c.content, e.c.original_name))
        for row in rows:
            n += 1
            data = bytes(row.content)
            if hashlib.sha256(data).hexdigest() != row.sha256 or len(data) != row.size:
                wrong.append(f"{row.original_name} ({row.sha256[:12]})")
        missing = conn.execute(select(s.c.file_name).where(
            ~s.c.evidence_sha256.in_(select(e.c.sha256)))).scalars().all()
    if wrong or missing:
        detail = []
        if wrong:
            detail.append(f"{len(wrong)} stored file(s) no longer match their SHA-256: {_some(wrong)}")
        if missing:
            detail.append(f"{len(missing)} reply(ies) without their original file: {_some(list(missing))}")
        return Check("reply evidence", False, "; ".join(detail),
                     "Restore these files from a backup, or ingest the originals again from the e-mails.")
    return Check("reply evidence", True, f"{n} original file(s), every SHA-256 recomputed and right")


def check_questionnaires(store: Store) -> Check:
    s, q = schema.submissions, schema.questionnaires
    with store.read() as conn:
        unknown = conn.execute(select(s.c.file_name).where(
            s.c.questionnaire_id.is_not(None), ~s.c.questionnaire_id.in_(select(q.c.id)))).scalars().all()
        unlinked = conn.execute(select(s.c.file_name).where(
            s.c.questionnaire_id.is_(None), s.c.status != "held")).scalars().all()
        n = conn.execute(select(func.count()).select_from(q)).scalar()
    bad = list(unknown) + list(unlinked)
    if bad:
        return Check("questionnaires", False, f"{len(bad)} reply(ies) without their questionnaire: {_some(bad)}",
                     "Restore the database from a backup; a reply cannot be read without the form it answered.")
    return Check("questionnaires", True, f"every reply has its questionnaire ({n} registered)")


def check_dispatches(store: Store) -> Check:
    d = schema.dispatches
    with store.read() as conn:
        rows = conn.execute(select(d.c.issue_id, d.c.iso3, d.c.file_sha256)).all()
    bad = [f"{r.iso3} {r.issue_id}" for r in rows
           if not (len(r.file_sha256 or "") == 64 and all(c in "0123456789abcdef" for c in r.file_sha256))]
    if bad:
        return Check("dispatch register", False, f"{len(bad)} form(s) sent without a recorded file hash: {_some(bad)}",
                     "Re-issue those forms with 'migq send --to ISO3 --reissue'.")
    return Check("dispatch register", True, f"{len(rows)} form(s) sent, each with its file hash")


def check_keys(store: Store) -> Check:
    k, d = schema.signing_keys, schema.dispatches
    with store.read() as conn:
        active = conn.execute(select(func.count()).select_from(k).where(k.c.retired_at.is_(None))).scalar()
        total = conn.execute(select(func.count()).select_from(k)).scalar()
        sent = conn.execute(select(func.count()).select_from(d)).scalar()
        lost = conn.execute(select(d.c.key_id).distinct().where(~d.c.key_id.in_(select(k.c.key_id)))).scalars().all()
    if lost:
        return Check("signing keys", False, f"the key(s) {_some(list(lost))} that signed sent forms are missing: "
                     "their replies cannot be verified", "Restore the signing_keys table from a backup.")
    if sent and not active:
        return Check("signing keys", False, f"{sent} form(s) sent but no active signing key",
                     "Run 'migq key rotate' to make a new key (retired keys still verify old forms).")
    return Check("signing keys", True, f"{active} active, {total - active} retired" if total else "none yet (made by the first 'migq send')")


def check_audit_triggers(store: Store) -> Check:
    with store.read() as conn:
        if store.is_sqlite:
            found = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")).scalars())
            missing = [t for t in SQLITE_TRIGGERS if t not in found]
        else:
            enabled = conn.execute(text(
                "SELECT tgenabled FROM pg_trigger WHERE tgrelid = to_regclass('audit_log') AND tgname = :n"),
                {"n": PG_TRIGGER}).scalar()
            missing = [] if enabled not in (None, "D") else [PG_TRIGGER + (" (disabled)" if enabled == "D" else "")]
    if missing:
        return Check("audit log append-only", False, f"missing trigger(s): {', '.join(missing)}",
                     "Run 'migq db upgrade'; if the schema is current, someone removed them: restore from a backup.")
    return Check("audit log append-only", True, "UPDATE and DELETE on audit_log are refused by triggers")


CHECKS: list[tuple[str, Callable[[Store], Check]]] = [
    ("database integrity", check_integrity),
    ("schema version", check_schema),
    ("row counts", check_rows),
    ("reply evidence", check_evidence),
    ("questionnaires", check_questionnaires),
    ("dispatch register", check_dispatches),
    ("signing keys", check_keys),
    ("audit log append-only", check_audit_triggers),
]
