"""Starting reader workers: forks of this process, forks of one prepared template, or fresh
interpreters.

Where it is safe, a worker is simply a fork of this process (``fork_caller``): on Linux, while
this process runs a single thread (forking a threaded process can leave a lock held forever in
the child), once the readers import here. The fork costs about a millisecond where a template
costs a tenth of a second to start, every run. The child shares nothing live with us: it closes
every inherited descriptor but its two pipe ends, points its standard streams at /dev/null,
puts every signal handler back to the default, caps its memory and ends with ``os._exit``, so
no handler, finaliser or buffer of ours ever runs in it.

Otherwise a worker is not a fork of this (threaded) process, nor a multiprocessing spawn (which
re-runs the caller's main script): it comes from a fresh interpreter that loads only the
readers. Loading them is most of a worker's start, so the reader starts one such interpreter as
a *template*, which loads everything once and then forks a worker for each request: the
workers cost one start instead of one each, and a worker lost to a hostile file is replaced in
milliseconds. The template is single-threaded when it forks, each worker caps its own memory
after the fork, and the template reaps its workers as they end. If the template cannot be
started or dies, workers are started as fresh interpreters again (``start_interpreter``).
Requests travel on a SOCK_SEQPACKET socket pair, so each carries exactly its own pair of pipe
ends.

Interpreters start without 'site' (python -S), given this process's import path instead:
'site' and the .pth files it runs are a good part of an interpreter's start. If a worker
started that way fails before it is ready (a package only a .pth hook makes importable), the
reader falls back to ordinary interpreters; see ``IsolatedReader._failed_start``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

WORKER_MODULE = "migq.forms.isolate_worker"
PIPE_BYTES = 1024 * 1024  # asked for on Linux, so a queued file fits in the pipe
DEFAULT_PIPE_BYTES = 64 * 1024


class Spawned(NamedTuple):
    process: object  # subprocess.Popen, or a ForkedProcess
    send_fd: int  # this side of the pipe to the worker
    recv_fd: int  # this side of the pipe from the worker
    pipe_bytes: int  # capacity of the pipe to the worker


def _fast_path() -> list[str]:
    """This process's import path, handed to an interpreter started without 'site'."""
    return [p for p in sys.path if p]


def _widen(fd: int) -> int:
    """Ask for a larger pipe buffer (Linux); return the buffer's size."""
    try:
        import fcntl

        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        return DEFAULT_PIPE_BYTES


def _interpreter(args: list[str], pass_fds: tuple[int, ...], fast: bool) -> subprocess.Popen:
    package_root = str(Path(__file__).resolve().parents[2])
    path = [package_root, *(_fast_path() if fast else []), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    flags = ["-S"] if fast else []
    # Run from the package's own folder: 'python -m' puts the working folder first on the
    # import path, and a user's folder may hold another copy of migq.
    return subprocess.Popen(
        [sys.executable, *flags, "-m", WORKER_MODULE, *args], pass_fds=pass_fds, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, close_fds=True, cwd=package_root,
    )


def _pipes() -> tuple[int, int, int, int, int]:
    """(worker's read fd, our write fd, our read fd, worker's write fd, pipe capacity)."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    return to_child_r, to_child_w, from_child_r, from_child_w, _widen(to_child_w)


def start_interpreter(memory_bytes: int | None, fast: bool) -> Spawned:
    """A worker in a fresh interpreter of its own."""
    child_r, send_fd, recv_fd, child_w, capacity = _pipes()
    try:
        process = _interpreter([str(child_r), str(child_w), str(memory_bytes or 0)], (child_r, child_w), fast)
    finally:
        os.close(child_r)
        os.close(child_w)  # so a dead child reads as end-of-file here
    return Spawned(process, send_fd, recv_fd, capacity)


def threads_running() -> int:
    """This process's threads, native ones included (BLAS pools, allocators'...); 0 if unknown."""
    from migq.forms.isolate_worker import proc_status

    return proc_status(b"Threads:")


def can_fork_caller() -> bool:
    """Whether workers may be forks of this process: Linux, one thread, and the readers load."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or threads_running() != 1:
        return False
    from migq.forms import isolate_worker

    try:
        isolate_worker.load()  # once per process; a failure here falls back to the template
    except (ImportError, SystemExit):
        return False
    return True


def fork_caller(memory_bytes: int | None) -> Spawned:
    """A worker forked from this process (check ``can_fork_caller`` first)."""
    from migq.forms import isolate_worker

    child_r, send_fd, recv_fd, child_w, capacity = _pipes()
    try:
        pid = os.fork()
    except OSError:
        for fd in (child_r, send_fd, recv_fd, child_w):
            os.close(fd)
        raise
    if pid == 0:  # the worker: never returns into the caller's code
        code = 1
        try:
            isolate_worker.detach(keep=(child_r, child_w))
            isolate_worker.serve(child_r, child_w, memory_bytes)
            code = 0
        finally:
            os._exit(code)
    os.close(child_r)
    os.close(child_w)  # so a dead child reads as end-of-file here
    return Spawned(ChildProcess(pid), send_fd, recv_fd, capacity)


class ChildProcess:
    """A worker forked from this process: our own child, reaped here like a Popen's."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone all the same
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None and self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = -1
            return self.returncode
        deadline = time.monotonic() + (timeout or 0)
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"reader worker {self.pid}", timeout)
            time.sleep(0.001)
        return self.returncode


class ForkedProcess:
    """A worker forked by the template: not our child, so it is known by the pid it reports
    when ready, and its end is seen as end-of-file on its pipe."""

    def __init__(self):
        self.pid: int | None = None

    def poll(self) -> int | None:
        if self.pid is None:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        except PermissionError:  # the pid was reused by another user's process: ours is gone
            return -1
        return None

    def kill(self) -> None:
        if self.pid is not None and self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def wait(self, timeout: float | None = 2.0) -> int | None:
        """Wait (briefly) until it is gone; its exit status is the template's to read, not ours."""
        deadline = time.monotonic() + (timeout if timeout is not None else 2.0)
        while self.pid is not None and self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        return None


class Template:
    """One prepared interpreter that forks workers on request (POSIX only)."""

    def __init__(self, memory_bytes: int | None, fast: bool):
        if not (hasattr(socket, "send_fds") and hasattr(os, "fork") and hasattr(socket, "SOCK_SEQPACKET")):
            raise OSError("forking a template is not available here")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = _interpreter(["--template", str(theirs.fileno()), str(memory_bytes or 0)],
                                        (theirs.fileno(),), fast)
        finally:
            theirs.close()
        self.control = ours

    def fork(self) -> Spawned:
        """Ask for a worker; it is forked as soon as the template is ready (this does not wait)."""
        child_r, send_fd, recv_fd, child_w, capacity = _pipes()
        try:
            socket.send_fds(self.control, [b"w"], [child_r, child_w])
        except OSError:
            for fd in (send_fd, recv_fd):
                os.close(fd)
            raise
        finally:
            os.close(child_r)
            os.close(child_w)  # the template holds them now; once it or the worker ends, end-of-file
        return Spawned(ForkedProcess(), send_fd, recv_fd, capacity)

    def close(self) -> None:
        self.control.close()  # the template sees end-of-file and exits
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
