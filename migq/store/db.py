"""Opening the database: URL resolution, engine set-up per backend, transactions, schema check.

SQLite (the default, a file in the working folder) runs in WAL mode with full synchronous
writes, foreign keys on, and write transactions that take the lock up front (BEGIN IMMEDIATE) so
two analysts never deadlock half-way through a file. PostgreSQL is reached by URL; per-recipient
work is serialised with transaction-scoped advisory locks.

A batch of many small transactions (an ingest stores each file in its own) may ask for
``write(durable=False)``: each such transaction is still all-or-nothing, and survives the
process being killed, but is not flushed to disk one by one (SQLite synchronous=NORMAL,
PostgreSQL synchronous_commit=off). The batch ends with an ordinary write, whose flush makes
every earlier one durable too (both engines flush their log in order): one flush per batch
instead of one per file. Only a power cut or OS crash during the batch can lose its recent
files, and then wholly, never in part.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError, DBAPIError

from migq.errors import MigqError
from migq.store import schema
from migq.store.prepared import Prepared

ENV_URL = "MIGQ_DATABASE_URL"
DEFAULT_FILE = "migq.db"
BUSY_TIMEOUT_S = 30
_INSERT_AUDIT = Prepared(insert(schema.audit_log))  # run for every file stored: see migq.store.prepared


def resolve_url(db: str | os.PathLike | None) -> str:
    """--db value (path or URL) -> SQLAlchemy URL. None: $MIGQ_DATABASE_URL, else ./migq.db."""
    raw = str(db) if db is not None else os.environ.get(ENV_URL) or DEFAULT_FILE
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL we can parse: say nothing of it
        return "<database>"


def current_actor() -> str:
    """Who is acting, for the audit log: $MIGQ_USER, else the login name."""
    name = os.environ.get("MIGQ_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # Straight on the driver: an ingest begins a transaction per file, and going
            # through SQLAlchemy's execute cost more than the BEGIN itself.
            from migq.store.prepared import execute_on_driver

            options = conn.get_execution_options()
            if options.get("migq_write"):
                flush = "FULL" if options.get("migq_durable", True) else "NORMAL"
                info = conn.connection.info  # per pooled connection, as the pragma is
                if info.get("migq_synchronous") != flush:
                    execute_on_driver(conn, f"PRAGMA synchronous={flush}")
                    info["migq_synchronous"] = flush
            execute_on_driver(conn, "BEGIN IMMEDIATE" if options.get("migq_write") else "BEGIN DEFERRED")

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A handle on one workspace database. Use ``read()`` and ``write()`` for transactions."""

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url
        self.actor = current_actor()
        self._held: Connection | None = None  # see holding_connection()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def display_url(self) -> str:
        return redact(self.url)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One snapshot for the whole read: a report never sees half of a concurrent ingest."""
        with self._translate_errors(), self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[Connection]:
        """One all-or-nothing transaction holding the write lock (SQLite) from the start.
        ``durable=False``: not flushed to disk on its own; see the module docstring."""
        held = self._held
        with self._translate_errors(), (nullcontext(held) if held is not None else self.engine.connect()) as conn:
            conn = conn.execution_options(migq_write=True, migq_durable=durable)
            with conn.begin():
                if not durable and self.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn

    @contextmanager
    def holding_connection(self) -> Iterator[None]:
        """Run the write() transactions inside on one connection, taken from the pool once: a
        batch of many small ones (an ingest) then skips a checkout and a reset per transaction.
        Each still begins and commits on its own; between them the connection holds no lock."""
        if self._held is not None:
            yield
            return
        with self._translate_errors(), self.engine.connect() as conn:
            self._held = conn
            try:
                yield
            finally:
                self._held = None

    def lock_recipient(self, conn: Connection, key: str) -> None:
        """Serialise work on one recipient across processes (SQLite's write lock already does)."""
        if self.engine.dialect.name == "postgresql":
            n = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": n})

    def audit(self, conn: Connection, action: str, *, iso3: str | None = None,
              file_name: str | None = None, sha256: str | None = None, **detail) -> None:
        _INSERT_AUDIT.execute(
            conn,
            dict(at=utcnow(), actor=self.actor, action=action, iso3=iso3, file_name=file_name, sha256=sha256,
                 detail=json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True)),
        )

    @contextmanager
    def _translate_errors(self):
        try:
            yield
        except OperationalError as err:
            raise _friendly(err, self.url) from err
        except DBAPIError as err:
            if err.connection_invalidated:
                raise _friendly(err, self.url) from err
            raise


def _friendly(err: Exception, url: str) -> MigqError:
    msg = str(getattr(err, "orig", err)).strip().splitlines()[0] if str(err) else type(err).__name__
    if "locked" in msg or "busy" in msg:
        return MigqError(
            f"the database {redact(url)} is locked by another user for more than {BUSY_TIMEOUT_S} s.",
            hint="Wait for their ingest to finish and run the command again.",
        )
    return MigqError(f"cannot use the database {redact(url)}: {msg.replace(url, redact(url))}.",
                     hint="Check the --db option or $MIGQ_DATABASE_URL, and that the server is running.")


@contextmanager
def open_store(db: str | os.PathLike | None = None, *, upgrade: bool = True) -> Iterator[Store]:
    """Open (and on first use create) the workspace database.

    An existing database at an older schema is not changed silently: the user is told to run
    ``migq db upgrade``. With ``upgrade=False`` the schema is not checked at all.
    """
    from migq.store import migrate

    url = resolve_url(db)
    try:
        engine = _make_engine(url)
    except Exception as err:  # bad URL, missing driver
        raise MigqError(f"cannot open the database {redact(url)}: {err}.",
                        hint="Give --db a file path or a postgresql://user@host/dbname URL.") from err
    store = Store(engine, url)
    try:
        if upgrade:
            with store._translate_errors():
                migrate.ensure_current(engine)
        yield store
    finally:
        engine.dispose()
