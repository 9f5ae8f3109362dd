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


def main(read_fd: int, write_fd: int, memory_bytes: int | None) -> None:
    from multiprocessing.connection import Connection

    # Everything reading needs is loaded before 'ready': start-up is not counted as reading
    # time, and a worker that cannot load it fails now, where the parent retries another way
    # (see isolate._Worker), instead of on a file that would then be blamed.
    import importlib.util

    import defusedxml.ElementTree  # noqa: F401
    import python_calamine  # noqa: F401

    import migq.forms.reader  # noqa: F401

    if importlib.util.find_spec("xlrd") is None:  # .xls only: found, loaded when needed
        raise SystemExit(3)

    _limit_memory(memory_bytes)
    fault = os.environ.get(FAULT_VARIABLE)
    conn_in, conn_out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    known: dict[int, list[Questionnaire]] = {}
    conn_out.send_bytes(pickle.dumps(("ready", None)))  # time limits count from here
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


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) or None)
