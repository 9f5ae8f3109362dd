"""Several analysts at once, as real parallel processes, on both backends: overlapping ingests
store each reply exactly once and lose no revision; a report read during an ingest sees only
whole replies."""

from __future__ import annotations

import hashlib
import json
import time
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from migq.store import schema
from migq.store.db import open_store
from opstools import (RECIPIENTS, clone_workspace, copy_files, ingest_cmd, partial_replies, prepared_forms,
                      spawn_worker, versions_by_recipient, bundled_questionnaire_id)


@pytest.fixture(scope="session")
def forms(tmp_path_factory):
    return prepared_forms(tmp_path_factory.getbasetemp() / "ops-forms")


@pytest.fixture
def workspace(db_url, forms):
    clone_workspace(forms["src"], db_url)
    return db_url


def _outcomes(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    return {f["sha256"]: f["outcome"] for f in json.loads(out)["files"]}


def test_overlapping_ingests_store_each_reply_once(workspace, forms, tmp_path):
    filled, (rev_b, rev_c) = forms["filled"], forms["revisions"]
    # Both folders hold FRA's first reply and 4 others; each holds a different FRA revision.
    chosen = RECIPIENTS[:12]
    folder_a = copy_files([filled[c] for c in chosen[:8]] + [rev_b], tmp_path / "a")
    folder_b = copy_files([filled[c] for c in chosen[4:]] + [filled["FRA"], rev_c], tmp_path / "b")
    procs = [subprocess.Popen(ingest_cmd(workspace, folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for folder in (folder_a, folder_b)]
    a, b = (_outcomes(p) for p in procs)

    every = set(_shas([filled[c] for c in chosen] + [rev_b, rev_c]))
    assert set(a) | set(b) == every
    for sha in every:  # one process stored it, the other (if it had it) found a duplicate
        stored = [o for o in (a.get(sha), b.get(sha)) if o and o != "duplicate"]
        assert len(stored) == 1, (sha, a.get(sha), b.get(sha))
    with open_store(workspace) as store:
        assert partial_replies(store, forms["expected"]) == []
        versions = versions_by_recipient(store)
    assert sorted(versions) == sorted(chosen)
    assert [v for v, _ in versions["FRA"]] == [1, 2, 3]  # both revisions kept, numbered without gaps
    assert {sha for _, sha in versions["FRA"]} == _fra_shas(forms)
    assert all(len(v) == 1 for c, v in versions.items() if c != "FRA")


def _shas(paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def _fra_shas(forms) -> set[str]:
    return set(_shas([forms["filled"]["FRA"], *forms["revisions"]]))


def test_report_during_an_ingest_sees_only_whole_replies(workspace, forms, tmp_path):
    folder = copy_files([forms["filled"][c] for c in RECIPIENTS[:12]], tmp_path / "in")
    ingest = subprocess.Popen(ingest_cmd(workspace, folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    report = subprocess.Popen([sys.executable, "-m", "migq", "report", "--format", "json", "--db", workspace],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s, a = schema.submissions, schema.answers
    seen: list[int] = []
    with open_store(workspace) as store:
        while ingest.poll() is None or not seen:
            with store.read() as conn:  # one statement: each reply with its answer count
                rows = conn.execute(select(s.c.evidence_sha256, func.count(a.c.question))
                                    .join(a, a.c.submission_id == s.c.id, isouter=True)
                                    .group_by(s.c.id, s.c.evidence_sha256)).all()
            for sha, n in rows:
                assert n == forms["expected"][sha], f"a reply was seen with {n} of {forms['expected'][sha]} answers"
            seen.append(len(rows))
            time.sleep(0.05)  # leave the CPU to the ingest
    out, err = report.communicate(timeout=120)
    assert report.returncode == 0, err[-2000:]
    assert 0 <= json.loads(out)["respondents"]["total"] <= len(RECIPIENTS)
    assert ingest.wait() == 0
    assert seen == sorted(seen)  # replies only ever appear, whole
    with open_store(workspace) as store:
        assert partial_replies(store, forms["expected"]) == []
        assert len(versions_by_recipient(store)) == 12


def test_parallel_writers_never_lose_a_revision(store, tmp_path):
    """Three processes race on the same three recipients with overlapping revisions."""
    qid = bundled_questionnaire_id(store)
    plans = [[("FRA", "a"), ("DEU", "a"), ("FRA", "b"), ("ITA", "a")],
             [("FRA", "a"), ("FRA", "c"), ("DEU", "b"), ("ITA", "a")],
             [("DEU", "a"), ("FRA", "d"), ("ITA", "b"), ("FRA", "b"), ("DEU", "c")]]
    go = tmp_path / "go"
    workers = [spawn_worker(dict(db=store.url, qid=qid, replies=plan, barrier=str(go)), tmp_path, f"w{i}")
               for i, plan in enumerate(plans)]
    go.touch()
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err[-2000:]
    versions = versions_by_recipient(store)
    distinct = {iso3: {rev for plan in plans for c, rev in plan if c == iso3} for iso3 in ("FRA", "DEU", "ITA")}
    for iso3, revs in distinct.items():
        assert [v for v, _ in versions[iso3]] == list(range(1, len(revs) + 1)), iso3
    assert partial_replies(store, {sha: 12 for v in versions.values() for _, sha in v}) == []
