"""Read returned forms in worker processes with memory and time limits.

The spreadsheet readers underneath include native code (calamine is Rust): a hostile file
can make one abort the whole process, exhaust memory or loop. Each file is therefore read in
a persistent worker process whose address space is capped (RLIMIT_AS); a worker that dies,
runs out of memory or overruns its time costs only that file, which is rejected with a plain
message, and the worker is replaced so the batch goes on.

    with IsolatedReader() as reader:
        for item, outcome in reader.read_many(items):
            ...  # outcome is a ReadResult or a MigqError (a ReaderRejected when isolation failed)

Workers are plain processes that read one file at a time, so a crash or a timeout is pinned on
the file that caused it (a shared pool would lose every file in flight with it). The next two
files are queued in a worker's pipe while it reads (only if the pipe can hold them, so queuing
never blocks): a worker does not wait for this process to finish storing the last result. A
file that was queued behind one that killed its worker is not blamed; it goes to the next worker.
Given guard limits, a worker also runs the guard (``migq.forms.guard``) on the file before
reading it: the checks run in parallel, under the same limits, and hand the reader the parts
they already inflated. Workers start when the reader is entered, so their start-up overlaps
the caller's own. Where it is safe they are forks of this process itself; otherwise they are
forked from one prepared interpreter; either way a worker lost to a file is replaced in
milliseconds (``migq.forms.isolate_spawn``). A worker's memory cap is counted on top of what it
maps when it starts. A worker that dies before it is ready blames no file. The worker side is
``migq.forms.isolate_worker``.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import time
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from migq.errors import MigqError
from migq.forms import isolate_spawn as spawn
from migq.forms.guard import GuardLimits, RejectedFile
from migq.forms.isolate_spawn import Spawned, Template, start_interpreter
from migq.forms.isolate_worker import FAULT_VARIABLE
from migq.questionnaire import Questionnaire

__all__ = ["FAULT_VARIABLE", "IsolatedReader", "ReadItem", "ReaderRejected"]

GIB = 1024**3
STARTUP_S = 60  # allowance for a new worker to start, on top of the reading time limit
# Files waiting in a worker's pipe behind the one it reads. One was not enough: this process
# stores results one by one and, on a machine with few cores, is sometimes slower than the
# workers for a while; a second queued file keeps a worker reading meanwhile.
QUEUED = 2
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
    kind: str  # '' when the guard is to tell (given ``limits``)
    file_name: str
    questionnaires: list[Questionnaire]
    limits: GuardLimits | None = None  # run the guard first, with these limits
    tag: object = None  # the caller's own, handed back with the result (not sent to the worker)


def _rebuild(cls: type, message: str, hint: str | None, path: str | None) -> MigqError:
    """The worker's MigqError again, of its own class (pickling would lose hint and path)."""
    if not (isinstance(cls, type) and issubclass(cls, MigqError)):
        cls = MigqError
    err = cls.__new__(cls)
    err.message, err.hint, err.path = message, hint, path
    Exception.__init__(err, err.render())
    return err


class _Task(NamedTuple):
    original: object
    item: ReadItem
    size: int  # bytes of the pickled message, queued in the pipe until the worker reads it


