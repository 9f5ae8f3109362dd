"""Coding sheets: one row per free-text answer, one dropdown column per applicable code.

The visible sheet 'Coding' has a ``key`` column (export prefix + number) that a coder may re-sort freely; the
very hidden sheet '_migq' maps each key to (submission_id, question) and carries the export id,
coder, role ('coder' or 'final' for an adjudication sheet) and the questionnaire. The export is
recorded in the audit log with the same metadata and a digest of the key table, so an import can
tell a sheet of this workspace from any other, and a sheet whose hidden metadata was edited.
Reading back is ``migq.coding.workbook_import``. Layout and conventions: docs/coding.md.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from migq.coding.store import coded_questions, codes_for, coding_units, live_codings
from migq.export_formats import neutralise
from migq.questionnaire import Questionnaire
from migq.store.db import Store

SHEET = "Coding"
META = "_migq"
CODEBOOK = "Codebook"
FIXED = ("key", "recipient", "question", "language", "text")
SAID = "coders_said"
TAIL = ("note", "status")
APPLIES_VALUES = ("1", "x", "yes")  # read (case-insensitive) as 'applies'; '0' and 'no' as not
META_FIELDS = ("export_id", "coder", "role", "form_id", "version", "as_of", "created_at")
KEY_HEADER = ("key", "submission_id", "question")
KEY_TABLE_ROW = len(META_FIELDS) + 2  # header row of the key table in the hidden sheet


@dataclass(frozen=True)
class SheetExport:
    path: Path
    export_id: str
    coder: str
    role: str
    rows: int
    prefilled: int


def export_coding_sheet(store: Store, questionnaire_id: int, q: Questionnaire, path: str | Path, coder: str,
                        *, questions: list[str] | None = None, as_of: date | None = None,
                        blind: bool = False, adjudication: bool = False, lang: str | None = None) -> SheetExport:
    """Write a coding sheet for ``coder`` (or, with ``adjudication``, the adjudication sheet)."""
    from migq.errors import MigqError, UsageError
    from migq.registry import load_roster

    if not coder.strip():  # decisions are stored under this name: a blank one says nothing
        raise UsageError("the coder's name is blank.", hint="Name who will code the sheet, e.g. --coder alice.")
    lang = lang or q.default_language
    unknown = sorted(set(questions or ()) - set(coded_questions(q)))
    if unknown:
        raise UsageError(f"no code applies to question {', '.join(unknown)}.",
                         hint=f"Coded questions: {', '.join(coded_questions(q))}.")
    units = coding_units(store, questionnaire_id, q, as_of, questions)
    role = "final" if adjudication else "coder"
    if adjudication:
        decided = live_codings(store, questionnaire_id, role="coder")
        units, said, prefill, status = _adjudication_rows(units, decided, live_codings(store, questionnaire_id, "final"))
    else:
        mine = live_codings(store, questionnaire_id, role="coder", coder=coder)
        said, prefill = {}, _by_answer(mine)
        status = {k: f"coded {v['at'].max():%Y-%m-%d}" for k, v in mine.groupby(["submission_id", "question"])}
    if units.empty:
        what = "no disagreement or coded answer to adjudicate" if adjudication else "no free-text answer to code"
        raise MigqError(f"there is {what} in {q.form_id}:{q.version}.",
                        hint="Check --question and --as-of, or ingest replies first.")
    export_id = uuid.uuid4().hex[:16]
    if blind:  # an order that does not follow the recipients' codes
        units = units.assign(_h=[hashlib.sha1(f"{export_id}{s}{x}".encode()).hexdigest()
                                 for s, x in zip(units["submission_id"], units["question"])])
        units = units.sort_values("_h").drop(columns="_h").reset_index(drop=True)
    codes = [c.code for c in q.codes if c.code in {k.code for name in units["question"].unique()
                                                    for k in codes_for(q, name)}]
    roster = load_roster()
    meta = dict(export_id=export_id, coder=coder, role=role, form_id=q.form_id, version=q.version,
                as_of=(as_of or date.today()).isoformat(), created_at=pd.Timestamp.now("UTC").isoformat())
    headers = [h for h in FIXED if not (blind and h == "recipient")] + codes + ([SAID] if adjudication else []) + list(TAIL)
    rows, keys = [], []
    for n, u in enumerate(units.itertuples(index=False), start=1):
        key = f"{export_id[:4].upper()}-{n:04d}"  # a row pasted from another export matches nothing
        answer = (int(u.submission_id), u.question)
        keys.append((key, *answer))
        applicable = {c.code for c in codes_for(q, u.question)}
        rec = roster.find(u.iso3)
        values = dict(key=key, recipient=f"{u.iso3} {rec.name(lang) if rec else ''}".strip(),
                      question=u.question, language=u.language, text=u.text,
                      note=prefill.get(answer, {}).get("_note", ""), status=status.get(answer, ""))
        values[SAID] = said.get(answer, "")
        for code in codes:
            values[code] = prefill.get(answer, {}).get(code) if code in applicable else None
        rows.append(([values.get(h) for h in headers], applicable, answer in status))
    _write(Path(path), q, lang, headers, codes, rows, keys, meta)
    with store.write() as conn:
        store.audit(conn, "coding_exported", file_name=Path(path).name, export_id=export_id, coder=coder,
                    role=role, form_id=q.form_id, version=q.version, rows=len(rows),
                    key_table_sha256=key_table_digest(keys))
    return SheetExport(Path(path), export_id, coder, role, len(rows), sum(1 for r in rows if r[2]))


def key_table_digest(keys) -> str:
    """A fingerprint of the key table, (key, submission id, question) rows in any order.

    Kept in the export's audit record: an import refuses a key table that was edited, e.g. a key
    pointed at another recipient's answer.
    """
    text = "\n".join(f"{key}\t{submission_id}\t{question}" for key, submission_id, question in sorted(keys))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _by_answer(decisions: pd.DataFrame) -> dict[tuple[int, str], dict]:
    out: dict[tuple[int, str], dict] = {}
    for d in decisions.itertuples(index=False):
        entry = out.setdefault((int(d.submission_id), d.question), {})
        entry[d.code] = 1 if d.applies else 0
        if d.note:
            entry["_note"] = d.note
    return out


def _adjudication_rows(units, decided, finals):
    """Answers some coder decided on, disagreements first; agreed values and finals prefilled."""
    said, prefill, status = {}, _by_answer(finals), {}
    disagree = set()
    for answer, group in decided.groupby(["submission_id", "question"]):
        answer = (int(answer[0]), answer[1])
        said[answer] = "; ".join(f"{coder}: " + ", ".join(f"{r.code}={int(r.applies)}" for r in g.itertuples())
                                 for coder, g in group.groupby("coder"))
        for code, g in group.groupby("code"):
            if g["applies"].nunique() > 1:
                disagree.add(answer)
            else:  # agreed: prefilled unless a final decision is already there
                prefill.setdefault(answer, {}).setdefault(code, int(g["applies"].iloc[0]))
        status[answer] = "disagreement" if answer in disagree else "agreed"
    for answer in _by_answer(finals):
        if answer in status:
            status[answer] = "final (" + status[answer] + ")"
    keys = list(zip(units["submission_id"].astype(int), units["question"]))
    keep = [k in said for k in keys]
    units = units[keep].assign(_d=[0 if k in disagree else 1 for k, ok in zip(keys, keep) if ok])
    units = units.sort_values(["_d"], kind="stable").drop(columns="_d").reset_index(drop=True)
    return units, said, prefill, status


def _write(path: Path, q: Questionnaire, lang: str, headers, codes, rows, keys, meta) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    grey, marked = PatternFill("solid", fgColor="DDDDDD"), PatternFill("solid", fgColor="FFF2CC")
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for col, h in enumerate(headers, start=1):
        cell = ws.cell(1, col, h)
        cell.font = Font(bold=True)
        code = next((c for c in q.codes if c.code == h), None)
        if code:
            cell.comment = Comment(code.label(lang), "migq")
        ws.column_dimensions[get_column_letter(col)].width = {"text": 70, "recipient": 24, SAID: 40,
                                                              "note": 30, "question": 26}.get(h, 12)
    dropdown = DataValidation(type="list", formula1='"1,0"', allow_blank=True, showErrorMessage=True,
                              errorTitle="Code", error="Enter 1 (the code applies), 0 (it does not) or leave blank.")
    ws.add_data_validation(dropdown)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (values, applicable, was_coded) in enumerate(rows, start=2):
        for col, (h, v) in enumerate(zip(headers, values), start=1):
            cell = ws.cell(r, col, neutralise(v) if v not in (None, "") else None)
            if cell.data_type == "f":  # never a live formula, whatever the answer says
                cell.data_type = "s"
            cell.alignment = wrap
            if h in codes:
                if h in applicable:
                    dropdown.add(cell)
                    if was_coded:
                        cell.fill = marked
                else:
                    cell.fill = grey
    ws.freeze_panes = "F2" if "recipient" in headers else "E2"
    ws.auto_filter.ref = ws.dimensions
    book = wb.create_sheet(CODEBOOK)
    book.append(["code", "label", "questions", "description"])
    for c in q.codes:
        if c.code in codes:
            book.append([c.code, c.label(lang), " ".join(c.questions), c.description.get(lang, "")])
    hidden = wb.create_sheet(META)
    for name in META_FIELDS:
        hidden.append([name, meta[name]])
    hidden.append([])
    hidden.append(list(KEY_HEADER))
    for k in keys:
        hidden.append(list(k))
    hidden.sheet_state = "veryHidden"
    from migq.files import output_file

    with output_file(path, app="Excel") as tmp:
        wb.save(tmp)
