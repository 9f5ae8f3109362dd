"""Prepared statements (the ingest's hot path) store exactly what SQLAlchemy's execute stores,
on both backends, and fail the same way."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from migq.store import schema
from migq.store.prepared import Prepared
from opstools import bundled_questionnaire_id, make_reply
from migq.store.replies import store_reply

AUDIT = schema.audit_log
PROBLEMS = schema.problems


def _audit_rows(store, action):
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(AUDIT).where(AUDIT.c.action == action)
                                              .order_by(AUDIT.c.id)).mappings()]


def test_a_row_written_either_way_reads_back_the_same(store):
    at = datetime(2008, 4, 30, 17, 5, 9, 123456, tzinfo=timezone.utc)
    row = dict(at=at, actor="tester", action="either_way", iso3="FRA", file_name="FRA.xlsx", sha256="ab" * 32,
               detail='{"n": 1}')
    with store.write() as conn:
        conn.execute(insert(AUDIT), row)
        Prepared(insert(AUDIT)).execute(conn, row)
    core, prepared = _audit_rows(store, "either_way")
    assert {k: v for k, v in core.items() if k != "id"} == {k: v for k, v in prepared.items() if k != "id"}
    assert prepared["at"].replace(tzinfo=timezone.utc) == at


def test_defaults_literals_and_booleans(store):
    qid = bundled_questionnaire_id(store)
    stored = store_reply(store, make_reply(qid, "FRA"))
    problem = dict(submission_id=stored.submission_id, code="x", severity="warning", message="m", hint="",
                   sheet=None, cell=None, question="q00")  # 'resolved' left to its default (false)
    with store.write() as conn:
        Prepared(insert(PROBLEMS)).executemany(conn, [problem, {**problem, "question": "q01"}])
        open_only = Prepared(select(PROBLEMS.c.question).where(PROBLEMS.c.submission_id == bindparam("sid"),
                                                               PROBLEMS.c.resolved == False)  # noqa: E712
                             .order_by(PROBLEMS.c.question))
        assert open_only.all(conn, dict(sid=stored.submission_id)) == [("q00",), ("q01",)]
    with store.read() as conn:
        assert conn.execute(select(PROBLEMS.c.resolved)).scalars().all() == [False, False]


def test_ids_come_back_and_driver_errors_are_sqlalchemys(store):
    row = dict(at=datetime.now(timezone.utc), actor="t", action="ids", iso3=None, file_name=None, sha256=None, detail="")
    statement = Prepared(insert(AUDIT), returning_id=AUDIT.c.id)
    with store.write() as conn:
        first, second = statement.insert_id(conn, row), statement.insert_id(conn, row)
    assert second == first + 1 and [r["id"] for r in _audit_rows(store, "ids")] == [first, second]
    with pytest.raises(IntegrityError):
        with store.write() as conn:
            Prepared(insert(AUDIT)).execute(conn, {**row, "actor": None})  # NOT NULL
    assert len(_audit_rows(store, "ids")) == 2
