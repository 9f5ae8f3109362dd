"""Schema versions (Alembic): create on first use, refuse to run silently on an old schema."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from migq.errors import MigqError

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_252_008  # any constant: one migrator at a time on a PostgreSQL server


def _config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@functools.lru_cache(maxsize=1)  # the scripts ship with the package: read them once per process
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``target``; returns (before, after)."""
    from alembic import command

    with engine.connect() as conn:
        conn = conn.execution_options(migq_write=True)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
        try:
            before = current_revision(conn)
            conn.rollback()
            command.upgrade(_config(conn), target)
            conn.commit()
            after = current_revision(conn)
            conn.rollback()
        finally:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
    return before, after


def ensure_current(engine: Engine) -> None:
    """A new database gets the whole schema; an old one must be upgraded on purpose."""
    with engine.connect() as conn:
        rev = current_revision(conn)
        has_tables = bool(inspect(conn).get_table_names())
    head = head_revision()
    if rev == head:
        return
    if rev is None and not has_tables:
        upgrade(engine)
        return
    if rev is None:
        raise MigqError("this database has tables but no migq schema version.",
                        hint="Point --db at a migq workspace database, or at a new file.")
    raise MigqError(f"this database has schema version {rev}; this migq needs {head}.",
                    hint="Back it up ('migq backup -o FILE'), then run 'migq db upgrade'.")