class _Worker:
    """One worker process (see migq.forms.isolate_spawn for how it is started)."""

    def __init__(self, spawned: Spawned, fast: bool, forked: bool):
        from multiprocessing.connection import Connection

        self.process = spawned.process
        self.pipe_bytes = spawned.pipe_bytes
        self.fast, self.forked = fast, forked
        self.send_conn = Connection(spawned.send_fd, readable=False)
        self.conn = Connection(spawned.recv_fd, writable=False)
        self.tokens: set[int] = set()
        self.tasks: deque[_Task] = deque()  # the first is being read; the rest wait in the pipe
        self.deadline = 0.0
        self.ready = False
        self.said_goodbye = False

    def message(self, item: ReadItem, token: int) -> bytes:
        questionnaires = None if token in self.tokens else list(item.questionnaires)
        return pickle.dumps((token, questionnaires, item.data, item.kind, item.file_name, item.limits))

    def can_queue(self, size: int) -> bool:
        """Room for one more file behind the one being read: fewer than QUEUED wait, and the
        pipe holds the message on top of every one not yet answered (so sending never blocks)."""
        return (self.ready and 1 <= len(self.tasks) <= QUEUED
                and sum(t.size for t in self.tasks) + size < self.pipe_bytes)

    def submit(self, original, item: ReadItem, token: int, message: bytes, timeout_s: float) -> None:
        if not self.tasks:
            self.deadline = time.monotonic() + timeout_s + (0 if self.ready else STARTUP_S)
        self.tasks.append(_Task(original, item, len(message)))
        try:
            self.send_conn.send_bytes(message)
        except OSError:
            pass  # the worker is gone: its end-of-file reports the crash
        self.tokens.add(token)

    def goodbye(self) -> None:
        """Ask the worker to exit (it closes its pipe); ``stop`` then waits for it."""
        if not self.said_goodbye and self.process.poll() is None:
            self.said_goodbye = True
            try:
                self.send_conn.send_bytes(b"")
            except OSError:
                pass

    def stop(self, kill: bool = False) -> None:
        if not kill and self.process.poll() is None:
            self.goodbye()
            self._drain(timeout_s=2)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.send_conn.close()  # a forked worker not yet started sees end-of-file and exits
        self.conn.close()

    def _drain(self, timeout_s: float) -> None:
        """Read what the worker still says (its 'ready', say) until its end-of-file."""
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0 and wait([self.conn], timeout=remaining):
            try:
                status, payload = pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                return
            if status == "ready" and self.forked:
                self.process.pid = payload


