"""Low-level access to a returned workbook: defined names, named cells, formulas, metadata.

One small class per file kind gives the reader the same five things: the workbook's defined
names (as cell references), the values of the cells asked for, which of them hold formulas,
the rows of the metadata sheet and the custom document properties. Reading is bounded by the
cells asked for (rows up to the last named cell), never by the size the file claims.

Values come from python-calamine (xlsx, xlsm, ods) and xlrd (xls, because it also reads the
defined names calamine does not expose). Names, formulas and properties come from the XML
parts, parsed with defusedxml.
"""

from __future__ import annotations

import functools
import io
import os
import re
import zipfile
from abc import ABC, abstractmethod
from pathlib import PurePosixPath
from typing import NamedTuple

from migq.errors import MigqError
from migq.forms.contract import META_SHEET

META_ROWS = 64  # the metadata sheet holds len(META_KEYS) rows; read a few more, never the rest


class CellRef(NamedTuple):
    """A cell: a tuple, as it is a dict key tens of times per form (hashed in C)."""

    sheet: str
    row: int  # 0-based
    col: int  # 0-based

    @property
    def coordinate(self) -> str:
        return _coordinate(self.row, self.col)

    @property
    def address(self) -> str:
        return f"{self.sheet}!{_coordinate(self.row, self.col)}"


@functools.lru_cache(maxsize=4096)  # every form names the same cells
def _coordinate(row: int, col: int) -> str:
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


_XLSX_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!\[][^!]*))!\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?[A-Za-z]{1,3}\$?\d+)?$")
_ODS_REF = re.compile(r"^\$?(?:'((?:[^']|'')+)'|([^'.][^.]*))\.\$?([A-Za-z]{1,3})\$?(\d+)(?::.*)?$")


@functools.lru_cache(maxsize=4096)  # every reply names the same cells: parse each once
def parse_reference(text: str, pattern=_XLSX_REF) -> CellRef | None:
    """'Questionnaire'!$C$12 (or $Questionnaire.$C$12 for ods) -> CellRef; a range gives its
    top-left cell; anything else (#REF!, formulas, whole rows) -> None."""
    m = pattern.match((text or "").strip())
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    return CellRef(sheet, int(m.group(4)) - 1, _col_index(m.group(3)))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem, local: str) -> str | None:
    for key, value in elem.attrib.items():
        if _local(key) == local:
            return value
    return None


class FormError(MigqError):
    """A returned file that cannot be read as a form; the message itself names the file."""

    def render(self) -> str:
        return self.message


def _unreadable(file_name: str, exc: Exception) -> MigqError:
    # A reader that stops on a failed internal check says nothing (xlrd's asserts): name the fault.
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "its internal structure is inconsistent"
    return FormError(
        f"{file_name} cannot be opened as a workbook ({detail}): ask the sender to save it again as .xlsx and resend it.",
        path=file_name,
    )


class Book(ABC):
    """What the reader needs from a workbook; subclasses fill ``names`` and ``local_names``."""

    kind = ""

    def __init__(self, data: bytes, file_name: str):
        self.data, self.file_name = data, file_name
        self.names: dict[str, CellRef] = {}  # workbook-level defined names
        self.local_names: dict[str, CellRef] = {}  # sheet-level ones, used only as a fallback
        self._folded: dict[str, CellRef] | None = None

    def find(self, name: str) -> CellRef | None:
        """The cell of a defined name; names are case-insensitive in Excel and LibreOffice."""
        if name in self.names:
            return self.names[name]
        if self._folded is None:
            self._folded = {k.casefold(): v for k, v in {**self.local_names, **self.names}.items()}
        return self._folded.get(name.casefold())

    @abstractmethod
    def values(self, refs) -> dict[CellRef, object]:
        """The values of the named cells (each format reads them its own way)."""

    def formulas(self, refs) -> dict[CellRef, str]:
        return {}

    @abstractmethod
    def meta_rows(self) -> dict[str, str] | None:
        """Key/value rows of the metadata sheet, or None when it was removed."""

    def properties(self) -> dict[str, str]:
        return {}


