"""Finding returned files: folders walked recursively, e-mails opened for their attachments.

An e-mail's Date and sender are kept as provenance of each attachment it carries.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

from migq.errors import MigqError

READABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".eml"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
IGNORED_NAMES = {"README.md", ".DS_Store", "Thumbs.db", "desktop.ini", ".gitkeep"}
MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class Item:
    """One file to ingest: its bytes, the name we show, and where it came from."""

    display: str
    name: str
    data: bytes
    path: Path
    sender: str | None = None
    message_date: str | None = None
    message_day: date | None = None


@dataclass(frozen=True)
class Unreadable:
    display: str
    reason: str
    code: str


def find_files(paths: list[Path]) -> tuple[list[Path], list[Unreadable]]:
    """Files under ``paths`` (recursively), sorted; other files are reported, never skipped silently."""
    found: list[Path] = []
    odd: list[Unreadable] = []
    for p in paths:
        if not p.exists():
            raise MigqError(f"{p} does not exist.", hint="Give a file or a folder of returned forms (default: responses/).")
        candidates = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())
        for f in candidates:
            if f.name in IGNORED_NAMES or f.name.startswith((".", "~$")):
                continue
            if f.suffix.lower() in READABLE_SUFFIXES or p.is_file():
                found.append(f)
            else:
                # Unknown suffix: let the guard sniff it; it names what the file really is.
                found.append(f)
    return found, odd


def expand(path: Path, data: bytes, kind: str, display: str) -> tuple[list[Item], list[Unreadable]]:
    """A spreadsheet is one item; an e-mail gives one item per spreadsheet attachment."""
    if kind != "eml":
        return [Item(display, path.name, data, path)], []
    msg = email.message_from_bytes(data, policy=email.policy.default)
    sender = str(msg.get("From", "") or "") or None
    raw_date = str(msg.get("Date", "") or "") or None
    day = None
    if raw_date:
        try:
            day = parsedate_to_datetime(raw_date).date()
        except (TypeError, ValueError, IndexError):
            day = None
    items: list[Item] = []
    skipped: list[Unreadable] = []
    for part in msg.iter_attachments():
        name = part.get_filename() or "attachment"
        if Path(name).suffix.lower() not in SPREADSHEET_SUFFIXES:
            continue
        if len(items) >= MAX_ATTACHMENTS:
            skipped.append(Unreadable(f"{display} › {name}", "too many attachments in one message", "too_many_attachments"))
            continue
        content = part.get_payload(decode=True) or b""
        items.append(Item(f"{display} › {name}", Path(name).name, content, path, sender, raw_date, day))
    if not items and not skipped:
        skipped.append(Unreadable(display, "the message has no spreadsheet attached: ask the sender to attach "
                                  "the completed form (.xlsx)", "no_attachment"))
    return items, skipped
