"""Isolated reading: a file that crashes, hangs or exhausts its reader costs only itself."""

from __future__ import annotations

from datetime import date

import pytest

from formtools import fill_form, make_form
from migq.errors import MigqError
from migq.forms.guard import RejectedFile
from migq.forms.isolate import FAULT_VARIABLE, IsolatedReader, ReadItem
from migq.questionnaire import Choice, Question, Questionnaire

Q = Questionnaire(
    form_id="iso", version="1", titles={"en": "Q"}, default_language="en", languages=("en",),
    items=(Question("sole", "select_one", {"en": "Sole?"}, list_name="yn",
                    choices=(Choice("yes", {"en": "Yes"}), Choice("no", {"en": "No"}))),
           Question("n", "integer", {"en": "N"})),
    deadline=date(2008, 4, 30),
)


@pytest.fixture
def caller_fork(monkeypatch):
    """Workers are forks of this process. Earlier tests in this process may have left idle
    native threads (pyarrow's allocator and pool): they are counted as none here, as they never
    touch a reader. That a threaded caller gets template workers is tested on its own."""
    import migq.forms.isolate_spawn as spawn

    monkeypatch.setattr(spawn, "threads_running", lambda: 1)
    assert spawn.can_fork_caller()


@pytest.fixture
def no_caller_fork(monkeypatch):
    """For tests of starting interpreters: workers are not forks of this process."""
    import migq.forms.isolate_spawn as spawn

    monkeypatch.setattr(spawn, "can_fork_caller", lambda: False)


@pytest.fixture(params=["caller", "template"])
def start(request):
    """How workers start: forks of this process, or forks of a template interpreter."""
    request.getfixturevalue("caller_fork" if request.param == "caller" else "no_caller_fork")
    return request.param


def started_as(reader) -> set[str]:
    return {type(w.process).__name__ for w in reader._pool}


STARTED = {"caller": {"ChildProcess"}, "template": {"ForkedProcess"}}


@pytest.fixture(scope="module")
def good():
    return fill_form(make_form(Q), {"sole": "Yes", "n": 3})


def items(good, names):
    return [ReadItem(good, "xlsx", name, [Q]) for name in names]


def outcomes(reader, good, names):
    return {item.file_name: outcome for item, outcome in reader.read_many(items(good, names))}


def test_reads_a_batch_in_parallel(good, start):
    with IsolatedReader(workers=2) as reader:
        assert started_as(reader) == STARTED[start]
        got = outcomes(reader, good, [f"{i}.xlsx" for i in range(5)])
        assert {name: r.answers["sole"].value for name, r in got.items()} == {f"{i}.xlsx": "yes" for i in range(5)}
        assert reader.read(good, "xlsx", "one.xlsx", [Q]).answers["n"].value == "3"


def test_not_a_form_comes_back_as_the_readers_own_error(good):
    from openpyxl import Workbook
    import io

    buf = io.BytesIO()
    Workbook().save(buf)
    with IsolatedReader(workers=1) as reader:
        with pytest.raises(MigqError) as err:
            reader.read(buf.getvalue(), "xlsx", "budget.xlsx", [Q])
        assert str(err.value).startswith("budget.xlsx is not a migq form")
        assert reader.read(good, "xlsx", "next.xlsx", [Q]).answers["sole"].value == "yes"


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fault, code, words, limits", [
    ("abort", "reader_crashed", "stopped abruptly", {}),
    ("hang", "reader_timeout", "took longer than 0.5 seconds", {"timeout_s": 0.5}),
    ("oom", "reader_out_of_memory", "ran out of memory", {"memory_bytes": 256 * 1024**2}),
])
def test_a_misbehaving_reader_rejects_only_its_file(monkeypatch, good, fault, code, words, limits, workers, start):
    # With one worker, the file after bad.xlsx is queued behind it in the dying worker's pipe:
    # it must be read by the replacement, not blamed.
    monkeypatch.setenv(FAULT_VARIABLE, f"{fault}:bad.xlsx")
    with IsolatedReader(workers=workers, **limits) as reader:
        got = outcomes(reader, good, ["a.xlsx", "bad.xlsx", "b.xlsx", "c.xlsx"])
        assert started_as(reader) == STARTED[start]  # replacements too
        bad = got.pop("bad.xlsx")
        assert isinstance(bad, RejectedFile) and bad.code == code
        assert str(bad) == f"bad.xlsx could not be read safely (the reader {words}): ask the sender to save it again as .xlsx and resend it." \
            if fault != "hang" else words in str(bad)
        assert all(r.answers["sole"].value == "yes" for r in got.values()) and len(got) == 3
        # the replaced worker reads the next file
        assert reader.read(good, "xlsx", "after.xlsx", [Q]).answers["n"].value == "3"
        with pytest.raises(RejectedFile):
            reader.read(good, "xlsx", "bad.xlsx", [Q])


