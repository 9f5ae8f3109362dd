"""Shared fixtures: a real database on each backend, a stable terminal width, a CLI runner.

PostgreSQL tests need $MIGQ_TEST_POSTGRES_URL (``.ci/run`` starts a throwaway server and sets
it). Each test gets a database of its own, cloned from a migrated template so it is fast.
"""

from __future__ import annotations

import os

import pytest

# rich sizes its consoles when migq.cli is first imported: pin the width before that happens,
# so output assertions never depend on line wrapping (fastapi-cli does the same).
os.environ["COLUMNS"] = "200"
os.environ["TERM"] = "dumb"

# numpy (which openpyxl imports) would start a BLAS thread pool, and a process running threads
# gets its reader workers from a template instead of forking itself (migq.forms.isolate_spawn):
# keep the test process single-threaded, so tests take the path a CLI user's ingest takes.
for _pool in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")

PG_URL = os.environ.get("MIGQ_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch):
    # rich wraps at the terminal width; pin it so output assertions are stable (fastapi-cli).
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("MIGQ_USER", "tester")
    monkeypatch.delenv("MIGQ_DATABASE_URL", raising=False)


def _admin_engine():
    from sqlalchemy import create_engine

    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


# One template per test process: parallel runs (xdist workers, several developers) never share it.
_TEMPLATE = {"made": False, "name": f"migq_template_{os.getpid()}"}


def _template() -> str:
    """This process's migrated template database, made on first use."""
    from sqlalchemy import text

    template = _TEMPLATE["name"]
    if not _TEMPLATE["made"]:
        from migq.store.db import open_store

        admin = _admin_engine()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {template}"))
            c.execute(text(f"CREATE DATABASE {template}"))
        admin.dispose()
        with open_store(PG_URL.rsplit("/", 1)[0] + "/" + template):
            pass
        _TEMPLATE["made"] = True
    return template


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh, migrated workspace database URL on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "migq.db")
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("MIGQ_TEST_POSTGRES_URL is not set on CI: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL server: set MIGQ_TEST_POSTGRES_URL (see .ci/run)")
    from storetools import scratch_pg_database

    with scratch_pg_database(PG_URL, "t_", template=_template()) as url:
        yield url


@pytest.fixture
def store(db_url):
    from migq.store.db import open_store

    with open_store(db_url) as s:
        yield s


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


def pytest_sessionfinish(session, exitstatus):
    if PG_URL and _TEMPLATE["made"]:
        from sqlalchemy import text

        admin = _admin_engine()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {_TEMPLATE['name']} WITH (FORCE)"))
        admin.dispose()
