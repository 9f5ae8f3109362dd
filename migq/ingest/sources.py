"""Finding returned files: folders walked recursively, e-mails opened for their attachments.

An e-mail's Date and sender are kept as provenance of each attachment it carries.
"""

from __future__ import annotations

import email
import email.policy
import os
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

from migq.errors import MigqError, printable

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
IGNORED_NAMES = {"README.md", ".DS_Store", "Thumbs.db", "desktop.ini", ".gitkeep"}
MAX_ATTACHMENTS = 20
MAX_FORWARDS = 3  # messages attached within messages, read this deep
# Lines that may open a MIME part: the e-mail package parses every part before the first
# attachment can be looked at (100,000 parts took 20 s), and no reply is made of thousands.
MAX_PART_LINES = 2000


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


def find_files(paths: list[Path]) -> list[Path]:
    """Files under ``paths`` (recursively), sorted. Every file is read, whatever its suffix:
    the guard tells what it is by its bytes and names it in the rejection, so nothing is
    skipped silently but the system's own litter (IGNORED_NAMES, dot files, '~$' locks)."""
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            raise MigqError(f"{p} does not exist.", hint="Give a file or a folder of returned forms (default: responses/).")
        candidates = [p] if p.is_file() else _files_under(p)
        found += [f for f in candidates if f.name not in IGNORED_NAMES and not f.name.startswith((".", "~$"))]
    return found


def _files_under(folder: Path) -> list[Path]:
    """The files under ``folder``, as ``sorted(folder.rglob('*'))`` keeping files gives them (a
    link to a folder is not followed; one to a file counts; an unreadable folder is passed
    over), in a third of the time: the directory entries already say which are folders."""
    found: list[tuple[tuple[str, ...], str]] = []
    pending = [(str(folder), ())]
    while pending:
        where, parts = pending.pop()
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, (*parts, entry.name)))
                    elif entry.is_file():
                        found.append(((*parts, entry.name), entry.path))
        except OSError:
            continue
    found.sort()  # by the parts of the path, as paths sort
    return [Path(path) for _, path in found]


def expand(path: Path, data: bytes, kind: str, display: str) -> tuple[list[Item], list[Unreadable]]:
    """A spreadsheet is one item; an e-mail gives one item per spreadsheet attachment."""
    if kind != "eml":
        return [Item(display, printable(path.name), data, path)], []
    if data.count(b"\n--") > MAX_PART_LINES:
        return [], [Unreadable(display, f"the message is made of more than {MAX_PART_LINES:,} parts, far more than any "
                               "reply: ask the sender to send the completed form (.xlsx) alone, attached to a new "
                               "message", "too_many_parts")]
    try:
        return _attachments(path, data, display)
    except Exception:  # noqa: BLE001 (the e-mail package's errors on hostile input are no closed set)
        return [], [Unreadable(display, "the message is damaged and could not be opened: ask the sender to send "
                               "the completed form (.xlsx) again, attached to a new message", "unreadable_message")]


def _attachments(path: Path, data: bytes, display: str) -> tuple[list[Item], list[Unreadable]]:
    items: list[Item] = []
    beyond = _collect(email.message_from_bytes(data, policy=email.policy.default), path, display, items, None)
    skipped: list[Unreadable] = []
    if beyond:
        skipped.append(Unreadable(display, f"{beyond:,} more spreadsheet(s) attached after the first {MAX_ATTACHMENTS} were "
                                  "not read: ask the sender to send them in other messages", "too_many_attachments"))
    if not items and not skipped:
        skipped.append(Unreadable(display, "the message has no spreadsheet attached: ask the sender to attach "
                                  "the completed form (.xlsx)", "no_attachment"))
    return items, skipped


def _collect(msg, path: Path, display: str, items: list[Item], outer: tuple | None, depth: int = 0) -> int:
    """Add the message's spreadsheet attachments to ``items``, and those of messages attached
    to it (a reply forwarded as an attachment, as a registry forwards it). Each keeps the
    sender and date of the message that carried it, the government's, not the forwarder's
    (whose date stands in for a missing one). Returns how many spreadsheets were left beyond
    MAX_ATTACHMENTS."""
    sender, raw_date = _header(msg, "From"), _header(msg, "Date")
    if outer and not raw_date:
        sender, raw_date = sender or outer[0], outer[1]
    day = None
    if raw_date:
        try:
            day = parsedate_to_datetime(raw_date).date()
        except (TypeError, ValueError, IndexError, OverflowError):
            day = None  # kept as text; the date received is then given or today
    beyond = 0
    for part in msg.iter_attachments():
        if part.get_content_type() == "message/rfc822" and depth < MAX_FORWARDS:
            beyond += _collect(part.get_content(), path, display, items, (sender, raw_date), depth + 1)
            continue
        name = printable(part.get_filename() or "attachment")
        if Path(name).suffix.lower() not in SPREADSHEET_SUFFIXES:
            continue
        if len(items) >= MAX_ATTACHMENTS:
            beyond += 1
            continue
        content = part.get_payload(decode=True) or b""
        items.append(Item(f"{display} › {name}", Path(name).name, content, path, sender, raw_date, day))
    return beyond


def _header(msg, name: str) -> str | None:
    """A header as text. The e-mail package parses a header when it is asked for (a Date with
    an impossible time zone raises): one it cannot parse is kept as it was written, its bytes
    outside ASCII shown as \\xNN (see printable)."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 (see expand)
        value = next((raw for key, raw in msg.raw_items() if key.lower() == name.lower()), None)
    return printable(" ".join(str(value or "").split())) or None