def test_the_guard_runs_in_the_worker_and_its_rejection_comes_back_whole(good):
    from migq.forms.guard import GuardLimits

    hostile = ReadItem(b"%PDF-1.7\n...", "", "answers.xlsx", [Q], GuardLimits())
    guarded = ReadItem(good, "", "FRA.xlsx", [Q], GuardLimits())
    with IsolatedReader(workers=1) as reader:
        got = {item.file_name: outcome for item, outcome in reader.read_many([hostile, guarded])}
    assert isinstance(got["answers.xlsx"], RejectedFile) and got["answers.xlsx"].code == "pdf"
    assert str(got["answers.xlsx"]).startswith("answers.xlsx is a PDF document, not a workbook: ask the sender")
    assert got["FRA.xlsx"].kind == "xlsx" and got["FRA.xlsx"].answers["sole"].value == "yes"


def test_a_caller_that_stops_early_leaves_no_worker_behind(good):
    with IsolatedReader(workers=2) as reader:
        for _ in reader.read_many(items(good, [f"{i}.xlsx" for i in range(6)])):
            break
        assert reader.read(good, "xlsx", "again.xlsx", [Q]).answers["sole"].value == "yes"
        processes = [w.process for w in reader._pool]
    assert all(p.poll() is not None for p in processes)


def test_another_copy_of_migq_in_the_working_folder_is_not_what_the_workers_run(good, tmp_path, monkeypatch, no_caller_fork):
    impostor = tmp_path / "migq" / "forms"
    impostor.mkdir(parents=True)
    (tmp_path / "migq" / "__init__.py").write_text("")
    (impostor / "__init__.py").write_text("")
    (impostor / "isolate_worker.py").write_text("raise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)  # 'python -m' would look here first
    with IsolatedReader(workers=1) as reader:
        assert reader.read(good, "xlsx", "FRA.xlsx", [Q]).answers["sole"].value == "yes"


def test_a_worker_that_cannot_start_quickly_is_started_the_ordinary_way(good, monkeypatch, no_caller_fork):
    import migq.forms.isolate_spawn as spawn

    monkeypatch.setattr(spawn, "_fast_path", lambda: ["/nonexistent"])  # no site-packages
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    with IsolatedReader(workers=1) as reader:
        got = outcomes(reader, good, ["a.xlsx", "b.xlsx"])
        assert {name: r.answers["sole"].value for name, r in got.items()} == {"a.xlsx": "yes", "b.xlsx": "yes"}
        assert [(w.fast, w.forked) for w in reader._pool] == [(False, False)]


def test_readers_that_cannot_start_at_all_stop_the_run_with_one_message(good, monkeypatch, no_caller_fork):
    import migq.forms.isolate_spawn as spawn

    monkeypatch.setattr(spawn, "WORKER_MODULE", "migq.forms.no_such_worker")
    with IsolatedReader(workers=2) as reader:
        with pytest.raises(MigqError, match="the isolated reader processes cannot start") as err:
            outcomes(reader, good, ["a.xlsx", "b.xlsx"])
    assert "reinstall migq" in err.value.hint


def test_workers_are_forked_from_a_template_and_replaced_without_it_when_it_is_gone(monkeypatch, good, no_caller_fork):
    monkeypatch.setenv(FAULT_VARIABLE, "abort:bad.xlsx")
    with IsolatedReader(workers=1) as reader:
        assert [w.forked for w in reader._pool] == [True]
        reader._template.process.kill()  # the template dies; its worker reads on
        got = outcomes(reader, good, ["a.xlsx", "bad.xlsx", "b.xlsx"])
        assert isinstance(got.pop("bad.xlsx"), RejectedFile)
        assert {name: r.answers["sole"].value for name, r in got.items()} == {"a.xlsx": "yes", "b.xlsx": "yes"}
        assert [w.forked for w in reader._pool] == [False]  # its replacement is a fresh interpreter


def test_a_batch_of_crashing_files_is_rejected_quickly(monkeypatch, good, start):
    """Workers lost to files are forked again, not restarted from scratch."""
    monkeypatch.setenv(FAULT_VARIABLE, "abort")
    with IsolatedReader(workers=2) as reader:
        got = outcomes(reader, good, [f"{i}.xlsx" for i in range(12)])
        assert all(isinstance(r, RejectedFile) and r.code == "reader_crashed" for r in got.values())
        assert len(got) == 12 and started_as(reader) == STARTED[start]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="forks the caller on Linux only")
