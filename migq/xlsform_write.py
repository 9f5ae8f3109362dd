"""Write a questionnaire as an XLSForm workbook, and describe it as JSON-able data.

The workbook has the sheets survey, choices, settings, positions and codes, with translated
columns headed like ``label::English (en)``; ``load_questionnaire`` reads it back to an equal
model (apart from ``source``). KoboToolbox and other XLSForm tools ignore the two migq sheets.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from migq.questionnaire import CLOSED_TYPES, Questionnaire
from migq.xlsform_sources import language_header


def questionnaire_to_dict(q: Questionnaire) -> dict:
    """The whole model as plain data (dates as YYYY-MM-DD, paths as text) for ``--format json``."""
    return {
        "form_id": q.form_id,
        "version": q.version,
        "titles": dict(q.titles),
        "default_language": q.default_language,
        "languages": list(q.languages),
        "deadline": q.deadline.isoformat() if q.deadline else None,
        "source": str(q.source) if q.source else None,
        "items": [asdict(item) for item in q.items],
        "positions": [asdict(p) for p in q.positions],
        "codes": [asdict(c) for c in q.codes],
    }


def _rows_survey(q: Questionnaire) -> tuple[list[str], list[list]]:
    langs = q.languages
    headers = ["type", "name", *(language_header("label", l) for l in langs),
               *(language_header("hint", l) for l in langs), "required", "relevant", "constraint",
               *(language_header("constraint_message", l) for l in langs)]
    rows = []
    for item in q.items:
        qtype = f"{item.type} {item.list_name}" if item.type in CLOSED_TYPES and item.list_name else item.type
        name = "" if item.type == "end_group" else item.name  # the loader names it after its group
        rows.append([qtype, name, *(item.labels.get(l, "") for l in langs), *(item.hints.get(l, "") for l in langs),
                     "yes" if item.required else "", item.relevant or "", item.constraint or "",
                     *(item.constraint_messages.get(l, "") for l in langs)])
    return headers, rows


def _rows_choices(q: Questionnaire) -> tuple[list[str], list[list]]:
    headers = ["list_name", "name", *(language_header("label", l) for l in q.languages)]
    rows, written = [], set()
    for item in q.items:
        if item.type in CLOSED_TYPES and item.list_name and item.list_name not in written:
            written.add(item.list_name)
            rows += [[item.list_name, c.name, *(c.labels.get(l, "") for l in q.languages)] for c in item.choices]
    return headers, rows


def _rows_settings(q: Questionnaire) -> tuple[list[str], list[list]]:
    headers = ["form_id", "version", *(language_header("form_title", l) for l in q.languages),
               "default_language", "deadline"]
    row = [q.form_id, q.version, *(q.titles.get(l, "") for l in q.languages), q.default_language,
           q.deadline.isoformat() if q.deadline else ""]
    return headers, [row]


def _rows_positions(q: Questionnaire) -> tuple[list[str], list[list]]:
    headers = ["name", *(language_header("label", l) for l in q.languages), "question", "choices", "codes", "base"]
    rows = [[p.name, *(p.labels.get(l, "") for l in q.languages), p.question, " ".join(p.choices),
             " ".join(p.codes), p.base] for p in q.positions]
    return headers, rows


def _rows_codes(q: Questionnaire) -> tuple[list[str], list[list]]:
    langs = q.languages
    headers = ["code", *(language_header("label", l) for l in langs), "questions",
               *(language_header("description", l) for l in langs)]
    rows = [[c.code, *(c.labels.get(l, "") for l in langs), " ".join(c.questions),
             *(c.description.get(l, "") for l in langs)] for c in q.codes]
    return headers, rows


def write_xlsform(questionnaire_or_path: Questionnaire | str | Path, out_path: str | Path) -> Path:
    """Write the definition as an XLSForm .xlsx workbook; returns the path written."""
    import openpyxl
    from openpyxl.styles import Font

    if isinstance(questionnaire_or_path, Questionnaire):
        q = questionnaire_or_path
    else:
        from migq.xlsform import load_questionnaire

        q = load_questionnaire(questionnaire_or_path)
    out = Path(out_path)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    builders = (("survey", _rows_survey), ("choices", _rows_choices), ("settings", _rows_settings),
                ("positions", _rows_positions), ("codes", _rows_codes))
    for title, build in builders:
        ws = wb.create_sheet(title)
        headers, rows = build(q)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
        ws.freeze_panes = "A2"
    from migq.files import output_file

    with output_file(out, app="Excel") as tmp:
        wb.save(tmp)
    return out
