"""Guard checks for ZIP-based files (.xlsx, .xlsm, .ods), run on bytes in memory.

Order matters: everything that needs only the central directory (member count, names,
declared sizes) runs before any byte is decompressed. Decompression is ours, not zipfile's:
each member's raw deflate data is inflated in bounded chunks with a running cap, so a member
that lies about its size is stopped as soon as it expands past what it declared -- a bomb is
never inflated fully, and since declared sizes already passed the limits, the actual ones do.
"""

from __future__ import annotations

import functools
import io
import itertools
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from migq.errors import Problem, problem
from migq.forms.guard_messages import RejectedFile
from migq.forms.guard_scan import PartScanner, scan_plain_part

CHUNK = 64 * 1024
WHOLE_PART = 1024 * 1024  # parts up to this size are inflated and scanned in one piece
UNPACKED_LIMIT = 16 * 1024 * 1024  # packages up to this size in all are rebuilt uncompressed
INPUT_SLICE = 1024 * 1024  # compressed bytes handed to zlib at a time
RATIO_FLOOR = 1024 * 1024  # members smaller than this may compress as well as they like
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ACTIVE_CONTENT = ("xl/macrosheets/", "xl/activex/", "basic/", "scripts/")  # Excel 4 macros, ActiveX, ODS macros
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_WORKBOOK_TYPES = (b"spreadsheetml.sheet.main", b"sheet.macroenabled.main", b"spreadsheetml.template.main")
_OTHER_ODF = {b"application/vnd.oasis.opendocument.text": ("word_document", "an OpenDocument .odt file"),
              b"application/vnd.oasis.opendocument.presentation": ("presentation", "an OpenDocument .odp file")}


@dataclass(frozen=True)
class Package:
    """What the guard learnt of a ZIP package while checking it, handed on to the reader so the
    file is not unzipped and scanned a second time."""

    names: tuple[str, ...] = ()  # every member, as named in the file
    parts: dict[str, bytes] = field(default_factory=dict)  # XML parts scanned whole: no DTD in them
    formula_parts: frozenset[str] = frozenset()  # worksheets holding at least one formula
    # The same package rebuilt from the checked parts, every one stored uncompressed: the native
    # reader opens this, not the sender's container, and does not inflate anything again.
    # None when a part was too large to hold (then the reader opens the file itself).
    unpacked: bytes | None = None


_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_UTF8_NAMES = 0x800
_DOS_DATE_1980 = 0x21


def stored_zip(members: list[tuple[str, bytes, int]]) -> bytes:
    """A ZIP of (name, content, CRC-32) members, uncompressed and in this order."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, content, crc in members:
        raw = name.encode("utf-8")
        header = _LOCAL_HEADER.pack(0x04034B50, 20, _UTF8_NAMES, zipfile.ZIP_STORED, 0, _DOS_DATE_1980, crc,
                                    len(content), len(content), len(raw), 0)
        central.append(_CENTRAL_HEADER.pack(0x02014B50, 20, 20, _UTF8_NAMES, zipfile.ZIP_STORED, 0, _DOS_DATE_1980,
                                            crc, len(content), len(content), len(raw), 0, 0, 0, 0, 0, offset) + raw)
        out += (header, raw, content)
        offset += len(header) + len(raw) + len(content)
    directory = b"".join(central)
    end = _END_RECORD.pack(0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


@functools.lru_cache(maxsize=4096)  # the same few part names recur in every file
def _normal(name: str) -> str:
    return unicodedata.normalize("NFC", name.replace("\\", "/").lstrip("/")).lower()


def count_from_end_record(data: bytes) -> int | None:
    """The member count the end-of-central-directory record declares, read before zipfile
    builds its list of every entry; None if absent or ZIP64."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if at < 0 or at + 22 > len(data):
        return None
    total = struct.unpack_from("<H", data, at + 10)[0]
    return None if total == 0xFFFF else total