def test_a_worker_forked_from_the_caller_holds_nothing_of_the_callers(good, caller_fork, tmp_path):
    import os
    import signal
    import time

    marker = tmp_path / "handler-ran"
    kept = open(tmp_path / "callers-file", "wb")  # like the caller's database
    previous = signal.signal(signal.SIGUSR1, lambda *_: marker.write_text("ran"))  # a handler of the caller's
    try:
        with IsolatedReader(workers=2) as reader:
            assert {r.answers["sole"].value for r in outcomes(reader, good, ["a.xlsx", "b.xlsx"]).values()} == {"yes"}
            for worker in reader._pool:
                pid = worker.process.pid
                fds = os.listdir(f"/proc/{pid}/fd")
                # its standard streams and its own two pipe ends: not the file, not the other
                # worker's pipes (which would hide that worker's end-of-file from us)
                assert len(fds) == 5
                assert [os.readlink(f"/proc/{pid}/fd/{n}") for n in (0, 1, 2)] == ["/dev/null"] * 3
            worker = reader._pool[0]
            os.kill(worker.process.pid, signal.SIGUSR1)
            deadline = time.monotonic() + 5
            while worker.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            # the signal's default action ended it: the caller's handler did not run there
            assert worker.process.poll() == -signal.SIGUSR1 and not marker.exists()
    finally:
        signal.signal(signal.SIGUSR1, previous)
        kept.close()


def test_a_caller_running_threads_gets_workers_from_the_template(good):
    import threading

    import migq.forms.isolate_spawn as spawn

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not spawn.can_fork_caller()
        with IsolatedReader(workers=1) as reader:
            assert reader.read(good, "xlsx", "a.xlsx", [Q]).answers["sole"].value == "yes"
            assert started_as(reader) == {"ForkedProcess"}
    finally:
        stop.set()
        thread.join()


def test_a_forked_worker_that_cannot_start_blames_no_file(good, caller_fork, monkeypatch):
    import migq.forms.isolate_worker as worker_side

    def broken(*_):
        raise RuntimeError("cannot serve")

    monkeypatch.setattr(worker_side, "serve", broken)  # runs in the forked child only
    with IsolatedReader(workers=1) as reader:
        got = outcomes(reader, good, ["a.xlsx", "b.xlsx"])
        assert {name: r.answers["sole"].value for name, r in got.items()} == {"a.xlsx": "yes", "b.xlsx": "yes"}
        assert [(w.fast, w.forked) for w in reader._pool] == [(False, False)]


def test_the_command_line_process_forks_its_workers_itself(good, tmp_path):
    """What `migq ingest` runs in is single-threaded (numpy's pools are not loaded), so its
    workers are forks of it, not of a template interpreter started for the run."""
    import subprocess
    import sys

    form = tmp_path / "FRA.xlsx"
    form.write_bytes(good)
    script = (
        "import sys, migq.cli\n"
        "from test_isolate_subject import Q\n"
        "from migq.forms.isolate import IsolatedReader\n"
        "with IsolatedReader(workers=1) as reader:\n"
        f"    result = reader.read(open({str(form)!r}, 'rb').read(), 'xlsx', 'FRA.xlsx', [Q])\n"
        "    print(type(reader._pool[0].process).__name__, result.answers['sole'].value)\n"
    )
    (tmp_path / "test_isolate_subject.py").write_text(
        "import datetime\nfrom migq.questionnaire import Choice, Question, Questionnaire\n"
        f"Q = {Q!r}\n")
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["ChildProcess", "yes"], done.stderr


@pytest.mark.skipif(not hasattr(__import__("os"), "getpriority"), reason="no process priorities here")
def test_workers_run_at_a_lower_priority_than_the_caller(good, start):
    import os

    from migq.forms.isolate_worker import NICENESS

    with IsolatedReader(workers=2) as reader:
        assert len(outcomes(reader, good, ["a.xlsx", "b.xlsx"])) == 2  # both ready: their pids are known
        caller = os.getpriority(os.PRIO_PROCESS, 0)
        workers = {os.getpriority(os.PRIO_PROCESS, w.process.pid) for w in reader._pool}
    assert workers == {min(caller + NICENESS, 19)}


def test_reading_a_form_imports_nothing_the_workers_did_not_load_before_they_started(tmp_path):
    """Workers are forked after isolate_worker.load(); whatever reading imports later, each
    worker imports again on its first file, once per worker and per run."""
    import subprocess
    import sys
    from dataclasses import replace

    ruled = replace(Q, items=(Q.items[0], replace(Q.items[1], relevant="${sole} = 'yes'", constraint=". > 0")))
    form = tmp_path / "FRA.xlsx"
    form.write_bytes(fill_form(make_form(ruled), {"sole": "Yes", "n": 3}))
    script = (
        "import sys\n"
        "from test_isolate_subject import Q\n"
        "from migq.forms import isolate_worker\n"
        "from migq.forms.guard import GuardLimits\n"
        "isolate_worker.load()\n"
        "before = set(sys.modules)\n"
        f"result = isolate_worker.guard_and_read(open({str(form)!r}, 'rb').read(), '', 'FRA.xlsx', [Q], GuardLimits())\n"
        "print(result.answers['n'].value, sorted(set(sys.modules) - before))\n"
    )
    (tmp_path / "test_isolate_subject.py").write_text(
        "import datetime\nfrom migq.questionnaire import Choice, Question, Questionnaire\n"
        f"Q = {ruled!r}\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "3 []", done.stderr