class _CalamineValues:
    """Cell values through python-calamine, one bounded read per sheet."""

    def _calamine(self):
        if getattr(self, "_wb", None) is None:
            from python_calamine import CalamineWorkbook

            try:
                self._wb = CalamineWorkbook.from_filelike(io.BytesIO(self._native_input()))
            except Exception as exc:  # calamine raises its own error types for damaged files
                raise _unreadable(self.file_name, exc) from None
        return self._wb

    def _native_input(self) -> bytes:
        return self.data

    def _rows(self, sheet: str, nrows: int) -> list[list] | None:
        cache = self.__dict__.setdefault("_row_cache", {})
        if sheet in cache and cache[sheet][0] >= nrows:
            return cache[sheet][1]
        wb = self._calamine()
        if sheet not in wb.sheet_names:
            return None
        try:
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)
        except Exception as exc:
            raise _unreadable(self.file_name, exc) from None
        cache[sheet] = (nrows, rows)
        return rows

    def values(self, refs) -> dict[CellRef, object]:
        by_sheet: dict[str, list[CellRef]] = {}
        for ref in refs:
            by_sheet.setdefault(ref.sheet, []).append(ref)
        out: dict[CellRef, object] = {}
        for sheet, wanted in by_sheet.items():
            rows = self._rows(sheet, max(r.row for r in wanted) + 1) or []
            for ref in wanted:
                row = rows[ref.row] if ref.row < len(rows) else ()
                out[ref] = row[ref.col] if ref.col < len(row) else None
        return out

    def meta_rows(self) -> dict[str, str] | None:
        rows = self._rows(META_SHEET, META_ROWS)
        if rows is None:
            return None
        return {str(r[0]).strip(): _meta_text(r[1]) for r in rows if len(r) >= 2 and str(r[0]).strip()}


def _meta_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a version typed as 2008 may come back as a number
    return "" if value is None else str(value).strip()


# What a workbook part names, by its exact bytes: the replies to one form, saved by the same
# program, share that part byte for byte, and parsing it was a tenth of reading a form.
_WORKBOOKS: dict[bytes, tuple] = {}
_WORKBOOKS_KEPT = 32