def _member_data(data: bytes, info: zipfile.ZipInfo, path) -> memoryview:
    """The raw (compressed) bytes of one member, after checking its local header agrees."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}' is missing")
    name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if data[off + 30 : off + 30 + name_len] != info.orig_filename.encode(encoding, "replace"):
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}' has two different names")
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}' is cut short")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        detail = f"'{info.filename}' uses compression method {info.compress_type}"
        raise RejectedFile("corrupt_zip", path, detail=detail)
    return raw


def inflate_whole(data: bytes, info: zipfile.ZipInfo, path) -> bytes:
    """A member inflated in one call, never more than one byte past the size it declares (so
    a liar shows by its length); for members whose compressed data fits in ``INPUT_SLICE``."""
    raw = _member_data(data, info, path)
    if info.compress_type == zipfile.ZIP_STORED:
        return bytes(raw[: info.file_size + 1])
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(raw, info.file_size + 1)
    except zlib.error as exc:
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}': {exc}") from None
    if len(out) <= info.file_size and not inflater.eof:
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}' is cut short")
    return out


def inflate(data: bytes, info: zipfile.ZipInfo, path, chunk: int = CHUNK):
    """Yield the decompressed bytes of one member in pieces of at most ``chunk`` bytes."""
    raw = _member_data(data, info, path)
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(raw), chunk):
            yield bytes(raw[i : i + chunk])
        return
    inflater = zlib.decompressobj(-15)
    try:
        for i in range(0, len(raw), INPUT_SLICE):
            pending = raw[i : i + INPUT_SLICE]
            while pending:
                out = inflater.decompress(pending, chunk)
                pending = inflater.unconsumed_tail
                if out:
                    yield out
        while not inflater.eof and (out := inflater.decompress(b"", chunk)):
            yield out
    except zlib.error as exc:
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}': {exc}") from None
    if not inflater.eof:
        raise RejectedFile("corrupt_zip", path, detail=f"'{info.filename}' is cut short")


def read_small(data: bytes, info: zipfile.ZipInfo, path, cap: int = 1024 * 1024) -> bytes:
    """The first ``cap`` bytes of a member (for content types, mimetype, manifest)."""
    buf = b""
    for chunk in inflate(data, info, path):
        buf += chunk
        if len(buf) >= cap:
            break
    return buf[:cap]


def _open(data: bytes, path, limits) -> list[zipfile.ZipInfo]:
    declared = count_from_end_record(data)
    if declared is not None and declared > limits.max_zip_members:
        raise RejectedFile("too_many_members", path, count=declared, limit=limits.max_zip_members)
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    # NotImplementedError: a member that needs a later ZIP version than any workbook program writes.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, struct.error,
            NotImplementedError) as exc:
        raise RejectedFile("corrupt_zip", path, detail=str(exc) or type(exc).__name__) from None
    if len(infos) > limits.max_zip_members:
        raise RejectedFile("too_many_members", path, count=len(infos), limit=limits.max_zip_members)
    seen: dict[str, str] = {}
    for info in infos:
        key = _normal(info.filename)
        if key in seen:
            first = seen[key]
            detail = "" if first == info.filename else f" (as '{first}' and '{info.filename}')"
            raise RejectedFile("duplicate_part", path, part=info.filename, detail=detail)
        seen[key] = info.filename
        if info.flag_bits & 0x1:
            raise RejectedFile("encrypted", path)
    return infos


def _check_declared_sizes(infos, path, limits) -> None:
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_member_bytes:
            detail = f"'{info.filename}' declares {_mb(info.file_size)}"
        elif info.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            detail = f"'{info.filename}' is compressed {ratio:.0f} to 1"
        else:
            continue
        raise RejectedFile("zip_bomb", path, detail=detail)
    if total > limits.max_uncompressed_bytes:
        raise RejectedFile("zip_bomb", path, detail=f"its parts declare {_mb(total)} in all")
    if total > RATIO_FLOOR and total / max(packed, 1) > limits.max_ratio:
        raise RejectedFile("zip_bomb", path, detail=f"it is compressed {total / max(packed, 1):.0f} to 1")


def _classify(data: bytes, infos, path) -> str:
    """'xlsx' or 'ods' (xlsm is decided later from macros); anything else is rejected."""
    by_name = {_normal(i.filename): i for i in infos}
    if "mimetype" in by_name:
        mime = read_small(data, by_name["mimetype"], path, 200).strip()
        if mime.startswith(_ODS_MIME):
            manifest = by_name.get("meta-inf/manifest.xml")
            if manifest and b"encryption-data" in read_small(data, manifest, path):
                raise RejectedFile("encrypted", path)
            return "ods"
        for prefix, (code, detail) in _OTHER_ODF.items():
            if mime.startswith(prefix):
                raise RejectedFile(code, path, detail=detail)
        shown = mime.decode("ascii", "replace")[:60]
        raise RejectedFile("not_a_workbook_zip", path, detail=f"an OpenDocument file of type '{shown}'")
    if "[content_types].xml" in by_name:
        types = read_small(data, by_name["[content_types].xml"], path).lower()
        if "xl/workbook.xml" in by_name or any(t in types for t in _WORKBOOK_TYPES):
            return "xlsx"
        if "xl/workbook.bin" in by_name:
            raise RejectedFile("xlsb", path)
        if "word/document.xml" in by_name:
            raise RejectedFile("word_document", path, detail="a Word .docx file")
        if "ppt/presentation.xml" in by_name:
            raise RejectedFile("presentation", path, detail="a PowerPoint .pptx file")
        raise RejectedFile("not_a_workbook_zip", path, detail="an Office file of another kind")
    inner = [i.filename for i in infos if i.filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods"))]
    if inner:
        raise RejectedFile("zipped_workbook", path, detail=", ".join(inner[:3]))
    files = [i.filename for i in infos if not i.is_dir()]
    listed = ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
    detail = f"{len(files)} files: {listed}" if files else "it is empty"
    raise RejectedFile("not_a_workbook_zip", path, detail=detail)


def _role(name: str, kind: str) -> str:
    low = _normal(name)
    if kind == "xlsx" and low.startswith("xl/worksheets/") and low.endswith(".xml") and "/_rels/" not in low:
        return "worksheet"
    if kind == "ods" and low == "content.xml":
        return "ods_content"
    return "xml"


def _looks_like_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"<", b"\x00<", b"\xff\xfe<", b"\xfe\xff\x00<"))


def _scan_members(data: bytes, infos, path, kind: str, limits) -> Package:
    parts: dict[str, bytes] = {}
    formulas: set[str] = set()
    held: list[tuple[str, bytes, int]] | None = []  # every part, for the unpacked copy
    held_bytes = 0
    for info in infos:
        if info.is_dir():
            continue
        # Declared small: inflated in one piece (the usual case); else streamed in chunks.
        whole = info.file_size <= WHOLE_PART and info.compress_size <= INPUT_SLICE
        chunks = None if whole else inflate(data, info, path)
        first = inflate_whole(data, info, path) if whole else next(chunks, b"")
        scanner, plain = None, False
        if info.filename.lower().endswith(_XML_SUFFIXES) or _looks_like_xml(first):
            # Parts named or looking like XML are scanned; pictures and .bin stay unscanned.
            role = _role(info.filename, kind)
            plain = whole and role == "xml"  # checked without a scanner, unless in UTF-16
            if not plain:
                scanner = PartScanner(info.filename, role, path, limits)
        if whole:
            crc = zlib.crc32(first)
            _check_inflated(info, len(first), crc, path)  # size and checksum first, as for any part
            if plain and not scan_plain_part(first, info.filename, path):
                scanner = PartScanner(info.filename, role, path, limits)
            if scanner:
                scanner.scan_whole(first)
            if scanner or plain:
                parts[info.filename] = first
            held_bytes += len(first)
            if held is not None and held_bytes <= UNPACKED_LIMIT:
                held.append((info.filename, first, crc))
            else:
                held = None
        else:  # large: streamed, and stopped early if it lies
            _stream(info, itertools.chain((first,), chunks), scanner, path)
            held = None
        if scanner and scanner.has_formula:
            formulas.add(info.filename)
    unpacked = stored_zip(held) if held else None
    return Package(tuple(i.filename for i in infos), parts, frozenset(formulas), unpacked)


def _stream(info, chunks, scanner, path) -> None:
    size, crc = 0, 0
    for chunk in chunks:
        size += len(chunk)
        if size > info.file_size:
            break
        crc = zlib.crc32(chunk, crc)
        if scanner:
            scanner.feed(chunk)
    if scanner and size <= info.file_size:
        scanner.finish()
    _check_inflated(info, size, crc, path)


def _check_inflated(info, size: int, crc: int, path) -> None:
    if size > info.file_size:
        detail = f"'{info.filename}' expands beyond the {info.file_size:,} bytes it declares"
        raise RejectedFile("zip_bomb", path, detail=detail)
    if size != info.file_size or crc != info.CRC:
        detail = f"'{info.filename}' does not match its checksum or size"
        raise RejectedFile("corrupt_zip", path, detail=detail)


def _warnings(data: bytes, infos, path, kind: str, package: Package) -> tuple[str, list[Problem]]:
    names = [_normal(i.filename) for i in infos]
    name = Path(path).name
    found: list[Problem] = []
    macros = any(n.endswith("vbaproject.bin") or n.startswith(_ACTIVE_CONTENT) for n in names)
    if kind == "xlsx":
        types_info = next(i for i in infos if _normal(i.filename) == "[content_types].xml")
        types = package.parts.get(types_info.filename) or read_small(data, types_info, path)
        if b"macroenabled" in types.lower() or any(n.endswith("vbaproject.bin") for n in names):
            kind = "xlsm"
            macros = True
    if macros:
        found.append(problem("macros", file=name))
    if any(n.startswith("xl/externallinks/") for n in names):
        found.append(problem("external_links", file=name))
    return kind, found


def inspect_zip(data: bytes, path, limits) -> tuple[str, list[Problem], Package]:
    """Check a ZIP-based file; return (kind, warnings, package) or raise RejectedFile."""
    infos = _open(data, path, limits)
    _check_declared_sizes(infos, path, limits)
    kind = _classify(data, infos, path)
    package = _scan_members(data, infos, path, kind, limits)
    return (*_warnings(data, infos, path, kind, package), package)
