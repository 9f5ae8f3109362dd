"""The worker side of isolated reading: a capped process that guards and reads one file at a time.

Started by ``migq.forms.isolate`` as ``python -m migq.forms.isolate_worker READ_FD WRITE_FD
MEMORY_BYTES``. Tasks and replies are pickled by the parent and here, and travel as byte
messages over two pipes, so the parent knows the size of every message it has queued.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path

from migq.errors import MigqError
from migq.forms.guard import GuardLimits, RejectedFile
from migq.questionnaire import Questionnaire

FAULT_VARIABLE = "MIGQ_TEST_READER_FAULT"  # tests only: 'abort|hang|oom[:file name]'
NICENESS = 5  # added to the caller's: see _yield_to_caller


def guard_and_read(data: bytes, kind: str, file_name: str, questionnaires: list[Questionnaire],
                   limits: GuardLimits | None):
    """The guard (if given limits), then the reader; the guard's warnings lead the problems."""
    from migq.forms.guard import inspect_file
    from migq.forms.reader import read_form

    if limits is None:
        return read_form(data, kind, file_name, questionnaires)
    report = inspect_file(Path(file_name), data, limits)
    result = read_form(data, report.kind, file_name, questionnaires, report.package)
    result.problems[:0] = report.warnings
    return result


def _limit_memory(memory_bytes: int | None) -> None:
    """Cap the address space at what the process already maps plus ``memory_bytes``: a worker
    forked from a large caller starts with the caller's mappings, which are not the file's doing."""
    try:
        import resource
    except ImportError:  # not on this platform: time limits still apply
        return
    if memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = proc_status(b"VmSize:") * 1024 + memory_bytes
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _yield_to_caller() -> None:
    """Run at a lower priority than the caller. The caller stores each result as it comes
    back, one after another: when it waits for a core the workers soon wait for it, so on a
    machine with fewer cores than processes it must get the CPU first. Workers take the rest."""
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # no nice() on this platform: priorities stay equal
        pass


def proc_status(field: bytes) -> int:
    """A number from /proc/self/status (b'VmSize:' in kB, b'Threads:'...); 0 where unreadable."""
    try:
        with open("/proc/self/status", "rb") as status:
            return next((int(line.split()[1]) for line in status if line.startswith(field)), 0)
    except (OSError, ValueError, IndexError):
        return 0


def detach(keep: tuple[int, ...]) -> None:
    """In a worker just forked from the caller: let go of everything of the caller's. Every
    descriptor but ``keep`` is closed (the caller's database, terminal and other workers' pipes:
    a pipe end held here would hide another worker's end-of-file), standard streams go to
    /dev/null, and every signal handler the caller installed is put back to the default."""
    import signal

    for signum in signal.valid_signals():
        try:
            if callable(signal.getsignal(signum)):
                signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    edges = sorted({2, *keep})  # close what lies between stdio and the kept ends, and above them
    for low, high in zip(edges, [*edges[1:], os.sysconf("SC_OPEN_MAX")]):
        os.closerange(low + 1, high)


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


def _answer(token_questionnaires: dict, task, fault: str | None):
    token, questionnaires, data, kind, file_name, limits = task
    if questionnaires is not None:
        token_questionnaires[token] = questionnaires
    try:
        _test_fault(fault, file_name)
        return ("ok", guard_and_read(data, kind, file_name, token_questionnaires[token], limits))
    except MemoryError:
        return ("oom", None)
    except RejectedFile as exc:  # rebuilt from its code and values: the same sentence
        return ("rejected", (exc.code, exc.path, exc.values))
    except MigqError as exc:
        return ("error", (type(exc), exc.message, exc.hint, exc.path))
    except Exception as exc:  # a reader bug or a library tripping on a strange file
        return ("failed", f"{type(exc).__name__}: {exc}"[:300])


def load() -> None:
    """Load everything reading needs, before 'ready': start-up is not counted as reading time,
    and a worker that cannot load it fails now, where the parent starts workers another way
    (see migq.forms.isolate_spawn), instead of on a file that would then be blamed. Workers
    forked from a process that ran this have it all: what reading imported later, every
    worker would import again on its first file (a test keeps this list whole)."""
    import encodings.cp437  # noqa: F401  (ZIP member names without the UTF-8 flag)
    import importlib.util
    import multiprocessing.connection  # noqa: F401

    import defusedxml.ElementTree  # noqa: F401
    import python_calamine  # noqa: F401

    import migq.forms.reader  # noqa: F401

    if importlib.util.find_spec("xlrd") is None:  # .xls only: found, loaded when needed
        raise SystemExit(3)


def serve(read_fd: int, write_fd: int, memory_bytes: int | None) -> None:
    """Read the files the parent sends, one at a time, until it says goodbye or goes away."""
    from multiprocessing.connection import Connection

    _limit_memory(memory_bytes)
    _yield_to_caller()
    fault = os.environ.get(FAULT_VARIABLE)
    conn_in, conn_out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    known: dict[int, list[Questionnaire]] = {}
    conn_out.send_bytes(pickle.dumps(("ready", os.getpid())))  # time limits count from here
    while True:
        try:
            message = conn_in.recv_bytes()
        except (EOFError, OSError):
            return
        if not message:
            return  # the parent's polite goodbye
        try:
            reply = _answer(known, pickle.loads(message), fault)
        except MemoryError:
            reply = ("oom", None)
        del message
        try:
            conn_out.send_bytes(pickle.dumps(reply))
        except MemoryError:
            conn_out.send_bytes(pickle.dumps(("oom", None)))
        if reply[0] == "oom":
            return  # a process that ran out of memory is not trusted with the next file


def template(control_fd: int, memory_bytes: int | None) -> None:
    """Load once, then fork a worker for each pair of pipe ends the parent sends, until the
    parent closes the control socket. Single-threaded, so forking is safe."""
    import signal
    import socket

    load()
    # Reap each worker as it ends, so no zombie lingers and its CPU time is counted (a parent
    # waiting for the template then sees its workers' usage too).
    signal.signal(signal.SIGCHLD, lambda *_: _reap(block=False))
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 2)
        except OSError:
            message, fds = b"", []
        if not message:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _reap(block=True)
            os._exit(0)  # nothing to flush or finalise: skip the interpreter's slow teardown
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:  # the worker
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                serve(fds[0], fds[1], memory_bytes)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _reap(block: bool) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(read_fd: int, write_fd: int, memory_bytes: int | None) -> None:
    load()
    serve(read_fd, write_fd, memory_bytes)


if __name__ == "__main__":
    if sys.argv[1] == "--template":
        template(int(sys.argv[2]), int(sys.argv[3]) or None)
    else:
        main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) or None)
