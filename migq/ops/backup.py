"""``migq backup``: a consistent, verified copy of the workspace while others keep working.

SQLite: the online backup API copies the pages of one read snapshot (WAL lets writers go on);
the row counts are taken in that same snapshot, so the copy must show exactly those counts.
PostgreSQL: ``pg_dump --format=custom`` runs on a snapshot exported from our own REPEATABLE READ
transaction, whose row counts the archive must then hold, table by table.

The copy is written beside the target under a temporary name and renamed only once verified:
a failed backup never leaves a file that looks like a good one.

A verified backup is then recorded in the audit log (``backup_written``: file name, size,
SHA-256, rows per table), in a transaction of its own after the snapshot. So the entry is never
inside the backup it describes: it names the file's SHA-256, which exists only once the copy is
made, and a backup must hold exactly the state it counted. A database restored from the file
shows the audit log as it stood at the snapshot, with its row counts equal to the entry's.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from migq.errors import MigqError
from migq.store import schema
from migq.store.db import BUSY_TIMEOUT_S, Store


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str  # sqlite | postgresql
    size: int
    row_counts: dict[str, int]  # as seen in the snapshot, and found again in the copy
    sha256: str = ""  # of the backup file, as recorded in the audit log


AUDIT_ACTION = "backup_written"


def backup(store: Store, out: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the workspace database to ``out``, verify the copy, and record it in the audit log.

    Raises MigqError on failure; a failure to record leaves the verified file in place and says so."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise MigqError("the backup file already exists.", path=str(out),
                        hint="Choose a new file name (one per day is a good habit), or add --overwrite.")
    from migq.files import prepare_output

    prepare_output(out)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        if store.is_sqlite:
            counts = _sqlite_backup(store, tmp)
            _sqlite_verify(tmp, counts, out)
        else:
            counts = _pg_backup(store, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    result = BackupResult(out, "sqlite" if store.is_sqlite else "postgresql", out.stat().st_size, counts,
                          _file_sha256(out))
    _record(store, result)
    return result


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(store: Store, result: BackupResult) -> None:
    """The audit entry of a verified backup, written after its snapshot (so not inside it)."""
    try:
        with store.write() as conn:
            store.audit(conn, AUDIT_ACTION, file_name=result.path.name, sha256=result.sha256,
                        backend=result.backend, size=result.size, rows=result.row_counts)
    except (MigqError, SQLAlchemyError) as err:
        reason = err.message if isinstance(err, MigqError) else \
            (str(getattr(err, "orig", None) or err).strip().splitlines() or [type(err).__name__])[0]
        raise MigqError(f"the backup was written and verified, but could not be recorded in the audit log "
                        f"({reason.rstrip('.')}).", path=str(result.path),
                        hint="The file is a good backup; once the database accepts writes, run the backup "
                             "again with --overwrite so that it is recorded.") from err


def _count_sql(table: str) -> str:
    return f'SELECT count(*) FROM "{table}"'


def _tables_present(names) -> list[str]:
    present = set(names)
    return [t for t in schema.ALL_TABLES if t in present]


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_backup(store: Store, tmp: Path) -> dict[str, int]:
    source = make_url(store.url).database
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    dst = sqlite3.connect(tmp, isolation_level=None)
    try:
        # One read transaction: the counts and the copied pages come from the same snapshot.
        src.execute("BEGIN")
        names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: src.execute(_count_sql(t)).fetchone()[0] for t in _tables_present(names)}
        src.backup(dst)
        src.execute("COMMIT")
        # A backup is one self-contained file: no -wal beside it to forget when copying.
        dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as err:
        raise MigqError(f"the backup of {store.display_url} failed: {err}.",
                        hint="If the database is locked, wait for the other user's ingest to finish.") from err
    finally:
        dst.close()
        src.close()
    return counts


def _sqlite_verify(copy: Path, expected: dict[str, int], out: Path) -> None:
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        found = {t: conn.execute(_count_sql(t)).fetchone()[0] for t in expected}
    finally:
        conn.close()
    if check != ["ok"]:
        raise MigqError(f"the copy failed its integrity check ({check[0]}); no backup was written.",
                        path=str(out), hint="Run 'migq doctor' on the database, then try again.")
    _compare(found, expected, out)


def _compare(found: dict[str, int], expected: dict[str, int], out: Path) -> None:
    diff = [f"{t}: {found.get(t)} instead of {n}" for t, n in expected.items() if found.get(t) != n]
    if diff:
        raise MigqError("the copy does not hold the rows of the snapshot (" + "; ".join(diff) + "); no backup was written.",
                        path=str(out), hint="Try again; if it happens twice, run 'migq doctor'.")


# --- PostgreSQL -----------------------------------------------------------------------------

def find_pg_tool(name: str) -> str:
    """Path of pg_dump / pg_restore: on PATH, else the newest PostgreSQL install (Debian layout)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")])
    if candidates:
        return candidates[-1]
    raise MigqError(f"{name} is not installed, and it is needed to back up a PostgreSQL database.",
                    hint="Install the PostgreSQL client tools (package postgresql-client, the same major "
                         "version as the server or newer) and put them on PATH.")


