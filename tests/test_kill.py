"""Power cuts, simulated: SIGKILL an ingest at random moments and a writer inside its
transaction, on both backends. Afterwards no reply is half-stored, and running the ingest again
completes the batch with each reply exactly once."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import time

import pytest

from migq.ops import run_checks
from migq.store.db import open_store
from migq.store.replies import submissions_of
from opstools import (bundled_questionnaire_id, clone_workspace, copy_files, ingest_cmd, partial_replies,
                      prepared_forms, spawn_worker, versions_by_recipient)

KILLS = 5
SEED = 2008


@pytest.fixture(scope="session")
def forms(tmp_path_factory):
    return prepared_forms(tmp_path_factory.getbasetemp() / "ops-forms")


def _kill_group(proc: subprocess.Popen) -> None:
    # The ingest's reader workers are its children: a power cut takes them all.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def test_ingest_killed_at_random_moments_leaves_no_partial_reply(db_url, forms, tmp_path):
    clone_workspace(forms["src"], db_url)
    folder = copy_files(list(forms["filled"].values()), tmp_path / "in")
    expected = forms["expected"]
    rng = random.Random(SEED)
    # Kill when the batch has got this far (then a random moment later): progress, not the clock,
    # decides where the kill lands, so it lands mid-batch however fast the machine is.
    stored_after_kill = [0]
    for _ in range(KILLS):
        target = min(stored_after_kill[-1] + rng.randint(1, 4), len(forms["filled"]) - 1)
        proc = subprocess.Popen(ingest_cmd(db_url, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        with open_store(db_url) as store:
            while proc.poll() is None and _stored(store) < target:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))  # anywhere in the next file's transaction
            _kill_group(proc)
            assert partial_replies(store, expected) == []
            stored_after_kill.append(_stored(store))
    print("replies stored after each kill:", stored_after_kill[1:])
    assert stored_after_kill == sorted(stored_after_kill)  # what was committed stays committed

    done = subprocess.run(ingest_cmd(db_url, folder), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with open_store(db_url) as store:
        assert partial_replies(store, expected) == []
        versions = versions_by_recipient(store)
        assert {c: [v for v, _ in vs] for c, vs in versions.items()} == {c: [1] for c in forms["filled"]}
        filled = {hashlib.sha256(p.read_bytes()).hexdigest() for p in forms["filled"].values()}
        assert {sha for vs in versions.values() for _, sha in vs} == filled
        assert [c.name for c in run_checks(store) if not c.ok] == []


def _stored(store) -> int:
    return sum(len(v) for v in versions_by_recipient(store).values())


def _read_until(proc: subprocess.Popen, prefix: str) -> list[str]:
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"worker ended before '{prefix}': {lines} {proc.stderr.read()[-2000:]}")


def test_writer_killed_inside_its_transaction_stores_nothing_of_that_reply(store, tmp_path):
    qid = bundled_questionnaire_id(store)
    plan = [["FRA", "a"], ["DEU", "a"]]
    worker = spawn_worker(dict(db=store.url, qid=qid, replies=plan, slow=0.3), tmp_path, "slow")
    try:
        # FRA commits; DEU has written evidence, submission, answers and audit entry, not committed.
        lines = _read_until(worker, "inside DEU")
        assert "stored FRA a accepted" in lines
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
        worker.stderr.close()
    assert [s["version_no"] for s in submissions_of(store, "FRA")] == [1]
    assert submissions_of(store, "DEU") == []
    assert partial_replies(store) == []  # no evidence, answers or audit of DEU either

    again = spawn_worker(dict(db=store.url, qid=qid, replies=plan), tmp_path, "again")
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err[-2000:]
    assert out.split("\n")[:2] == ["stored FRA a duplicate", "stored DEU a accepted"]
    assert partial_replies(store, {s["evidence_sha256"]: 12 for c in ("FRA", "DEU") for s in submissions_of(store, c)}) == []
    assert [c.name for c in run_checks(store) if not c.ok] == []
