"""Legacy Excel workbooks (.xls): values and defined names through xlrd; formula cells and
custom document properties read from the file itself, since xlrd exposes neither."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from migq.forms.cells import META_ROWS, Book, CellRef, _meta_text, _unreadable
from migq.forms.contract import META_SHEET
from migq.forms.xls_records import (
    CompoundFile, Malformed, decode_formula, formula_cells, u16, u32, unpack_at, workbook_layout,
)

UNDECODED = "=(formula)"  # shown for a formula whose tokens the small decoder does not know
FORMULA_TEXT_LIMIT = 255

DOCUMENT_SUMMARY = "\x05DocumentSummaryInformation"
# FMTID_UserDefinedProperties, D5CDD505-2E9C-101B-9397-08002B2CF9AE, in its stored byte order.
USER_PROPERTIES = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")
PROPERTY_SECTIONS = 16  # a DocumentSummaryInformation stream has two; more is not a real file


class XlsBook(Book):
    """Legacy .xls: xlrd reads the values and the defined names (which calamine does not
    expose). Formulas come from the sheets' FORMULA records and the custom properties from
    the DocumentSummaryInformation stream (see migq.forms.xls_records): a formula in an
    answer cell is reported, shown rebuilt from its tokens when they are simple, and the
    identity falls back on the migq_ properties when the metadata sheet is gone. Damage in
    those structures ends the scan with what it found; the values stand.
    """

    kind = "xls"

    def __init__(self, data: bytes, file_name: str):
        super().__init__(data, file_name)
        import xlrd

        try:
            with open(os.devnull, "w") as quiet:  # xlrd writes warnings to stdout by default
                self.book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=quiet, verbosity=0)
            for key, names in self.book.name_map.items():
                for n in names:
                    if n.builtin or n.name.startswith("_xlnm."):
                        continue
                    ref = self._name_ref(n)
                    if ref is not None:
                        (self.names if n.scope < 0 else self.local_names).setdefault(n.name, ref)
        except Exception as exc:
            raise _unreadable(file_name, exc) from None

    def _name_ref(self, name) -> CellRef | None:
        try:
            sheet, rlo, _rhi, clo, _chi = name.area2d(clipped=False)
        except Exception:  # a formula, a constant or a #REF! name: not a cell
            return None
        return CellRef(sheet.name, rlo, clo)

    def _sheet(self, name: str):
        if name not in self.book.sheet_names():
            return None
        try:  # xlrd reads a sheet's records only now (on_demand): damage there shows here
            return self.book.sheet_by_name(name)
        except Exception as exc:
            raise _unreadable(self.file_name, exc) from None

    def _value(self, sheet, row: int, col: int):
        import xlrd

        if sheet is None or row >= sheet.nrows or col >= sheet.ncols:
            return None
        cell = sheet.cell(row, col)
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                moment = xlrd.xldate_as_datetime(cell.value, self.book.datemode)
            except Exception:
                return cell.value
            return moment.date() if moment.time() == moment.min.time() else moment
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERROR")
        return cell.value

    def values(self, refs) -> dict[CellRef, object]:
        return {r: self._value(self._sheet(r.sheet), r.row, r.col) for r in refs}

    def meta_rows(self) -> dict[str, str] | None:
        sheet = self._sheet(META_SHEET)
        if sheet is None:
            return None
        out = {}
        for row in range(min(sheet.nrows, META_ROWS)):
            key = self._value(sheet, row, 0)
            if key is not None and str(key).strip():
                out[str(key).strip()] = _meta_text(self._value(sheet, row, 1))
        return out

    def _compound(self) -> CompoundFile | None:
        if not hasattr(self, "_compound_file"):
            try:
                self._compound_file = CompoundFile(self.data)
            except Malformed:
                self._compound_file = None  # xlrd read it anyway: values stand, formulas and properties are lost
        return self._compound_file

    def formulas(self, refs) -> dict[CellRef, str]:
        wanted: dict[str, dict[tuple[int, int], CellRef]] = {}
        for ref in refs:
            wanted.setdefault(ref.sheet, {})[(ref.row, ref.col)] = ref
        found: dict[CellRef, str] = {}
        try:
            compound = self._compound()
            stream = compound and (compound.stream("Workbook") or compound.stream("Book"))
            if not wanted or not stream:
                return found
            layout = workbook_layout(stream)
            for sheet, cells in wanted.items():  # only the sheets that hold answer cells are read
                if sheet in layout.sheets:
                    for cell, tokens in formula_cells(stream, layout.sheets[sheet], set(cells)).items():
                        found[cells[cell]] = formula_text(tokens, layout.biff8)
        except Malformed:
            pass  # what was found before the damage is still a formula
        except Exception as exc:  # a bug meeting an odd file: refuse the file rather than misread it
            raise _unreadable(self.file_name, exc) from None
        return found

    def properties(self) -> dict[str, str]:
        try:
            compound = self._compound()
            stream = compound.stream(DOCUMENT_SUMMARY) if compound else None
            return custom_properties(stream) if stream else {}
        except Malformed:
            return {}
        except Exception as exc:
            raise _unreadable(self.file_name, exc) from None


def formula_text(tokens: bytes, biff8: bool) -> str:
    """'=' and the formula rebuilt from its tokens, shortened to FORMULA_TEXT_LIMIT; UNDECODED
    when the decoder does not know a token, or for BIFF5, whose tokens it does not read."""
    try:
        text = "=" + decode_formula(tokens) if biff8 else UNDECODED
    except Malformed:
        return UNDECODED
    return text if len(text) <= FORMULA_TEXT_LIMIT else text[: FORMULA_TEXT_LIMIT - 1] + "…"


def custom_properties(stream: bytes) -> dict[str, str]:
    """Name -> text of the user-defined properties in a DocumentSummaryInformation stream: the
    section whose FMTID is USER_PROPERTIES, its names in the dictionary (property id 0)."""
    if len(stream) < 28 or u16(stream, 0) != 0xFFFE:
        return {}
    for index in range(min(u32(stream, 24), PROPERTY_SECTIONS)):
        if stream[28 + 20 * index : 44 + 20 * index] == USER_PROPERTIES:
            start = u32(stream, 44 + 20 * index)
            return _user_section(stream[start : start + u32(stream, start)])
    return {}


def _user_section(section: bytes) -> dict[str, str]:
    offsets: dict[int, int] = {}
    for index in range(min(u32(section, 4), (len(section) - 8) // 8)):  # 8 bytes a property
        pid, offset = unpack_at("<II", section, 8 + 8 * index)
        offsets.setdefault(pid, offset)
    codepage = 1252
    if 1 in offsets and u16(section, offsets[1]) == 0x0002:  # VT_I2, read unsigned: 65001 is stored as -535
        codepage = u16(section, offsets[1] + 4)
    out: dict[str, str] = {}
    for pid, name in _dictionary(section, offsets.get(0), codepage).items():
        if pid > 1 and pid in offsets:
            try:
                value = _typed_value(section, offsets[pid], codepage)
            except Malformed:
                continue  # one unreadable value does not hide the others
            if value is not None:
                out.setdefault(name, value)
    return out


def _dictionary(section: bytes, offset: int | None, codepage: int) -> dict[int, str]:
    """Property id -> name. Names are counted in characters; UTF-16 ones are padded to 4 bytes."""
    if offset is None:
        return {}
    wide, codec = codepage == 1200, codec_for(codepage)
    names: dict[int, str] = {}
    pos = offset + 4
    for _ in range(min(u32(section, offset), len(section) // 8)):  # 8 bytes an entry at least
        if pos + 8 > len(section):
            break
        pid, chars = unpack_at("<II", section, pos)
        size = chars * (2 if wide else 1)
        raw = section[pos + 8 : pos + 8 + size]
        if len(raw) != size:
            break
        names.setdefault(pid, raw.decode(codec, errors="replace").split("\0", 1)[0])
        pos += 8 + (-(-size // 4) * 4 if wide else size)
    return names


def _typed_value(section: bytes, pos: int, codepage: int) -> str | None:
    """A value as text, the way custom.xml shows it in an .xlsx; None for other types."""
    vt, pos = u16(section, pos), pos + 4
    if vt == 0x1E:  # VT_LPSTR: byte count, then text in the section's code page
        raw = section[pos + 4 : pos + 4 + u32(section, pos)]
        return raw.decode(codec_for(codepage), errors="replace").split("\0", 1)[0]
    if vt == 0x1F:  # VT_LPWSTR: character count, then UTF-16
        raw = section[pos + 4 : pos + 4 + 2 * u32(section, pos)]
        return raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]
    if vt in (0x02, 0x03, 0x13):  # VT_I2, VT_I4, VT_UI4
        return str(unpack_at({0x02: "<h", 0x03: "<i", 0x13: "<I"}[vt], section, pos)[0])
    if vt == 0x0B:  # VT_BOOL: 0 is false, anything else true
        return "true" if u16(section, pos) else "false"
    if vt == 0x05:  # VT_R8
        return format(unpack_at("<d", section, pos)[0], ".15g")
    if vt == 0x40:  # VT_FILETIME: 100-nanosecond ticks since 1601, UTC
        try:
            moment = datetime(1601, 1, 1) + timedelta(microseconds=unpack_at("<Q", section, pos)[0] // 10)
        except OverflowError:
            return None
        return moment.isoformat(timespec="seconds") + "Z"
    return None


def codec_for(codepage: int) -> str:
    """The Python codec of a Windows code page number; latin-1 when Python has none."""
    import codecs

    name = {1200: "utf-16-le", 65001: "utf-8", 10000: "mac-roman"}.get(codepage, f"cp{codepage}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "latin-1"
