"""What xlrd does not expose of a legacy .xls: its formula cells, and the compound file's
streams (the custom document properties are one).

A .xls is an OLE2 compound file. Its "Workbook" stream ("Book" before Excel 97) is a run of
BIFF records (type u16, length u16, data): the workbook globals, whose BOUNDSHEET records give
each sheet's name and offset, then one substream per sheet from BOF to EOF, where every
formula cell -- shared and array formulas too -- has a FORMULA record.

All of it is untrusted: loops are bounded by the bytes they walk, reads are checked, and a
structure that does not hold together raises ``Malformed``, never another exception.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from xlrd import error_text_from_code
from xlrd.formula import func_defs  # function number -> (name, fixed argument count, ...)

from migq.forms.cells import CellRef

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKERS = 0xFFFFFFFA  # sector ids from here up mean end of chain, free, FAT or DIFAT
_MINI_SECTOR = 64

BOF_TYPES = {0x0809, 0x0409, 0x0209, 0x0009}
EOF, BOUNDSHEET, BIFF8 = 0x000A, 0x0085, 0x0600
FORMULA_TYPES = {0x0006, 0x0206, 0x0406}  # BIFF5-8, BIFF3, BIFF4: xlrd reads all three as formula cells


class Malformed(ValueError):
    """A structure in the file that does not hold together: reading stops there."""


def unpack_at(fmt: str, buf: bytes, pos: int) -> tuple:
    if pos < 0 or pos + struct.calcsize(fmt) > len(buf):
        raise Malformed(f"read past the end at {pos}")
    return struct.unpack_from(fmt, buf, pos)


def u16(buf: bytes, pos: int) -> int:
    return unpack_at("<H", buf, pos)[0]


def u32(buf: bytes, pos: int) -> int:
    return unpack_at("<I", buf, pos)[0]


class CompoundFile:
    """The streams of an OLE2 compound file. Chains are followed for at most as many links as
    there are sectors, so a cycle ends; a stream whose chain stops early comes back short."""

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(OLE_MAGIC) or u16(data, 0x1E) not in (9, 12):
            raise Malformed("not an OLE2 compound file")
        self.data, self.size = data, 1 << u16(data, 0x1E)
        self.count = -(-(len(data) - self.size) // self.size)  # sectors after the header (the last may be short)
        self.fat = self._fat()
        self.streams: dict[str, tuple[int, int]] = {}  # lower-cased name -> (first sector, size)
        self.root, self._mini = (_MARKERS, 0), None  # the root entry's chain holds the mini stream
        directory = self._chain(u32(data, 0x30), self.count * self.size, self.fat, self._sector, self.count)
        for off in range(0, len(directory) - 127, 128):
            name_len, kind = unpack_at("<HB", directory, off + 64)
            start, size = unpack_at("<IQ", directory, off + 116)
            size &= 0xFFFFFFFF if self.size == 512 else (1 << 64) - 1  # version 3 leaves the high half unset
            if kind == 5 and off == 0:
                self.root = (start, size)
            elif kind == 2 and 2 <= name_len <= 64:
                name = directory[off : off + name_len - 2].decode("utf-16-le", errors="replace")
                self.streams.setdefault(name.lower(), (start, size))

    def _sector(self, n: int) -> bytes:
        if n >= self.count:
            raise Malformed("sector outside the file")
        return self.data[(n + 1) * self.size : (n + 2) * self.size]

    @staticmethod
    def _table(raw: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))

    def _fat(self) -> list[int]:
        sectors = [s for s in unpack_at("<109I", self.data, 0x4C) if s < _MARKERS]
        per_sector, difat = self.size // 4 - 1, u32(self.data, 0x44)
        for _ in range(self.count):  # the DIFAT chain: FAT sectors beyond the header's 109
            if difat >= _MARKERS:
                break
            entries = self._table(self._sector(difat))
            sectors += [s for s in entries[:per_sector] if s < _MARKERS]
            difat = entries[per_sector] if len(entries) > per_sector else _MARKERS
        needed = self.count // (self.size // 4) + 1  # no more FAT than the file has sectors to describe
        return [entry for s in sectors[:needed] for entry in self._table(self._sector(s))]

    @staticmethod
    def _chain(start: int, size: int, table: list[int], read, limit: int) -> bytes:
        parts, total, sector = [], 0, start
        for _ in range(limit):
            if sector >= _MARKERS or total >= size:
                break
            parts.append(read(sector))
            total += len(parts[-1])
            sector = table[sector] if sector < len(table) else _MARKERS
        return b"".join(parts)[:size]

    def _mini_sector(self, n: int) -> bytes:
        if n * _MINI_SECTOR >= len(self._mini[0]):
            raise Malformed("mini sector outside the mini stream")
        return self._mini[0][n * _MINI_SECTOR : (n + 1) * _MINI_SECTOR]

    def stream(self, name: str) -> bytes | None:
        """The stream's bytes, or None if the file has no such stream."""
        start, size = self.streams.get(name.lower(), (None, 0))
        if start is None:
            return None
        if size >= u32(self.data, 0x38):  # from the cutoff up, streams live in regular sectors
            return self._chain(start, size, self.fat, self._sector, self.count)
        if self._mini is None:
            minifat = self._chain(u32(self.data, 0x3C), self.count * self.size, self.fat, self._sector,
                                  min(u32(self.data, 0x40), self.count))
            self._mini = (self._chain(*self.root, self.fat, self._sector, self.count), self._table(minifat))
        return self._chain(start, size, self._mini[1], self._mini_sector, len(self._mini[0]) // _MINI_SECTOR)


def records(stream: bytes, pos: int):
    """(type, data offset, data length) of each record from ``pos``; stops at a record cut short.
    CONTINUE records are records like any other: only headers are read to move on."""
    while 0 <= pos and pos + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > len(stream):
            return
        yield rtype, pos + 4, length
        pos += 4 + length


class Layout(NamedTuple):
    biff8: bool
    sheets: dict[str, int]  # worksheet name -> stream offset of its BOF


def workbook_layout(stream: bytes) -> Layout:
    """The worksheets the workbook globals list (the substream up to the first EOF). As in xlrd,
    a name given twice means the later sheet: the one whose values xlrd reads."""
    biff8, sheets = False, {}
    for index, (rtype, at, length) in enumerate(records(stream, 0)):
        if index == 0:
            if rtype not in BOF_TYPES or length < 2:
                raise Malformed("the workbook stream does not start with BOF")
            biff8 = u16(stream, at) == BIFF8
        elif rtype == EOF:
            break
        elif rtype == BOUNDSHEET and length >= 7 and stream[at + 5] == 0:  # 0: a worksheet, not a chart
            name = _sheet_name(stream[at + 6 : at + length], biff8)
            if name is not None:
                sheets[name] = u32(stream, at)
    return Layout(biff8, sheets)


def _sheet_name(raw: bytes, biff8: bool) -> str | None:
    """BIFF8: count, flags (bit 0: UTF-16LE, else a byte a character), characters. BIFF5/7:
    count, bytes in the workbook's code page (read as latin-1: other names are not matched)."""
    wide = biff8 and len(raw) > 1 and raw[1] & 1
    body = raw[2 if biff8 else 1 :][: raw[0] * (2 if wide else 1)] if raw else b""
    if not body or len(body) != raw[0] * (2 if wide else 1):
        return None
    return body.decode("utf-16-le" if wide else "latin-1", errors="replace")


def formula_cells(stream: bytes, bof: int, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """(row, col) -> formula tokens, for the ``wanted`` cells of the sheet substream at ``bof``
    that hold a formula. The whole substream is read, so record order does not matter; an
    embedded chart (BOF to EOF inside the sheet) is skipped the way xlrd skips it."""
    found: dict[tuple[int, int], bytes] = {}
    in_chart = False
    for index, (rtype, at, length) in enumerate(records(stream, bof)):
        if index == 0:
            if rtype not in BOF_TYPES:
                break  # the offset does not point at a sheet
        elif in_chart:
            in_chart = rtype != EOF
        elif rtype == EOF:
            break
        elif rtype in BOF_TYPES:
            in_chart = True
        elif rtype in FORMULA_TYPES and length >= 4:
            cell = unpack_at("<HH", stream, at)
            if cell in wanted:  # row, col, xf, cached value, flags, unused: 20 bytes; then the tokens
                size = u16(stream, at + 20) if length >= 22 else 0
                found[cell] = stream[at + 22 : at + min(length, 22 + size)]
    return found


_TEMPLATES = {  # operator tokens: the operands they take are the {} they show
    0x03: "{}+{}", 0x04: "{}-{}", 0x05: "{}*{}", 0x06: "{}/{}", 0x07: "{}^{}", 0x08: "{}&{}",
    0x09: "{}<{}", 0x0A: "{}<={}", 0x0B: "{}={}", 0x0C: "{}>={}", 0x0D: "{}>{}", 0x0E: "{}<>{}",
    0x0F: "{} {}", 0x10: "{},{}", 0x11: "{}:{}", 0x12: "+{}", 0x13: "-{}", 0x14: "{}%", 0x15: "({})",
    0x16: "",  # an omitted argument
}


def _cell(row: int, col: int) -> str:
    """A BIFF8 cell reference; bits 14 and 15 of the column mark a relative column and row."""
    letters = CellRef("", 0, col & 0x3FFF).coordinate[:-1]
    return "$"[: not col & 0x4000] + letters + "$"[: not col & 0x8000] + str(row + 1)


_OPERANDS = {  # constant and reference tokens: (layout after the token byte, text)
    0x1C: ("<B", lambda code: error_text_from_code.get(code, "#N/A")),
    0x1D: ("<B", lambda value: ("FALSE", "TRUE")[value != 0]),
    0x1E: ("<H", str),
    0x1F: ("<d", lambda value: format(value, ".15g")),
    0x24: ("<HH", _cell),
    0x25: ("<HHHH", lambda top, bottom, left, right: _cell(top, left) + ":" + _cell(bottom, right)),
}


def decode_formula(tokens: bytes) -> str:
    """The formula rebuilt from BIFF8 tokens: constants, operators, cells and ranges of its own
    sheet, functions. Other tokens (other sheets, names, shared formulas) raise ``Malformed``."""
    stack: list[str] = []

    def push(template: str, count: int) -> None:
        if count > len(stack):
            raise Malformed("an operator without its operands")
        operands = stack[len(stack) - count :]
        del stack[len(stack) - count :]
        stack.append(template.format(*operands))

    pos = 0
    while pos < len(tokens):  # every token moves pos forward
        ptg, pos = tokens[pos], pos + 1
        key = ptg if ptg < 0x20 else 0x20 | (ptg & 0x1F)  # operand tokens carry a class in bits 5-6
        if key in _TEMPLATES:
            push(_TEMPLATES[key], _TEMPLATES[key].count("{}"))
        elif key in _OPERANDS:
            layout, text = _OPERANDS[key]
            stack.append(text(*unpack_at(layout, tokens, pos)))
            pos += struct.calcsize(layout)
        elif key == 0x17:  # a string: count, flags (bit 0: UTF-16LE), characters
            count, flags = unpack_at("<BB", tokens, pos)
            size = count * (2 if flags & 1 else 1)
            text = tokens[pos + 2 : pos + 2 + size].decode("utf-16-le" if flags & 1 else "latin-1", errors="replace")
            stack.append('"' + text.replace('"', '""') + '"')
            pos += 2 + size
        elif key == 0x19:  # layout hints, but for SUM of one argument; CHOOSE has a jump table
            option, count = unpack_at("<BH", tokens, pos)
            pos += 3 + (2 * (count + 1) if option & 0x04 else 0)
            if option & 0x10:
                push("SUM({})", 1)
        elif key in (0x21, 0x22):  # a function: its argument count is fixed (0x21) or given
            argc, number = unpack_at("<BH", tokens, pos) if key == 0x22 else (None, u16(tokens, pos))
            pos += 3 if key == 0x22 else 2
            spec = func_defs.get(number & 0x7FFF)
            if spec is None:
                raise Malformed("an unknown function")
            count = spec[1] if argc is None else argc & 0x7F
            push(spec[0] + "(" + ",".join(["{}"] * count) + ")", count)
        else:
            raise Malformed(f"formula token 0x{ptg:02x} is not decoded")
    if len(stack) != 1:
        raise Malformed("formula tokens that do not make one expression")
    return stack[0]
