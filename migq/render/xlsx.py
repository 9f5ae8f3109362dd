"""The report as an Excel workbook: a Summary sheet with the sentences, then one sheet per table.

Each table sheet: the title in A1, the header on row 2 (bold, shaded, frozen), counts as
numbers, shares as numbers formatted 0%, widths fitted to the content. Text cells that a
spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import re
from pathlib import Path

from migq.render.cells import neutralise

HEADER_FILL = "D9D9D9"
MAX_WIDTH = 60
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(table, used: set[str]) -> str:
    base = {"response": "Response", "positions": "Positions"}.get(table.key)
    if base is None:
        base = table.key.replace("by:question:", "By ").replace("by:", "By ").replace("question:", "Q ")
    base = _SHEET_FORBIDDEN.sub("_", base)[:31].strip("'") or "Table"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _fit(ws, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, max(8, width + 2))


def _write_table(ws, table) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.cell(row=1, column=1, value=neutralise(table.title)).font = Font(bold=True, size=12)
    widths: dict[int, int] = {}
    for col, name in enumerate(table.columns, start=1):
        cell = ws.cell(row=2, column=col, value=neutralise(name))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[col] = len(name)
    for r, row in enumerate(table.rows, start=3):
        for col, (value, kind) in enumerate(zip(row, table.kinds), start=1):
            cell = ws.cell(row=r, column=col, value=neutralise(value))
            if kind == "share" and isinstance(value, float):
                cell.number_format = "0%"
            elif kind == "int" and isinstance(value, str):
                cell.alignment = Alignment(horizontal="right")
            widths[col] = max(widths[col], len(str(value)) if value is not None else 0)
    ws.freeze_panes = "A3"
    _fit(ws, widths)


def _write_summary(ws, report) -> None:
    from openpyxl.styles import Alignment, Font

    lines = [(report.heading, True), (f"{report.title} ({report.form_id} {report.version})", False),
             ("", False), (report.response_sentence, False), ("", False)]
    lines += [(p.sentence + (" *" if p.coded else ""), False) for p in report.positions]
    lines += [("", False)] + [(note, False) for note in report.notes]
    for r, (line, bold) in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1, value=neutralise(line))
        cell.font = Font(bold=bold, size=12 if bold else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110


def write_xlsx(report, path: str | Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    summary = wb.active
    summary.title = report.t("summary")[:31]
    _write_summary(summary, report)
    used = {summary.title.lower()}
    for table in report.tables():
        _write_table(wb.create_sheet(_sheet_name(table, used)), table)
    path = Path(path)
    from migq.files import output_file

    with output_file(path, app="Excel") as tmp:
        wb.save(tmp)
    return path
