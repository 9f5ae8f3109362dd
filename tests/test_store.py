"""The store on both backends: append-only audit, all-or-nothing replies, duplicates, versions,
SQLite settings, the busy message, and passwords kept out of messages."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from migq.errors import MigqError
from migq.store import schema
from migq.store.db import open_store
from migq.store.replies import accept_revision, answers_of, store_reply, submissions_of
from opstools import bundled_questionnaire_id, make_reply, partial_replies


@pytest.fixture
def qid(store):
    return bundled_questionnaire_id(store)


def _count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_audit_log_refuses_update_and_delete(store):
    with store.write() as conn:
        store.audit(conn, "test_event", iso3="FRA")
    for stmt in (update(schema.audit_log).values(actor="someone else"), schema.audit_log.delete()):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(stmt)
    with store.read() as conn:
        rows = conn.execute(select(schema.audit_log.c.actor).where(schema.audit_log.c.action == "test_event")).all()
    assert [r.actor for r in rows] == ["tester"]


def test_reply_is_stored_whole_with_answers_and_audit(store, qid):
    stored = store_reply(store, make_reply(qid, "FRA", n_answers=7))
    assert (stored.outcome, stored.version_no) == ("accepted", 1)
    assert len(answers_of(store, stored.submission_id)) == 7
    assert partial_replies(store) == []


@pytest.mark.parametrize("durable", [True, False])
def test_reply_is_all_or_nothing(store, qid, monkeypatch, durable):
    from migq.store.db import Store

    def failing_audit(self, conn, action, **kw):  # after evidence, submission and answers are written
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "audit", failing_audit)
    with pytest.raises(RuntimeError):
        store_reply(store, make_reply(qid, "FRA"), durable=durable)
    for table in (schema.evidence, schema.submissions, schema.answers, schema.problems):
        assert _count(store, table) == 0, table.name


def test_failing_answer_insert_leaves_nothing(store, qid):
    from opstools import Ans

    reply = make_reply(qid, "DEU")
    reply.answers.append(Ans("q00", "again"))  # the same question twice: the answers insert fails
    with pytest.raises(Exception):
        store_reply(store, reply)
    assert submissions_of(store, "DEU") == []
    assert _count(store, schema.evidence) == 0


def test_same_bytes_twice_is_one_reply(store, qid):
    first = store_reply(store, make_reply(qid, "FRA"))
    again = store_reply(store, make_reply(qid, "FRA"))
    assert again.outcome == "duplicate" and again.submission_id == first.submission_id
    assert _count(store, schema.submissions) == 1
    assert _count(store, schema.answers) == 12


def test_revisions_get_consecutive_versions(store, qid):
    outcomes = [store_reply(store, make_reply(qid, "FRA", rev)).outcome for rev in "abc"]
    assert outcomes == ["accepted", "revision_pending", "revision_pending"]
    assert accept_revision(store, "FRA", qid) == 3
    subs = submissions_of(store, "FRA")
    assert [(s["version_no"], s["status"]) for s in subs] == [(1, "superseded"), (2, "superseded"), (3, "accepted")]
    assert subs[1]["replaces_id"] == subs[0]["id"] and subs[2]["replaces_id"] == subs[1]["id"]


def test_batch_writes_leave_the_flush_to_the_next_durable_write(store):
    """An ingest stores each file in its own transaction, flushed to disk once per run."""
    setting = "PRAGMA synchronous" if store.is_sqlite else "SHOW synchronous_commit"
    relaxed, durable = (1, 2) if store.is_sqlite else ("off", "on")  # SQLite: NORMAL, FULL
    for _ in range(2):  # the setting follows each transaction, on a reused connection too
        with store.write(durable=False) as conn:
            assert conn.exec_driver_sql(setting).scalar() == relaxed
        with store.write() as conn:
            assert conn.exec_driver_sql(setting).scalar() == durable


def test_a_held_connection_serves_every_write_and_locks_nothing_between_them(store):
    with store.holding_connection():
        with store.write(durable=False) as conn:
            first = conn.connection.dbapi_connection
            store.audit(conn, "held_first")
        with open_store(store.url) as other, other.write() as conn:  # another analyst, in between
            other.audit(conn, "someone_else")
        with store.write() as conn:
            second = conn.connection.dbapi_connection
            store.audit(conn, "held_second")
    assert first is second
    with store.read() as conn:
        actions = conn.execute(select(schema.audit_log.c.action).order_by(schema.audit_log.c.id)).scalars().all()
    assert actions[-3:] == ["held_first", "someone_else", "held_second"]


def test_sqlite_settings_are_in_force(tmp_path):
    with open_store(tmp_path / "w.db") as store, store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_locked_by_another_user_is_explained(tmp_path, monkeypatch):
    path = tmp_path / "w.db"
    with open_store(path):
        pass
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another analyst's ingest holds the write lock
    try:
        monkeypatch.setattr("migq.store.db.BUSY_TIMEOUT_S", 0.05)
        with open_store(path) as store:
            with pytest.raises(MigqError, match="locked by another user") as err:
                with store.write() as conn:
                    conn.execute(text("SELECT 1"))
        assert "Wait for their ingest to finish" in str(err.value)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_password_never_in_error_messages():
    url = "postgresql://analyst:s3cret-Pa55@127.0.0.1:1/migq"
    with pytest.raises(MigqError) as err:
        with open_store(url):
            pass
    message = str(err.value)
    assert "s3cret-Pa55" not in message and "127.0.0.1" in message
    assert "s3cret-Pa55" not in repr(err.value)


def test_foreign_keys_refuse_an_answer_without_its_reply(store):
    from sqlalchemy import insert

    with pytest.raises(DBAPIError):
        with store.write() as conn:
            conn.execute(insert(schema.answers).values(submission_id=999, question="q", value="v", valid=True))
    assert _count(store, schema.answers) == 0
