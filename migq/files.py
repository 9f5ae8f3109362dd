"""Writing files so that a crash never leaves half a file where a whole one is expected."""

from __future__ import annotations

import os
from pathlib import Path

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
