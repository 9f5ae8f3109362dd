"""OpenDocument spreadsheets (.ods): named ranges, formulas and properties from the XML parts;
values through python-calamine."""

from __future__ import annotations

import io
import zipfile

from migq.errors import MigqError
from migq.forms.cells import _ODS_REF, Book, CellRef, _attr, _CalamineValues, _local, _unreadable, parse_reference

MAX_FORMULAS = 100_000  # formula positions remembered while scanning content.xml


class OdsBook(_CalamineValues, Book):
    kind = "ods"
    _TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"

    def __init__(self, data: bytes, file_name: str):
        super().__init__(data, file_name)
        self._formulas: dict[CellRef, str] = {}
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self._scan_content()
        except MigqError:
            raise
        except Exception as exc:
            raise _unreadable(file_name, exc) from None

    def _scan_content(self) -> None:
        """One streaming pass over content.xml: named ranges and the positions of formulas."""
        from defusedxml.ElementTree import iterparse

        t = "{%s}" % self._TABLE
        table, row, col = None, -1, 0
        for event, elem in iterparse(self.zip.open("content.xml"), events=("start", "end")):
            tag = elem.tag
            if event == "start":
                if tag == t + "table":
                    table, row = elem.get(t + "name"), -1
                elif tag == t + "table-row":
                    row, col = row + 1, 0
                continue
            if tag in (t + "table-cell", t + "covered-table-cell"):
                formula = elem.get(t + "formula")
                if formula and table is not None and len(self._formulas) < MAX_FORMULAS:
                    self._formulas[CellRef(table, row, col)] = formula
                col += int(elem.get(t + "number-columns-repeated") or 1)
                elem.clear()
            elif tag == t + "table-row":
                row += int(elem.get(t + "number-rows-repeated") or 1) - 1
                elem.clear()
            elif tag == t + "table":
                table = None
                elem.clear()
            elif tag == t + "named-range":
                ref = parse_reference(elem.get(t + "cell-range-address") or "", _ODS_REF)
                name = elem.get(t + "name") or ""
                if ref is not None and not name.startswith("_xlnm."):
                    (self.local_names if table is not None else self.names).setdefault(name, ref)

    def formulas(self, refs) -> dict[CellRef, str]:
        return {r: self._formulas[r] for r in refs if r in self._formulas}

    def properties(self) -> dict[str, str]:
        if "meta.xml" not in self.zip.namelist():
            return {}
        from defusedxml.ElementTree import fromstring

        out = {}
        for elem in fromstring(self.zip.read("meta.xml")).iter():
            if _local(elem.tag) == "user-defined" and _attr(elem, "name"):
                out[_attr(elem, "name")] = (elem.text or "").strip()
        return out
