"""Read returned forms in worker processes with memory and time limits.

The spreadsheet readers underneath include native code (calamine is Rust): a hostile file
can make one abort the whole process, exhaust memory or loop. Each file is therefore read in
a persistent worker process whose address space is capped (RLIMIT_AS); a worker that dies,
runs out of memory or overruns its time costs only that file, which is rejected with a plain
message, and the worker is replaced so the batch goes on.

    with IsolatedReader() as reader:
        for item, outcome in reader.read_many(items):
            ...  # outcome is a ReadResult or a MigqError (a ReaderRejected when isolation failed)

Workers are plain processes, one file in flight each, so a crash or a timeout is pinned on the
file that caused it (a shared pool would lose every file in flight with it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from migq.errors import MigqError
from migq.forms.guard import RejectedFile
from migq.questionnaire import Questionnaire

GIB = 1024**3
STARTUP_S = 60  # allowance for a new worker to start, on top of the reading time limit
FAULT_VARIABLE = "MIGQ_TEST_READER_FAULT"  # tests only: 'abort|hang|oom[:file name]'
_SAVE_AGAIN = "ask the sender to save it again as .xlsx and resend it"

READER_REJECTIONS: dict[str, tuple[str, str]] = {
    "reader_crashed": ("could not be read safely (the reader stopped abruptly)", _SAVE_AGAIN),
    "reader_out_of_memory": ("could not be read safely (the reader ran out of memory)", _SAVE_AGAIN),
    "reader_timeout": ("could not be read safely (reading took longer than {seconds} seconds)", _SAVE_AGAIN),
    "reader_failed": ("could not be read ({detail})", _SAVE_AGAIN),
}


class ReaderRejected(RejectedFile):
    """A file the isolated reader gave up on; a ``RejectedFile`` with a reader ``code``."""

    def __init__(self, code: str, path: str | Path, **values):
        what, todo = READER_REJECTIONS[code]
        self.code, self.name, self.values = code, Path(path).name, values
        self.what = what.format(**values)
        MigqError.__init__(self, f"{self.name} {self.what}: {todo}.", path=str(path))
        self.hint = todo


class ReadItem(NamedTuple):
    data: bytes
    kind: str
    file_name: str
    questionnaires: list[Questionnaire]


# --- the worker side -----------------------------------------------------------------------------


def _limit_memory(memory_bytes: int | None) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: time limits still apply
        return
    if memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _test_fault(fault: str | None, file_name: str) -> None:
    """Misbehave on purpose, so tests can see a crash, a hang or memory exhaustion handled."""
    if not fault:
        return
    what, _, only = fault.partition(":")
    if only and only != file_name:
        return
    if what == "abort":
        os.abort()
    if what == "hang":
        time.sleep(3600)
    if what == "oom":
        hog = []
        while True:
            hog.append(bytearray(64 * 1024 * 1024))


def _worker_main(read_fd: int, write_fd: int, memory_bytes: int | None) -> None:
    from multiprocessing.connection import Connection

    from migq.forms.reader import read_form

    _limit_memory(memory_bytes)
    fault = os.environ.get(FAULT_VARIABLE)
    conn_in, conn_out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    known: dict[int, list[Questionnaire]] = {}
    conn_out.send(("ready", None))  # the time limit counts from here, not from interpreter start
    while True:
        try:
            task = conn_in.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        token, questionnaires, data, kind, file_name = task
        if questionnaires is not None:
            known[token] = questionnaires
        try:
            _test_fault(fault, file_name)
            reply = ("ok", read_form(data, kind, file_name, known[token]))
        except MemoryError:
            reply = ("oom", None)
        except MigqError as exc:
            reply = ("error", (type(exc), exc.message, exc.hint, exc.path))
        except Exception as exc:  # a reader bug or a library tripping on a strange file
            reply = ("failed", f"{type(exc).__name__}: {exc}"[:300])
        del data, task
        try:
            conn_out.send(reply)
        except MemoryError:
            conn_out.send(("oom", None))
        if reply[0] == "oom":
            return  # a process that ran out of memory is not trusted with the next file


# --- the parent side ----------------------------------------------------------------------------


def _rebuild(cls: type, message: str, hint: str | None, path: str | None) -> MigqError:
    """The worker's MigqError again, of its own class (pickling would lose hint and path)."""
    if not (isinstance(cls, type) and issubclass(cls, MigqError)):
        cls = MigqError
    err = cls.__new__(cls)
    err.message, err.hint, err.path = message, hint, path
    Exception.__init__(err, err.render())
    return err


