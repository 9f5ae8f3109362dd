"""Legacy Excel workbooks (.xls) through xlrd."""

from __future__ import annotations

import os

from migq.forms.cells import META_ROWS, Book, CellRef, _meta_text, _unreadable
from migq.forms.contract import META_SHEET


class XlsBook(Book):
    """Legacy .xls through xlrd: it reads the defined names that calamine does not expose.

    xlrd does not decode formulas or OLE custom properties: formulas in an .xls go undetected
    (their cached values are read) and the identity comes from the metadata sheet only.
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
        return self.book.sheet_by_name(name) if name in self.book.sheet_names() else None

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