class XlsxBook(_CalamineValues, Book):
    """An .xlsx/.xlsm package. Given the guard's ``package``, the parts the guard already
    inflated and checked are parsed from memory and the file is not unzipped again."""

    kind = "xlsx"

    def __init__(self, data: bytes, file_name: str, package=None):
        super().__init__(data, file_name)
        self.package = package
        self._zip = None
        try:
            self._members = set(package.names) if package else set(self.zip.namelist())
            self._read_workbook()
        except MigqError:
            raise
        except Exception as exc:
            raise _unreadable(file_name, exc) from None

    @property
    def zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self.data))
        return self._zip

    def _native_input(self) -> bytes:
        """The guard's uncompressed rebuild of the package when there is one: calamine then
        inflates nothing again, and never sees the sender's own ZIP container."""
        unpacked = self.package.unpacked if self.package else None
        return unpacked if unpacked is not None else self.data

    def _part(self, part: str) -> bytes:
        if self.package and part in self.package.parts:
            return self.package.parts[part]
        return self.zip.read(part)

    def _xml(self, part: str):
        if self.package and part in self.package.parts:
            # The guard found no DTD in this part, so no entity can be declared: the C parser
            # is safe on it and twice as fast as defusedxml's Python-level one.
            from xml.etree.ElementTree import fromstring
        else:
            from defusedxml.ElementTree import fromstring
        try:
            return fromstring(self._part(part))
        except (SyntaxError, ValueError) as exc:  # ParseError is a SyntaxError; defusedxml's are ValueErrors
            raise _unreadable(self.file_name, exc) from None

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, absolute part name) for ``part``."""
        path = PurePosixPath(part)
        rels_part = str(path.parent / "_rels" / (path.name + ".rels")).lstrip("./") if part else "_rels/.rels"
        if rels_part not in self._members:
            return {}
        out = {}
        for rel in self._xml(rels_part):
            target = rel.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else os.path.normpath(str(path.parent / target)).replace(os.sep, "/")
            out[rel.get("Id", "")] = (rel.get("Type", ""), full.lstrip("./"))
        return out

    def _related(self, part: str, kind: str, default: str) -> str:
        """The part the usual name points at; else the one ``part``'s relationships name."""
        if default in self._members:
            return default
        return next((p for t, p in self._rels(part).values() if t.endswith(kind)), default)

    def _read_workbook(self) -> None:
        # Only workbook.xml is parsed up front; relationships are read when needed (speed).
        self.workbook_part = self._related("", "/officeDocument", "xl/workbook.xml")
        raw = self._part(self.workbook_part)
        known = _WORKBOOKS.get(raw)
        if known is None:
            known = self._parse_workbook()
            if len(_WORKBOOKS) >= _WORKBOOKS_KEPT:
                _WORKBOOKS.clear()
            _WORKBOOKS[raw] = known
        sheet_ids, names, local_names = known
        self._sheet_ids, self.names, self.local_names = dict(sheet_ids), dict(names), dict(local_names)

    def _parse_workbook(self) -> tuple[dict[str, str], dict[str, CellRef], dict[str, CellRef]]:
        """(sheet name -> relationship id, workbook-level names, sheet-level names)."""
        sheet_ids: dict[str, str] = {}
        names: dict[str, CellRef] = {}
        local_names: dict[str, CellRef] = {}
        for elem in self._xml(self.workbook_part).iter():
            tag = _local(elem.tag)
            if tag == "sheet":
                sheet_ids[elem.get("name", "")] = _attr(elem, "id") or ""
            elif tag == "definedName":
                ref = parse_reference(elem.text or "")
                name = elem.get("name", "")
                if ref is None or name.startswith("_xlnm."):
                    continue
                target = local_names if elem.get("localSheetId") is not None else names
                target.setdefault(name, ref)
        return sheet_ids, names, local_names

    def _sheet_part(self, sheet: str) -> str | None:
        if not hasattr(self, "_sheet_rels"):
            self._sheet_rels = self._rels(self.workbook_part)
        rel = self._sheet_rels.get(self._sheet_ids.get(sheet, ""))
        return rel[1] if rel and rel[1] in self._members else None

    def formulas(self, refs) -> dict[CellRef, str]:
        if self.package is not None:
            if not self.package.formula_parts:
                return {}  # the guard saw no formula anywhere: the usual case
        else:
            sheets = [m for m in self._members if "worksheets/" in m and m.endswith(".xml")]
            if not any(self._HAS_FORMULA.search(self.zip.read(m)) for m in sheets):
                return {}
        out: dict[CellRef, str] = {}
        by_sheet: dict[str, dict[str, CellRef]] = {}
        for ref in refs:
            by_sheet.setdefault(ref.sheet, {})[ref.coordinate] = ref
        for sheet, wanted in by_sheet.items():
            part = self._sheet_part(sheet)
            if part:
                out.update(self._sheet_formulas(part, wanted))
        return out

    _HAS_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")

    def _sheet_formulas(self, part: str, wanted: dict[str, CellRef]) -> dict[CellRef, str]:
        if self.package is not None and part not in self.package.formula_parts:
            return {}
        raw = self._part(part)
        if not self._HAS_FORMULA.search(raw):
            return {}  # the usual case: no formula anywhere, no parse needed
        from defusedxml.ElementTree import iterparse

        last_row = max(r.row for r in wanted.values()) + 1
        try:
            return self._formula_cells(iterparse(io.BytesIO(raw), events=("end",)), wanted, last_row)
        except (SyntaxError, ValueError) as exc:  # broken XML, a row number that is no number
            raise _unreadable(self.file_name, exc) from None

    @staticmethod
    def _formula_cells(events, wanted: dict[str, CellRef], last_row: int) -> dict[CellRef, str]:
        found: dict[CellRef, str] = {}
        for _, elem in events:
            tag = _local(elem.tag)
            if tag == "c":
                ref = wanted.get((elem.get("r") or "").upper())
                f = next((ch for ch in elem if _local(ch.tag) == "f"), None)
                if ref is not None and f is not None:
                    found[ref] = "=" + (f.text or "")
                elem.clear()
            elif tag == "row":
                elem.clear()
                if int(elem.get("r") or 0) >= last_row:
                    break  # past the last named cell: the rest of the sheet is not ours to read
        return found

    def properties(self) -> dict[str, str]:
        part = self._related("", "/custom-properties", "docProps/custom.xml")
        if part not in self._members:
            return {}
        out = {}
        for prop in self._xml(part):
            if _local(prop.tag) == "property" and prop.get("name"):
                out[prop.get("name")] = "".join(prop.itertext()).strip()
        return out


def open_book(data: bytes, kind: str, file_name: str, package=None) -> Book:
    """The workbook access object for ``kind`` ('xlsx', 'xlsm', 'xls' or 'ods'); ``package`` is
    what the guard already inflated (``migq.forms.guard_zip.Package``), if at hand."""
    if kind in ("xlsx", "xlsm"):
        book = XlsxBook(data, file_name, package)
        book.kind = kind
        return book
    if kind == "ods":
        from migq.forms.cells_ods import OdsBook

        return OdsBook(data, file_name)
    if kind == "xls":
        from migq.forms.cells_xls import XlsBook

        return XlsBook(data, file_name)
    raise FormError(f"{file_name} is a '{kind}' file, which is not a workbook migq reads.", path=file_name)
