"""Schema versions on both backends: an old workspace upgrades with its rows intact, is never used
silently at the old version, and the migrations build exactly the schema that schema.py declares."""

from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError

from migq.cli import app
from migq.errors import MigqError
from migq.store import migrate, schema
from migq.store.db import open_store, utcnow
from storetools import scratch_pg_database

PG_URL = os.environ.get("MIGQ_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "old.db")
        return
    if not PG_URL:
        pytest.skip("no PostgreSQL server: set MIGQ_TEST_POSTGRES_URL")
    with scratch_pg_database(PG_URL, "m_") as url:
        yield url


def _fill_first_schema(store) -> None:
    """Rows of every kind a 0001 workspace had: a form sent, a reply with answers, audit entries."""
    now = utcnow()
    with store.engine.begin() as conn:
        qid = conn.execute(insert(schema.questionnaires).values(
            form_id="hld-followup-2008", version="1", definition_json="{}", definition_sha256="0" * 64,
            created_at=now)).inserted_primary_key[0]
        conn.execute(insert(schema.signing_keys).values(key_id="k1", secret_hex="ab" * 32, created_at=now))
        conn.execute(insert(schema.dispatches).values(
            issue_id="I1", questionnaire_id=qid, iso3="FRA", language="fr", file_name="FRA.xlsx",
            file_sha256="1" * 64, key_id="k1", sent_on=date(2008, 3, 18), to_addresses="", cc_addresses="",
            created_at=now, created_by="tester"))
        conn.execute(insert(schema.evidence).values(sha256="2" * 64, size=1, content=b"x", original_name="FRA.xlsx",
                                                    stored_at=now))
        sid = conn.execute(insert(schema.submissions).values(
            evidence_sha256="2" * 64, questionnaire_id=qid, iso3="FRA", version_no=1, status="accepted",
            file_name="FRA.xlsx", source_kind="xlsx", received_on=date(2008, 4, 2), channel="email",
            late=False, created_at=now, created_by="tester")).inserted_primary_key[0]
        conn.execute(insert(schema.answers), [dict(submission_id=sid, question=f"q{i}", value="yes", valid=True)
                                              for i in range(5)])
        conn.execute(insert(schema.audit_log).values(at=now, actor="tester", action="reply_accepted", iso3="FRA",
                                                     sha256="2" * 64, detail="{}"))


def test_old_workspace_upgrades_with_its_rows(empty_db_url, runner):
    with open_store(empty_db_url, upgrade=False) as store:
        assert migrate.upgrade(store.engine, "0001") == (None, "0001")
        _fill_first_schema(store)

    result = runner.invoke(app, ["db", "upgrade", "--db", empty_db_url])
    assert result.exit_code == 0, result.output
    assert "0001 -> 0003" in result.output

    with open_store(empty_db_url) as store:  # now at head: opens without complaint
        with store.read() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            assert conn.execute(select(func.count()).select_from(schema.answers)).scalar() == 5
            assert conn.execute(select(schema.submissions.c.iso3)).scalars().all() == ["FRA"]
            assert conn.execute(select(schema.dispatches.c.file_sha256)).scalar() == "1" * 64
        with store.write() as conn:  # the tables of 0002 work
            conn.execute(insert(schema.contact_log).values(iso3="FRA", channel="phone", note="called",
                                                           on_date=date(2008, 5, 1), at=utcnow(), actor="tester"))
            conn.execute(insert(schema.codings).values(submission_id=1, question="q1", coder="a", code="regional",
                                                       applies=True, role="coder", note="", at=utcnow()))
            # 0003: a cell address naming a long sheet (PostgreSQL refused more than 80 characters)
            conn.execute(insert(schema.answers).values(submission_id=1, question="long", cell="Q" * 120 + "!C12",
                                                       valid=True))
        with pytest.raises(DBAPIError, match="append-only"):  # and the old audit rows became append-only
            with store.engine.begin() as conn:
                conn.execute(update(schema.audit_log).values(actor="x"))

    again = runner.invoke(app, ["db", "upgrade", "--db", empty_db_url])
    assert again.exit_code == 0 and "already at 0003" in again.output


def test_old_schema_is_refused_with_the_command_that_fixes_it(empty_db_url, runner):
    with open_store(empty_db_url, upgrade=False) as store:
        migrate.upgrade(store.engine, "0001")
    with pytest.raises(MigqError, match="migq db upgrade"):
        with open_store(empty_db_url):
            pass
    result = runner.invoke(app, ["key", "list", "--db", empty_db_url])
    assert result.exit_code == 1
    assert "schema version 0001" in result.output and "migq db upgrade" in result.output
    assert "Traceback" not in result.output
    with open_store(empty_db_url, upgrade=False) as store, store.read() as conn:
        assert migrate.current_revision(conn) == "0001"  # refused, not changed


def test_migrations_build_exactly_the_declared_schema(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert diff == []


def test_first_use_creates_the_whole_schema(empty_db_url):
    with open_store(empty_db_url) as store, store.read() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        assert conn.execute(select(func.count()).select_from(schema.codings)).scalar() == 0
