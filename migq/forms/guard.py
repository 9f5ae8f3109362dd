"""The guard: inspect an untrusted returned file before any spreadsheet library parses it.

Every check is cheap and runs on bytes in memory: size, file type by magic bytes (never by
extension), and for ZIP packages the member count, declared and actual sizes, compression
ratio, duplicate part names, DTD/entity declarations, macros, external links and the used
range of each sheet (see ``guard_zip`` and ``guard_scan``). A file that must not be read
raises ``RejectedFile`` with a stable ``code``; things worth knowing about a readable file
(macros, external links) come back as WARNING problems in the report.

    report = inspect_file(Path("FRA.xlsx"), limits=GuardLimits(max_sheet_rows=400))
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from migq.errors import Problem
from migq.forms.guard_messages import REJECTIONS, RejectedFile
from migq.forms.guard_ole import OLE_MAGIC, classify_ole, xls_has_filepass
from migq.forms.guard_zip import Package, inspect_zip

__all__ = ["GuardLimits", "GuardReport", "RejectedFile", "REJECTIONS", "inspect_file", "read_limited", "sniff_kind"]


@dataclass(frozen=True)
class GuardLimits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_zip_members: int = 500
    max_uncompressed_bytes: int = 100 * 1024 * 1024  # sum of declared sizes
    max_member_bytes: int = 50 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed/compressed, per member over 1 MiB and overall
    max_sheet_rows: int = 5000  # used range bound; callers pass bounds derived from the form
    max_sheet_cols: int = 200


@dataclass(frozen=True)
class GuardReport:
    path: str
    kind: str  # 'xlsx' | 'xlsm' | 'xls' | 'ods' | 'eml'
    size: int
    data: bytes = field(repr=False, compare=False)  # the exact bytes checked
    warnings: tuple[Problem, ...] = ()
    package: Package | None = None  # ZIP-based files: parts already inflated and checked, for the reader

    @functools.cached_property
    def sha256(self) -> str:
        """Of the exact bytes checked; computed when asked (the reader workers never ask)."""
        return hashlib.sha256(self.data).hexdigest()


_IMAGES = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
}
_HEADER_LINE = re.compile(r"^[!-9;-~]+:[ \t]?")
_MAIL_HEADERS = {"from", "to", "subject", "date", "received", "message-id", "return-path", "delivered-to"}
_SAMPLE = 8192


def _text_of(data: bytes) -> str | None:
    """The start of the file as text, or None if it looks binary."""
    sample = data[:_SAMPLE]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = sample.decode("utf-16", errors="replace")
    elif b"\x00" in sample:
        return None
    else:
        sample = sample.removeprefix(b"\xef\xbb\xbf")
        try:
            text = sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sample's end is fine; anything else is cp1252.
            cut_at_end = exc.start >= len(sample) - 3
            text = sample[: exc.start].decode("utf-8") if cut_at_end else sample.decode("cp1252", "replace")
    if not text:
        return None
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return text if printable / len(text) >= 0.95 else None


def _mail_headers(text: str) -> dict[str, str] | None:
    lines = text.splitlines()
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    headers: dict[str, str] = {}
    for line in lines[:200]:
        if not line.strip():
            break
        if line[:1] in " \t" and headers:
            continue
        if not _HEADER_LINE.match(line):
            return None
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return headers if len(headers) >= 2 else None


def _is_csv(text: str, name: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(text) >= _SAMPLE - 4 and len(lines) > 1:
        lines = lines[:-1]  # the sample may cut the last line short
    lines = lines[:50]
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if counts and min(counts) > 0 and (len(set(counts)) == 1 or len(lines) == 1 and counts[0] >= 2):
            return True
    return name.lower().endswith((".csv", ".tsv"))


def sniff_kind(data: bytes, name: str) -> str:
    """The family of a file from its first bytes, never its extension.

    Returns one of: 'empty', 'zip', 'ole', 'pdf', 'rtf', 'png', 'jpeg', 'gif', 'tiff', 'webp',
    'html', 'mhtml', 'xml_spreadsheet', 'eml', 'csv', 'text', 'unknown'. ``name`` only breaks a
    tie between 'csv' and 'text' for a one-column text file. ZIP and OLE files are told apart
    further by ``inspect_file``.
    """
    if not data:
        return "empty"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    for magic, kind in _IMAGES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    text = _text_of(data)
    if text is None:
        return "unknown"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or re.match(r"<\?xml[^>]*>\s*<(!doctype\s+)?html", start) \
            or re.match(r"<(head|body|table|meta)\b", start):
        return "html"
    if "urn:schemas-microsoft-com:office:spreadsheet" in start or 'progid="excel.sheet"' in start:
        return "xml_spreadsheet"
    headers = _mail_headers(text.lstrip("\ufeff"))
    if headers is not None:
        is_mail = bool(_MAIL_HEADERS & headers.keys())
        if headers.get("x-document-type", "").lower() == "workbook" or "mime-version" in headers and not is_mail:
            return "mhtml"  # Excel's "single file web page"
        if is_mail:
            return "eml"
    return "csv" if _is_csv(text, name) else "text"


_TEXTUAL_REJECTIONS = {
    "pdf": ("pdf", {}),
    "rtf": ("rtf", {}),
    "html": ("html", {"detail": "HTML"}),
    "mhtml": ("html", {"detail": "a web archive, .mht"}),
    "xml_spreadsheet": ("xml_spreadsheet", {}),
    "csv": ("csv", {}),
    "text": ("text", {}),
    "unknown": ("unknown_type", {"detail": "its first bytes match no workbook format"}),
}


def _too_large(path: Path, size: int, limits: GuardLimits) -> RejectedFile:
    def mb(n: int) -> str:
        return f"{n / 2**20:.1f}".removesuffix(".0")

    return RejectedFile("too_large", path, size_mb=mb(size), limit_mb=mb(limits.max_file_bytes))


def read_limited(path: Path, limits: GuardLimits = GuardLimits()) -> bytes:
    """A file's bytes, refused (``RejectedFile``) before reading if it is over the size limit,
    and never read past it (a file growing meanwhile is refused too)."""
    try:
        with open(path, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            if size > limits.max_file_bytes:
                raise _too_large(path, size, limits)
            data = f.read(size + 1)  # one raw read: all of it, and a byte more if it has grown
            cap = limits.max_file_bytes + 1
            while len(data) < cap and (more := f.read(min(cap - len(data), 1 << 20))):
                data += more
    except OSError as exc:
        raise RejectedFile("unreadable", path, detail=exc.strerror or type(exc).__name__) from None
    if len(data) > limits.max_file_bytes:
        raise _too_large(path, len(data), limits)
    return data


def inspect_file(path: Path, data: bytes | None = None, limits: GuardLimits = GuardLimits()) -> GuardReport:
    """Check an untrusted file; return its report or raise ``RejectedFile``.

    ``data`` may carry the bytes already in hand (an e-mail attachment); then ``path`` only
    names the file in messages.
    """
    path = Path(path)
    if data is None:
        data = read_limited(path, limits)
    if len(data) > limits.max_file_bytes:
        raise _too_large(path, len(data), limits)
    kind, warnings, package = _kind_and_warnings(data, path, limits)
    return GuardReport(path=str(path), kind=kind, size=len(data), data=data, warnings=tuple(warnings),
                       package=package)


def _kind_and_warnings(data: bytes, path: Path, limits: GuardLimits) -> tuple[str, list[Problem], Package | None]:
    family = sniff_kind(data, path.name)
    if family == "empty":
        raise RejectedFile("empty", path)
    if family == "zip":
        return inspect_zip(data, path, limits)
    if family == "ole":
        kind, detail = classify_ole(data)
        if kind == "xls":
            if xls_has_filepass(data):
                raise RejectedFile("legacy_xls_encrypted", path)
            return "xls", [], None
        if kind in ("encrypted", "outlook_msg"):
            raise RejectedFile(kind, path)
        raise RejectedFile("unknown_type" if kind == "unknown" else kind, path, detail=detail)
    if family == "eml":
        return "eml", [], None
    if family in ("png", "jpeg", "gif", "tiff", "webp"):
        raise RejectedFile("image", path, detail=family.upper())
    code, values = _TEXTUAL_REJECTIONS[family]
    raise RejectedFile(code, path, **values)