class IsolatedReader:
    """Read forms in a persistent set of capped worker processes. Use as a context manager."""

    def __init__(self, workers: int | None = None, timeout_s: float = 30, memory_bytes: int | None = int(1.5 * GIB)):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s, self.memory_bytes = timeout_s, memory_bytes
        self._fast = True  # start interpreters without 'site' until one fails to start that way
        self._fork_caller = True  # fork this process itself while that is safe (see isolate_spawn)
        self._template: Template | None = None  # forks the workers; None: fresh interpreters
        self._template_tried = False
        self._pool: list[_Worker] = []
        self._tokens: dict[tuple, tuple[int, list]] = {}

    def __enter__(self) -> "IsolatedReader":
        # Start every worker now: they import their readers while the caller gets ready.
        while len(self._pool) < self.workers:
            self._pool.append(self._new_worker())
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def let_go(self) -> None:
        """Tell every idle worker there is nothing more to read: they exit while the caller
        finishes its own work; ``close`` then only waits for them."""
        for worker in self._pool:
            if not worker.tasks:
                worker.goodbye()

    def close(self) -> None:
        for worker in self._pool:
            worker.goodbye()  # all at once: they exit side by side
        while self._pool:
            self._pool.pop().stop()
        self._drop_template()

    def _drop_template(self) -> None:
        if self._template is not None:
            self._template.close()
            self._template = None

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
        while len(self._pool) < self.workers:
            self._pool.append(self._new_worker())
        feed = _Feed(items)
        try:
            while True:
                self._assign(feed)
                busy = [w for w in self._pool if w.tasks]
                if not busy:
                    return
                remaining = min(w.deadline for w in busy) - time.monotonic()
                ready = set(wait([w.conn for w in busy], timeout=max(0.0, remaining)))
                now = time.monotonic()
                done = [r for w in busy if (r := self._outcome(w, ready, now, feed)) is not None]
                self._assign(feed)  # the freed workers start on the next files while the caller handles these
                yield from done
        finally:
            for worker in [w for w in self._pool if w.tasks]:
                worker.stop(kill=True)  # the caller stopped early: files in flight are dropped
                self._pool.remove(worker)

    def _assign(self, feed: "_Feed") -> None:
        """Give each idle worker a file, then queue files behind the busy ones, a round at a
        time (so that no worker is left with nothing queued while another has two)."""
        for worker in self._pool:
            if not worker.tasks and not feed.empty():
                self._submit(worker, feed.take())
        for depth in range(1, QUEUED + 1):
            for worker in self._pool:
                if not (worker.ready and len(worker.tasks) == depth) or feed.empty():
                    continue
                original, item = feed.peek()
                token = self._token(item.questionnaires)
                message = worker.message(item, token)
                if worker.can_queue(len(message)):
                    feed.take()
                    worker.submit(original, item, token, message, self.timeout_s)

    def _submit(self, worker: _Worker, entry) -> None:
        original, item = entry
        token = self._token(item.questionnaires)
        worker.submit(original, item, token, worker.message(item, token), self.timeout_s)

    def _new_worker(self) -> _Worker:
        if self._fork_caller and spawn.can_fork_caller():
            try:
                return _Worker(spawn.fork_caller(self.memory_bytes), self._fast, forked=True)
            except OSError:
                self._fork_caller = False
        if not self._template_tried:
            self._template_tried = True
            try:
                self._template = Template(self.memory_bytes, self._fast)
            except OSError:
                self._template = None
        if self._template is not None:
            try:
                return _Worker(self._template.fork(), self._fast, forked=True)
            except OSError:  # the template is gone: fresh interpreters from now on
                self._drop_template()
        return _Worker(start_interpreter(self.memory_bytes, self._fast), self._fast, forked=False)

    def _token(self, questionnaires) -> int:
        """A number standing for this list of questionnaires, so each worker is sent it once.
        The list is kept alive here, so its ids cannot be reused by other objects."""
        key = tuple(id(q) for q in questionnaires)
        if key not in self._tokens:
            self._tokens[key] = (len(self._tokens), list(questionnaires))
        return self._tokens[key][0]

    def _failed_start(self, worker: _Worker, feed, code) -> None:
        """A worker died before it was ready. Start the next ones the plainest way (a fresh,
        ordinary interpreter each); if that fails too, nothing can be read here, and that is
        the installation's problem, not the files'."""
        if not (worker.fast or worker.forked):
            raise MigqError(f"the isolated reader processes cannot start (exit code {code}).",
                            hint=f"Check the installation: 'python -m {spawn.WORKER_MODULE}' must import; "
                                 "reinstall migq with its dependencies.")
        self._fast = self._fork_caller = False
        self._template_tried = True
        self._drop_template()
        worker.stop(kill=True)
        feed.put_back([(t.original, t.item) for t in worker.tasks])
        self._pool[self._pool.index(worker)] = self._new_worker()

    def _replace(self, worker: _Worker, feed: "_Feed | None" = None) -> None:
        """Kill a worker; files queued behind the one it was reading go back to the feed."""
        worker.stop(kill=True)
        if feed is not None:
            feed.put_back([(t.original, t.item) for t in list(worker.tasks)[1:]])
        self._pool[self._pool.index(worker)] = self._new_worker()

    def _outcome(self, worker: _Worker, ready: set, now: float, feed: "_Feed"):
        """(original, result) if the worker's current file is done or failed; else None."""
        task = worker.tasks[0]
        name = task.item.file_name
        if worker.conn in ready:
            try:
                status, payload = pickle.loads(worker.conn.recv_bytes())
            except (EOFError, OSError):
                status, payload = None, None
            if status == "ready":
                worker.ready, worker.deadline = True, now + self.timeout_s
                if worker.forked:
                    worker.process.pid = payload  # now it can be killed if it hangs
                return None
            if status is None:
                try:
                    code = worker.process.wait(1)
                except subprocess.TimeoutExpired:
                    code = None
                if not worker.ready:  # it never started: no file is to blame
                    self._failed_start(worker, feed, code)
                    return None
                self._replace(worker, feed)
                return task.original, ReaderRejected("reader_crashed", name, exit_code=code)
            if status == "oom":
                self._replace(worker, feed)
                return task.original, ReaderRejected("reader_out_of_memory", name)
            worker.tasks.popleft()
            worker.deadline = now + self.timeout_s  # the queued file, if any, starts now
            if status == "ok":
                return task.original, payload
            if status == "error":
                return task.original, _rebuild(*payload)
            if status == "rejected":
                code, path, values = payload
                return task.original, RejectedFile(code, path, **values)
            return task.original, ReaderRejected("reader_failed", name, detail=payload)
        if now >= worker.deadline:
            self._replace(worker, feed)
            return task.original, ReaderRejected("reader_timeout", name, seconds=f"{self.timeout_s:g}")
        return None


class _Feed:
    """The items still to read: the caller's iterable, after any put back by a dead worker."""

    def __init__(self, items: Iterable):
        self._items = iter(items)
        self._front: deque = deque()

    def _fill(self) -> None:
        if not self._front:
            original = next(self._items, None)
            if original is not None:
                item = original if isinstance(original, ReadItem) else ReadItem(*original)
                self._front.append((original, item))

    def empty(self) -> bool:
        self._fill()
        return not self._front

    def peek(self):
        self._fill()
        return self._front[0]

    def take(self):
        self._fill()
        return self._front.popleft()

    def put_back(self, entries: list) -> None:
        self._front.extendleft(reversed(entries))

