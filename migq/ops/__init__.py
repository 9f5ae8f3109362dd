"""Operations on a workspace database: health checks (``doctor``) and verified backups."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from migq.errors import MigqError
from migq.ops.backup import BackupResult, backup
from migq.ops.doctor import Check, run_checks

__all__ = ["BackupResult", "Check", "backup", "open_existing", "run_checks"]


@contextmanager
def open_existing(db: str | os.PathLike | None = None) -> Iterator["Store"]:  # noqa: F821
    """Open a workspace without creating or upgrading it: checking must not change what it checks."""
    from sqlalchemy.engine import make_url

    from migq.store.db import open_store, redact, resolve_url

    url = resolve_url(db)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if not path or not Path(path).is_file():
            raise MigqError(f"there is no database at {redact(url)}.",
                            hint="Give --db the workspace file or URL, or set $MIGQ_DATABASE_URL.")
    with open_store(db, upgrade=False) as store:
        yield store