def pg_environment(url: str) -> dict[str, str]:
    """libpq variables for the URL: the password travels in PGPASSWORD, never on a command line."""
    u = make_url(url)
    env = dict(os.environ)
    pairs = {"PGHOST": u.host, "PGPORT": u.port, "PGUSER": u.username, "PGPASSWORD": u.password,
             "PGDATABASE": u.database}
    for key, value in u.query.items():
        pairs["PG" + key.upper()] = value if isinstance(value, str) else value[-1]
    env.update({k: str(v) for k, v in pairs.items() if v is not None})
    return env


def _run(cmd: list[str], env: dict[str, str], url: str, what: str) -> str:
    password = make_url(url).password
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except OSError as err:
        raise MigqError(f"cannot run {cmd[0]}: {err.strerror}.", hint="Check the PostgreSQL client tools.") from err
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[-1]
        if password:
            message = message.replace(str(password), "***")
        raise MigqError(f"{what} failed: {message}", hint="Check the URL, the server, and that the client "
                        "tools are at least the server's major version.")
    return done.stdout


def _pg_backup(store: Store, tmp: Path) -> dict[str, int]:
    pg_dump, pg_restore = find_pg_tool("pg_dump"), find_pg_tool("pg_restore")
    env = pg_environment(store.url)
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
            counts = {t: conn.execute(text(_count_sql(t))).scalar() for t in _tables_present(names)}
            # The snapshot lives as long as this transaction: pg_dump must finish inside it.
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={tmp}"],
                 env, store.url, f"pg_dump of {store.display_url}")
    _pg_verify(pg_restore, tmp, counts, env, store.url)
    return counts


def _pg_verify(pg_restore: str, archive: Path, expected: dict[str, int], env, url: str) -> None:
    listing = _run([pg_restore, "--list", str(archive)], env, url, "reading the archive back (pg_restore --list)")
    listed = {line.split()[-2] for line in listing.splitlines() if " TABLE DATA " in line}
    missing = [t for t in expected if t not in listed]
    if missing:
        raise MigqError(f"the archive lacks the data of: {', '.join(missing)}; no backup was written.", path=str(archive))
    _compare(_pg_archive_counts(pg_restore, archive, env), expected, archive)


def _pg_archive_counts(pg_restore: str, archive: Path, env) -> dict[str, int]:
    """Rows per table in the archive: COPY text format writes one row per line (newlines escaped)."""
    counts: dict[str, int] = {}
    proc = subprocess.Popen([pg_restore, "--data-only", "--file=-", str(archive)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    table = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if table is None:
            if line.startswith("COPY "):
                table = line.split()[1].split(".")[-1].strip('"')
                counts[table] = 0
        elif line.rstrip("\n") == "\\.":
            table = None
        else:
            counts[table] += 1
    proc.wait()
    return counts
