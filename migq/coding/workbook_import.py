"""Reading a coding sheet back: validate everything, then store all of it or nothing.

Each problem is located (file, sheet, row, column) and says how to fix it. Rows are matched by
their ``key`` through the hidden key table, so a coder may re-sort or filter the sheet. On a row
where the coder entered anything, a blank code cell reads as 0 (does not apply); a row with no
code entered is not coded and stores nothing.

The hidden metadata (coder, role, questionnaire, key table) must be what the export's audit
record says: decisions are stored under that coder and role, and 'final' ones are what the
report counts, so an edited hidden sheet is refused, never trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from migq.coding.store import Decision, RecordSummary, codes_for, record_decisions
from migq.coding.workbook import (APPLIES_VALUES, FIXED, KEY_TABLE_ROW, META, META_FIELDS, SAID, SHEET, TAIL,
                                  key_table_digest)
from migq.errors import MigqError, Problem, problem
from migq.store import schema
from migq.store.db import Store

NOT_APPLIES = ("0", "no")
CHECKED_FIELDS = ("coder", "role", "form_id", "version")  # the metadata the export's audit record also holds
MAX_ID = 2 ** 63 - 1  # the largest id a database INTEGER holds


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
    meta_sheet, coding_sheet = _sheets(wb, path.name)
    meta = {str(r[0].value): "" if r[1].value is None else str(r[1].value)  # as written: ' alice' is not 'alice'
            for r in meta_sheet.iter_rows(max_row=len(META_FIELDS), max_col=2)}
    result.export_id, result.coder, result.role = (meta.get(k, "") for k in ("export_id", "coder", "role"))
    where = dict(file=path.name, sheet=META)
    record = _export_record(store, result.export_id)
    found = find_questionnaire(store, str(record["form_id"]), str(record["version"])) if record else None
    if found is None:
        result.problems.append(problem("coding_unknown_export", value=result.export_id or "?", **where, row=1))
        return result
    _check_metadata(meta, record, path.name)
    qid, q = found
    if coder and coder != result.coder:
        result.problems.append(problem("coding_coder_mismatch", value=result.coder, ref=coder, **where, row=2))
    if role and role != result.role:
        kind = {"final": "an adjudication sheet", "coder": "a coder's sheet"}
        result.problems.append(problem("coding_wrong_role", value=kind.get(result.role, "another sheet"),
                                       ref=kind[role], **where, row=3))
    keys, key_rows, key_problems = _key_table(meta_sheet, path.name)
    if key_problems:  # the rows cannot be matched to answers: say where, read no further
        result.problems += key_problems
        return result
    _check_key_table(keys, record, path.name)
    decisions, problems, rows = _read_rows(coding_sheet, q, keys, path.name)
    result.problems += problems + _unknown_answers(store, qid, keys, key_rows, path.name)
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


def _sheets(wb, file_name: str):
    """The hidden '_migq' sheet and the 'Coding' sheet, both sheets of cells."""
    from openpyxl.worksheet.worksheet import Worksheet

    if META not in wb.sheetnames or SHEET not in wb.sheetnames:
        raise MigqError("is not a coding sheet exported by migq (its hidden '_migq' sheet or its "
                        "'Coding' sheet is missing).", hint="Export one with 'migq code export'.", path=file_name)
    for name in (META, SHEET):
        if not isinstance(wb[name], Worksheet):  # a chartsheet of the same name
            raise MigqError(f"is not a coding sheet exported by migq (its '{name}' sheet is a chart, not a "
                            "sheet of cells).", hint="Export a fresh sheet with 'migq code export'.", path=file_name)
    return wb[META], wb[SHEET]


def _export_record(store: Store, export_id: str) -> dict | None:
    """The details of the 'coding_exported' audit record of this export id, or None."""
    if not export_id:
        return None
    a = schema.audit_log
    with store.read() as conn:
        # autoescape: the id comes from the file, and '%' or '_' in it must not match other ids
        details = conn.execute(select(a.c.detail).where(
            a.c.action == "coding_exported", a.c.detail.contains(export_id, autoescape=True))).scalars().all()
    return next((d for d in map(json.loads, details) if d.get("export_id") == export_id), None)


def _altered(what: str, file_name: str) -> MigqError:
    return MigqError(f"its hidden '{META}' sheet was altered: {what}.",
                     hint="Export a fresh sheet with 'migq code export' and enter the codes there; the hidden "
                          "sheet must stay as exported.", path=file_name)


def _check_metadata(meta: dict[str, str], record: dict, file_name: str) -> None:
    """Coder, role and questionnaire as the export recorded them: they decide how decisions are stored."""
    for name in CHECKED_FIELDS:
        value, recorded = meta.get(name, ""), str(record.get(name, ""))
        if not value or value != recorded:
            shown = f"reads '{value}'" if value else "is blank"
            raise _altered(f"the {name} (row {META_FIELDS.index(name) + 1}) {shown}, but export "
                           f"{record['export_id']} was made with '{recorded}'", file_name)


def _check_key_table(keys: dict[str, tuple[int, str]], record: dict, file_name: str) -> None:
    rows = [(key, *answer) for key, answer in keys.items()]
    if "key_table_sha256" in record:
        intact = key_table_digest(rows) == record["key_table_sha256"]
    else:  # exported before the digest was recorded: only the number of rows can be compared
        intact = len(rows) == record.get("rows")
    if not intact:
        raise _altered(f"the key table (from row {KEY_TABLE_ROW + 1}) is not the one export {record['export_id']} "
                       "recorded", file_name)


def _key_table(ws, file_name: str):
    """key -> (submission id, question), key -> its row, and a problem for each id that is none."""
    keys, key_rows, problems = {}, {}, []
    for r, row in enumerate(ws.iter_rows(min_row=KEY_TABLE_ROW + 1, max_col=3, values_only=True),
                            start=KEY_TABLE_ROW + 1):
        key, question = _cell_value(row[0]), _cell_value(row[2])
        if not key:
            continue
        submission_id = _submission_id(row[1])
        if submission_id is None:
            problems.append(problem("coding_answer_missing", value=key, file=file_name, sheet=META, row=r,
                                    column="B", ref=f"{_cell_value(row[1]) or '?'}/{question}"))
            continue
        keys[key], key_rows[key] = (submission_id, question), r
    return keys, key_rows, problems


def _submission_id(value) -> int | None:
    """The id a key-table cell holds, or None for text, a date, a fraction, infinity or 2**70."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    return None


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
            if h in columns:  # two columns for one code: which one the coder meant cannot be told
                problems.append(problem("duplicate_column", column=h, file=file_name, sheet=SHEET, row=1))
            columns.setdefault(h, col)
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


def _unknown_answers(store: Store, questionnaire_id: int, keys, key_rows, file_name) -> list[Problem]:
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
                    sheet=META, row=key_rows[key])
            for key, (sid, question) in keys.items() if (sid, question) not in present]
