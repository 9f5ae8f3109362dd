"""Reading a coding sheet back: validate everything, then store all of it or nothing.

Each problem is located (file, sheet, row, column) and says how to fix it. Rows are matched by
their ``key`` through the hidden key table, so a coder may re-sort or filter the sheet. On a row
where the coder entered anything, a blank code cell reads as 0 (does not apply); a row with no
code entered is not coded and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from migq.coding.store import Decision, RecordSummary, codes_for, record_decisions
from migq.coding.workbook import APPLIES_VALUES, FIXED, KEY_TABLE_ROW, META, META_FIELDS, SAID, SHEET, TAIL
from migq.errors import MigqError, Problem, problem
from migq.store import schema
from migq.store.db import Store

NOT_APPLIES = ("0", "no")


@dataclass
class SheetImport:
    path: Path
    export_id: str = ""
    coder: str = ""
    role: str = ""
    rows: int = 0  # coded rows read
    summary: RecordSummary | None = None  # None when nothing was stored
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def import_coding_sheet(store: Store, path: str | Path, coder: str | None = None,
                        role: str | None = None) -> SheetImport:
    """Validate a returned coding sheet and store its decisions in one transaction.

    ``coder``: who the caller says coded it (must match the sheet). ``role``: 'coder' or
    'final' when the caller expects one kind of sheet. Problems come back in the result;
    nothing is stored unless there is none.
    """
    from migq.forms.guard import GuardLimits, inspect_file
    from migq.store.register import find_questionnaire

    path = Path(path)
    result = SheetImport(path)
    inspect_file(path, limits=GuardLimits(max_sheet_rows=50_000, max_sheet_cols=500))
    wb = _open(path)
    if META not in wb.sheetnames or SHEET not in wb.sheetnames:
        raise MigqError("is not a coding sheet exported by migq (its hidden '_migq' sheet or its "
                        "'Coding' sheet is missing).", hint="Export one with 'migq code export'.", path=path.name)
    meta = {str(r[0].value): r[1].value for r in wb[META].iter_rows(max_row=len(META_FIELDS), max_col=2)}
    result.export_id, result.coder, result.role = (str(meta.get(k) or "") for k in ("export_id", "coder", "role"))
    where = dict(file=path.name, sheet=META)
    found = find_questionnaire(store, str(meta.get("form_id")), str(meta.get("version")))
    if found is None or not _was_exported(store, result.export_id):
        result.problems.append(problem("coding_unknown_export", value=result.export_id or "?", **where, row=1))
        return result
    qid, q = found
    if coder and coder != result.coder:
        result.problems.append(problem("coding_coder_mismatch", value=result.coder, ref=coder, **where, row=2))
    if role and role != result.role:
        kind = {"final": "an adjudication sheet", "coder": "a coder's sheet"}
        result.problems.append(problem("coding_wrong_role", value=kind.get(result.role, "another sheet"),
                                       ref=kind[role], **where, row=3))
    keys = _key_table(wb[META])
    decisions, problems, rows = _read_rows(wb[SHEET], q, keys, path.name)
    result.problems += problems + _unknown_answers(store, qid, keys, path.name)
    result.rows = rows
    if not result.ok:
        return result
    with store.write() as conn:
        result.summary = record_decisions(conn, decisions, coder=result.coder, role=result.role)
        store.audit(conn, "coding_imported", file_name=path.name, export_id=result.export_id, coder=result.coder,
                    role=result.role, rows=rows, added=result.summary.added, changed=result.summary.changed)
    return result


def _open(path: Path):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, data_only=True)
    except Exception as err:  # a damaged or foreign file: one located error
        raise MigqError(f"cannot be read as a workbook ({type(err).__name__}).",
                        hint="Save it again as .xlsx in Excel or LibreOffice.", path=path.name) from err


def _was_exported(store: Store, export_id: str) -> bool:
    if not export_id:
        return False
    a = schema.audit_log
    with store.read() as conn:
        return conn.execute(select(a.c.id).where(a.c.action == "coding_exported",
                                                 a.c.detail.like(f'%"export_id": "{export_id}"%'))).first() is not None


def _key_table(ws) -> dict[str, tuple[int, str]]:
    keys = {}
    for row in ws.iter_rows(min_row=KEY_TABLE_ROW + 1, max_col=3, values_only=True):
        if row[0]:
            keys[str(row[0])] = (int(row[1]), str(row[2]))
    return keys


def _cell_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _read_rows(ws, q, keys, file_name):
    from openpyxl.utils import get_column_letter

    problems, decisions, coded_rows, seen = [], [], 0, {}
    header = [_cell_value(c.value) for c in ws[1]]
    known_codes = {c.code for c in q.codes}
    columns = {}
    for col, h in enumerate(header, start=1):
        if not h or h in FIXED or h in TAIL or h == SAID:
            columns.setdefault(h, col)
        elif h in known_codes:
            columns[h] = col
        else:
            problems.append(problem("coding_unknown_code", value=h, ref=f"{q.form_id}:{q.version}",
                                    file=file_name, sheet=SHEET, row=1, column=get_column_letter(col)))
    if "key" not in columns:
        problems.append(problem("coding_no_key", file=file_name, sheet=SHEET, row=1))
        return decisions, problems, 0
    code_cols = {h: c for h, c in columns.items() if h in known_codes}
    for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        get = lambda col: _cell_value(row[col - 1]) if col - 1 < len(row) else ""  # noqa: E731
        values = {code: get(col) for code, col in code_cols.items()}
        key = get(columns["key"])
        if not key and not any(values.values()):
            continue
        loc = dict(file=file_name, sheet=SHEET, row=r)
        if key not in keys:
            problems.append(problem("coding_unknown_row", value=key, **loc, column=get_column_letter(columns["key"])))
            continue
        if key in seen:
            problems.append(problem("coding_duplicate_row", value=key, first_row=seen[key], **loc))
            continue
        seen[key] = r
        submission_id, question = keys[key]
        applicable = {c.code for c in codes_for(q, question)}
        note = get(columns["note"]) if "note" in columns else ""
        entered = {code: v for code, v in values.items() if v}
        if not entered:
            continue
        coded_rows += 1
        for code, col in code_cols.items():
            v = values[code]
            where = dict(loc, column=get_column_letter(col))
            if code not in applicable:
                if v:
                    problems.append(problem("coding_code_not_applicable", value=code, ref=question, **where))
                continue
            if v and v.lower() not in APPLIES_VALUES + NOT_APPLIES:
                problems.append(problem("coding_bad_value", value=v, **where))
                continue
            decisions.append(Decision(submission_id, question, code, v.lower() in APPLIES_VALUES, note))
    return decisions, problems, coded_rows


def _unknown_answers(store: Store, questionnaire_id: int, keys, file_name) -> list[Problem]:
    """Key-table rows whose answer is not (or no longer) in this workspace."""
    if not keys:
        return []
    a, s = schema.answers, schema.submissions
    ids = sorted({sid for sid, _ in keys.values()})
    with store.read() as conn:
        present = {(r.submission_id, r.question) for r in conn.execute(
            select(a.c.submission_id, a.c.question).join(s, s.c.id == a.c.submission_id)
            .where(s.c.questionnaire_id == questionnaire_id, a.c.submission_id.in_(ids)))}
    return [problem("coding_answer_missing", value=key, ref=f"{sid}/{question}", file=file_name,
                    sheet=META, row=KEY_TABLE_ROW + 1 + n)
            for n, (key, (sid, question)) in enumerate(keys.items()) if (sid, question) not in present]
