"""The report as JSON (the documented interface) and as one CSV in long format.

CSV layout (docs/report.md): one line per table cell, columns
table, title, row_no, row, column, value. ``row`` is the row's first cell (its label), shares
are fractions (0.3333), suppressed cells are '<N'. Text that a spreadsheet would run as a
formula is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io

from migq.render.cells import neutralise

CSV_COLUMNS = ("table", "title", "row_no", "row", "column", "value")


def to_json(report) -> str:
    return report.to_json() + "\n"


def _raw(value, kind: str):
    if value is None:
        return ""
    if kind == "share" and isinstance(value, float):
        return round(value, 4)
    return value


def to_csv(report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for table in report.tables():
        for number, row in enumerate(table.rows, start=1):
            label = row[0]
            for column, value, kind in zip(table.columns[1:], row[1:], table.kinds[1:]):
                writer.writerow([neutralise(x) for x in
                                 (table.key, table.title, number, label, column, _raw(value, kind))])
    return buffer.getvalue()
