"""The report as a Word document: headings, the sentences as paragraphs, the map, tables
ready to paste into a UN report (Table Grid style, bold header row repeated across pages)."""

from __future__ import annotations

import io
from pathlib import Path

from migq.render.cells import format_cell, response_map


def _table(doc, table, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc.add_heading(table.title, level=3)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    header = grid.rows[0]
    repeat = OxmlElement("w:tblHeader")  # repeat the header row on every page
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, name in zip(header.cells, table.columns):
        cell.text = ""
        cell.paragraphs[0].add_run(name).bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value, kind in zip(cells, row, table.kinds):
            cell.text = format_cell(value, kind, lang)
            if kind != "text":
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def write_docx(report, path: str | Path, with_map: bool = True) -> Path:
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    doc.add_heading(report.heading, level=1)
    doc.add_paragraph().add_run(f"{report.title} ({report.form_id} {report.version})").italic = True
    doc.add_paragraph(report.response_sentence)
    if with_map:
        png, why = response_map(report, "png")
        if png is not None:
            doc.add_picture(io.BytesIO(png), width=Inches(6.3))
        else:
            doc.add_paragraph().add_run(report.t("map_missing", why=why)).italic = True
    if report.positions:
        doc.add_heading(report.t("positions"), level=2)
        for p in report.positions:
            doc.add_paragraph(p.sentence + (" *" if p.coded else ""))
    doc.add_heading(report.t("tables"), level=2)
    for table in report.tables():
        _table(doc, table, report.lang)
    for note in report.notes:
        doc.add_paragraph().add_run(note).italic = True
    path = Path(path)
    from migq.files import output_file

    with output_file(path, app="Word") as tmp:
        doc.save(str(tmp))
    return path