class _Worker:
    """One worker: a fresh interpreter (not a fork of this one, which may be large and
    threaded, and not multiprocessing's spawn, which re-runs the caller's main script)."""

    def __init__(self, memory_bytes: int | None):
        from multiprocessing.connection import Connection

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "migq.forms.isolate", str(to_child_r), str(from_child_w), str(memory_bytes or 0)],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)  # so a dead child reads as end-of-file here
        self.send_conn = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)
        self.tokens: set[int] = set()
        self.item: ReadItem | None = None
        self.original = None
        self.deadline = 0.0
        self.ready = False

    def submit(self, original, item: ReadItem, token: int, timeout_s: float) -> None:
        questionnaires = None if token in self.tokens else list(item.questionnaires)
        self.deadline = time.monotonic() + timeout_s + (0 if self.ready else STARTUP_S)
        self.item, self.original = item, original
        try:
            self.send_conn.send((token, questionnaires, item.data, item.kind, item.file_name))
        except OSError:
            pass  # the worker is gone: its end-of-file reports the crash
        self.tokens.add(token)

    def stop(self, kill: bool = False) -> None:
        if not kill and self.process.poll() is None:
            try:
                self.send_conn.send(None)
                self.process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.send_conn.close()
        self.conn.close()


class IsolatedReader:
    """Read forms in a persistent set of capped worker processes. Use as a context manager."""

    def __init__(self, workers: int | None = None, timeout_s: float = 30, memory_bytes: int | None = int(1.5 * GIB)):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s, self.memory_bytes = timeout_s, memory_bytes
        self._idle: list[_Worker] = []
        self._tokens: dict[tuple, tuple[int, list]] = {}

    def __enter__(self) -> "IsolatedReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().stop()

    def read(self, data: bytes, kind: str, file_name: str, questionnaires: list[Questionnaire]):
        """One form's ReadResult; raises ``MigqError`` (``ReaderRejected`` if isolation failed)."""
        for _, outcome in self.read_many([ReadItem(data, kind, file_name, questionnaires)]):
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

    def read_many(self, items: Iterable) -> Iterator[tuple[object, object]]:
        """Yield ``(item, ReadResult | MigqError)`` for each item as it completes.

        Items are ``ReadItem``s or any 4-sequences (data, kind, file_name, questionnaires).
        """
        pending = iter(items)
        busy: list[_Worker] = []
        exhausted = False
        while True:
            while not exhausted and len(busy) < self.workers:
                original = next(pending, None)
                if original is None:
                    exhausted = True
                    break
                item = original if isinstance(original, ReadItem) else ReadItem(*original)
                worker = self._idle.pop() if self._idle else _Worker(self.memory_bytes)
                worker.submit(original, item, self._token(item.questionnaires), self.timeout_s)
                busy.append(worker)
            if not busy:
                return
            remaining = min(w.deadline for w in busy) - time.monotonic()
            ready = set(wait([w.conn for w in busy], timeout=max(0.0, remaining)))
            now = time.monotonic()
            for worker in list(busy):
                outcome = self._outcome(worker, ready, now)
                if outcome is None:
                    continue
                busy.remove(worker)
                yield worker.original, outcome

    def _token(self, questionnaires) -> int:
        """A number standing for this list of questionnaires, so each worker is sent it once.
        The list is kept alive here, so its ids cannot be reused by other objects."""
        key = tuple(id(q) for q in questionnaires)
        if key not in self._tokens:
            self._tokens[key] = (len(self._tokens), list(questionnaires))
        return self._tokens[key][0]

    def _outcome(self, worker: _Worker, ready: set, now: float):
        """The worker's result if it has one (or has failed); None while it is still reading."""
        name = worker.item.file_name
        if worker.conn in ready:
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError):
                status, payload = None, None
            if status is None:
                try:
                    code = worker.process.wait(1)
                except subprocess.TimeoutExpired:
                    code = None
                worker.stop(kill=True)
                return ReaderRejected("reader_crashed", name, exit_code=code)
            if status == "ready":
                worker.ready, worker.deadline = True, now + self.timeout_s
                return None
            if status == "oom":
                worker.stop(kill=True)
                return ReaderRejected("reader_out_of_memory", name)
            self._idle.append(worker)
            if status == "ok":
                return payload
            if status == "error":
                return _rebuild(*payload)
            return ReaderRejected("reader_failed", name, detail=payload)
        if now >= worker.deadline:
            worker.stop(kill=True)
            return ReaderRejected("reader_timeout", name, seconds=f"{self.timeout_s:g}")
        return None


if __name__ == "__main__":  # a worker: python -m migq.forms.isolate READ_FD WRITE_FD MEMORY_BYTES
    _worker_main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) or None)
