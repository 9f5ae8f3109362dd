"""Writing files so that a crash never leaves half a file where a whole one is expected."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from migq.errors import MigqError


def atomic_write(path: Path, data: bytes, *, hint: str = "Check the folder and free disk space.") -> None:
    """Write ``data`` to a temporary name beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise MigqError(f"cannot write {path}: {err.strerror}.", hint=hint) from err


def _lock_hint(path: Path, err: OSError, app: str | None) -> str:
    """'Close it in Word' only when an existing file refused us; otherwise say where to write."""
    if app and isinstance(err, PermissionError) and path.is_file():
        return f"Close it in {app} if it is open, or choose another -o/--out path."
    return "Choose another -o/--out path, in a folder you can write to."


def prepare_output(path, *, option: str = "-o/--out") -> Path:
    """Make ``path`` ready to be written: its missing folders are created. A path that cannot
    be a file (an existing folder, a file where a folder should be, a folder we cannot create)
    is a MigqError naming the path and the option."""
    path = Path(path)
    if path.is_dir():
        raise MigqError(f"{option} names a folder, not a file.",
                        hint="Give a file name, e.g. -o folder/name.ext.", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MigqError(f"{option}: cannot create the folder {path.parent}: {err.strerror or err}.",
                        hint="Choose another -o/--out path, in a folder you can write to.", path=str(path)) from err
    return path


@contextmanager
def output_file(path, *, option: str = "-o/--out", app: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that wants a file name (openpyxl,
    pandas, pyreadstat); when the writer returns it is renamed into place, so a crash never
    leaves half a file. Any OSError becomes one MigqError naming the path and the option."""
    path = prepare_output(path, option=option)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        raise MigqError(f"{option}: cannot write the file: {err.strerror or err}.",
                        hint=_lock_hint(path, err, app), path=str(path)) from err
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def write_output(path, data: bytes | str, *, option: str = "-o/--out", app: str | None = None,
                 encoding: str = "utf-8") -> Path:
    """Write bytes or text to a user-given output path atomically, creating its folder."""
    if isinstance(data, str):
        data = data.encode(encoding)
    path = Path(path)
    with output_file(path, option=option, app=app) as tmp:
        tmp.write_bytes(data)
    return path
