"""migq doctor finds what is wrong and says how to fix it; migq backup makes a verified copy
while others write, on both backends."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

import migq.cli.ops_cmd  # noqa: F401  (registers doctor and backup on the app)
from migq.cli import app
from migq.errors import MigqError
from migq.ops import backup, run_checks
from migq.ops.backup import _run, find_pg_tool, pg_environment
from migq.store import schema
from migq.store.db import open_store
from migq.store.replies import store_reply
from opstools import bundled_questionnaire_id, make_reply, spawn_worker
from storetools import scratch_pg_database


@pytest.fixture
def filled(store):
    """A workspace with a form sent (key, dispatch) and two replies stored."""
    from datetime import date

    from migq.store.keys import active_key
    from migq.store.register import record_dispatches

    qid = bundled_questionnaire_id(store)
    key_id, _ = active_key(store)
    record_dispatches(store, [dict(issue_id="I-FRA", questionnaire_id=qid, iso3="FRA", language="fr",
                                   file_name="FRA.xlsx", file_sha256="a" * 64, key_id=key_id,
                                   sent_on=date(2008, 3, 18), deadline=None, to_addresses="", cc_addresses="")])
    for iso3 in ("FRA", "DEU"):
        store_reply(store, make_reply(qid, iso3))
    return store


def _failed(store) -> dict[str, str]:
    return {c.name: c.detail + " | " + c.fix for c in run_checks(store) if not c.ok}


def test_healthy_workspace_passes_every_check(filled, runner):
    assert _failed(filled) == {}
    result = runner.invoke(app, ["doctor", "--format", "json", "--db", filled.url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["healthy"] is True and len(report["checks"]) == 8
    table = runner.invoke(app, ["doctor", "--db", filled.url])
    assert table.exit_code == 0 and "every check passed" in table.output


def test_altered_evidence_is_found_by_its_hash(filled, runner):
    with filled.write() as conn:
        conn.execute(update(schema.evidence).where(schema.evidence.c.original_name == "DEU-a.xlsx")
                     .values(content=b"tampered"))
    failed = _failed(filled)
    assert list(failed) == ["reply evidence"]
    assert "DEU-a.xlsx" in failed["reply evidence"] and "ingest the originals again" in failed["reply evidence"]
    result = runner.invoke(app, ["doctor", "--db", filled.url])
    assert result.exit_code == 1 and "PROBLEM" in result.output


def test_missing_audit_trigger_and_old_schema_are_reported(filled):
    with filled.engine.begin() as conn:
        if filled.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    failed = _failed(filled)
    assert set(failed) == {"audit log append-only", "schema version"}
    assert "migq db upgrade" in failed["schema version"]


def test_forms_sent_without_an_active_key(filled):
    with filled.write() as conn:
        conn.execute(update(schema.signing_keys).values(retired_at=func.now()))
    assert "migq key rotate" in _failed(filled)["signing keys"]


def test_doctor_never_creates_a_database(tmp_path, runner):
    missing = tmp_path / "nothing.db"
    result = runner.invoke(app, ["doctor", "--db", str(missing)])
    assert result.exit_code == 1 and "there is no database" in result.output
    assert not missing.exists()


def _rows(url_or_path) -> dict[str, int]:
    with open_store(url_or_path) as store, store.read() as conn:
        return {t: conn.execute(select(func.count()).select_from(schema.metadata.tables[t])).scalar()
                for t in schema.ALL_TABLES}


def test_backup_is_a_verified_copy(filled, tmp_path, runner):
    out = tmp_path / ("copy.db" if filled.is_sqlite else "copy.dump")
    before = _rows(filled.url)
    result = runner.invoke(app, ["backup", "-o", str(out), "--db", filled.url])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    assert f"backup_written, SHA-256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in result.output
    assert before["submissions"] == 2 and before["answers"] == 24
    if filled.is_sqlite:
        assert _rows(out) == before
        assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file
    else:
        assert out.read_bytes()[:5] == b"PGDMP"
        assert _restored(filled, out)[0] == before
    again = runner.invoke(app, ["backup", "-o", str(out), "--db", filled.url])
    assert again.exit_code == 1 and "already exists" in again.output and "--overwrite" in again.output
    assert runner.invoke(app, ["backup", "-o", str(out), "--overwrite", "--db", filled.url]).exit_code == 0


def _backups_recorded(url_or_path) -> list[dict]:
    a = schema.audit_log
    with open_store(url_or_path, upgrade=False) as store, store.read() as conn:
        rows = conn.execute(select(a.c.actor, a.c.file_name, a.c.sha256, a.c.detail)
                            .where(a.c.action == "backup_written").order_by(a.c.id)).all()
    return [dict(actor=r.actor, file_name=r.file_name, sha256=r.sha256, **json.loads(r.detail)) for r in rows]


def _restored(store, backup_file) -> tuple[dict[str, int], list[dict]]:
    """Rows per table and backup entries of the database a backup file of ``store`` restores."""
    if store.is_sqlite:
        return _rows(backup_file), _backups_recorded(backup_file)
    return _restored_rows(store.url, backup_file)


def test_backup_is_recorded_in_the_audit_log_after_its_snapshot(filled, tmp_path):
    suffix = "db" if filled.is_sqlite else "dump"
    before = _rows(filled.url)
    first = backup(filled, tmp_path / f"first.{suffix}")
    data = first.path.read_bytes()
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    [entry] = _backups_recorded(filled.url)
    assert entry == dict(actor="tester", file_name=f"first.{suffix}", sha256=first.sha256, size=len(data),
                         backend=first.backend, rows=before)
    assert first.row_counts == before
    # The entry came after the snapshot: the live log has one more row than the backup holds.
    assert _rows(filled.url) == dict(before, audit_log=before["audit_log"] + 1)
    assert [c.name for c in run_checks(filled) if not c.ok] == []
    # A restore shows the state the entry counted, without the entry itself ...
    rows, entries = _restored(filled, first.path)
    assert rows == entry["rows"] and entries == []
    # ... and a later backup holds the earlier backup's entry but not its own.
    second = backup(filled, tmp_path / f"second.{suffix}")
    assert [e["sha256"] for e in _backups_recorded(filled.url)] == [first.sha256, second.sha256]
    rows, entries = _restored(filled, second.path)
    assert [e["sha256"] for e in entries] == [first.sha256]
    assert rows == second.row_counts and rows["audit_log"] == before["audit_log"] + 1


def test_a_backup_that_cannot_be_recorded_is_kept_and_reported(filled, tmp_path, monkeypatch, runner):
    def refuse(conn, action, **kwargs):
        raise OperationalError("INSERT INTO audit_log", {}, Exception("database is locked"))

    out = tmp_path / ("copy.db" if filled.is_sqlite else "copy.dump")
    monkeypatch.setattr(filled, "audit", refuse)
    with pytest.raises(MigqError, match="written and verified, but could not be recorded") as err:
        backup(filled, out)
    assert "locked" in str(err.value) and "--overwrite" in str(err.value)
    assert out.exists() and _backups_recorded(filled.url) == []
    assert _restored(filled, out)[0] == _rows(filled.url)  # the file is a good backup all the same
    monkeypatch.undo()
    result = runner.invoke(app, ["backup", "-o", str(out), "--overwrite", "--db", filled.url])
    assert result.exit_code == 0, result.output
    assert [e["sha256"] for e in _backups_recorded(filled.url)] == [hashlib.sha256(out.read_bytes()).hexdigest()]


def _restored_rows(url: str, archive) -> tuple[dict[str, int], list[dict]]:
    """Restore the archive into a new database: its rows per table and its backup entries."""
    with scratch_pg_database(url, "r_") as restored_url:
        subprocess.run([find_pg_tool("pg_restore"), "--no-owner", "--dbname", restored_url.rsplit("/", 1)[1],
                        str(archive)], env=pg_environment(restored_url), check=True, capture_output=True)
        with open_store(restored_url) as restored:
            assert [c.name for c in run_checks(restored) if not c.ok] == []
        return _rows(restored_url), _backups_recorded(restored_url)


def test_backups_taken_while_another_process_ingests_hold_whole_replies(store, tmp_path):
    qid = bundled_questionnaire_id(store)
    replies = [[iso3, rev] for rev in "ab" for iso3 in ("FRA", "DEU", "ITA", "ESP", "MEX", "BRA", "SEN", "MAR")]
    writer = spawn_worker(dict(db=store.url, qid=qid, replies=replies), tmp_path, "writer")
    taken = []
    while writer.poll() is None or len(taken) < 2:
        out = tmp_path / f"b{len(taken)}.{'db' if store.is_sqlite else 'dump'}"
        taken.append(backup(store, out).row_counts)  # verified against its own snapshot inside
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-2000:]
    # The last backup in the loop may have begun before the writer's last reply: one more, after.
    taken.append(backup(store, tmp_path / f"final.{'db' if store.is_sqlite else 'dump'}").row_counts)
    for counts in taken:  # every snapshot: each reply with all 12 answers and its audit entry
        assert counts["answers"] == 12 * counts["submissions"]
        assert counts["evidence"] == counts["submissions"]
    assert taken[-1]["submissions"] == len(replies)


def test_missing_pg_dump_is_explained(monkeypatch):
    import glob
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(glob, "glob", lambda pattern: [])
    with pytest.raises(MigqError, match="pg_dump is not installed") as err:
        find_pg_tool("pg_dump")
    assert "postgresql-client" in str(err.value)


def test_password_goes_by_environment_and_never_into_messages():
    url = "postgresql+psycopg://analyst:s3cret-Pa55@db.example:5433/migq?sslmode=require"
    env = pg_environment(url)
    assert (env["PGPASSWORD"], env["PGHOST"], env["PGPORT"], env["PGSSLMODE"]) == ("s3cret-Pa55", "db.example", "5433", "require")
    failing = [sys.executable, "-c", "import sys; sys.exit('password authentication failed: s3cret-Pa55')"]
    with pytest.raises(MigqError) as err:
        _run(failing, env, url, "pg_dump of the workspace")
    assert "s3cret-Pa55" not in str(err.value) and "authentication failed" in str(err.value)


def test_sqlite_backup_of_a_busy_database_is_consistent(tmp_path, monkeypatch):
    """A write transaction open elsewhere does not stop the copy (WAL), nor leak into it; the
    audit entry, a write, comes after that transaction like any other write."""
    backup_module = sys.modules["migq.ops.backup"]  # the module: migq.ops.backup is the function

    path = tmp_path / "w.db"
    with open_store(path) as store:
        qid = bundled_questionnaire_id(store)
        store_reply(store, make_reply(qid, "FRA"))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO contact_log (iso3, channel, note, on_date, at, actor) "
                      "VALUES ('FRA', 'phone', '', '2008-05-01', '2008-05-01', 'x')")
        record = backup_module._record

        def other_commits_first(store, result):  # the copy is made and verified: now the writer ends
            assert other.in_transaction
            other.execute("COMMIT")
            record(store, result)

        monkeypatch.setattr(backup_module, "_record", other_commits_first)
        try:
            result = backup(store, tmp_path / "copy.db")
        finally:
            if other.in_transaction:
                other.execute("ROLLBACK")
            other.close()
    assert result.row_counts["contact_log"] == 0 and result.row_counts["answers"] == 12
    assert _rows(path)["contact_log"] == 1 and [e["sha256"] for e in _backups_recorded(path)] == [result.sha256]
