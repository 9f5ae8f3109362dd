"""The statistician's export: the counted replies as of a date, one row per recipient or answer.

    frame, meta = build_export(store, qid, date(2008, 6, 30), labels="fr")
    write_export(frame, meta, "replies.dta", "dta")

Wide (default): one row per recipient that replied, roster columns, the reply's version, date
received and late flag, then one column per question (select_multiple: one 0/1 column per
option, named ``question__option``) and a count of answers set aside as invalid (left blank).
Long (``long=True``): one row per answer. Answers are choice codes, or choice labels in
``labels`` (en/fr/es). See docs/export.md for every column and the per-format details.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from migq.export_formats import FORMATS, ExportMeta, neutralise, stata_name, write_export
from migq.questionnaire import Question, Questionnaire
from migq.store.db import Store

__all__ = ["FORMATS", "ExportMeta", "build_export", "build_export_frame", "neutralise", "stata_name",
           "write_export"]

ROSTER = ["iso3", "m49", "name", "region", "subregion", "group", "status"]
REPLY = ["version", "received_on", "late", "n_invalid"]
LONG = ["question", "value", "valid"]
FIXED_LABELS = {
    "iso3": "ISO 3166-1 alpha-3 code", "m49": "UN M49 code", "name": "Name of the State",
    "region": "M49 region", "subregion": "M49 sub-region", "group": "UN regional group",
    "status": "member (UN Member State) or observer", "version": "Version of the reply counted",
    "received_on": "Date the counted version was received", "late": "First reply after the deadline",
    "n_invalid": "Answers set aside as invalid (left blank)", "question": "Question name",
    "value": "Answer", "valid": "Answer valid (invalid answers are left blank)",
}
SELECTED = {0: "not selected", 1: "selected"}
YES_NO = {0: "no", 1: "yes"}


def build_export_frame(store: Store, q_id: int, as_of: date | None = None, long: bool = False,
                       labels: str | None = None) -> pd.DataFrame:
    """The export table (see the module docstring); ``build_export`` also returns the labels."""
    return build_export(store, q_id, as_of, long=long, labels=labels)[0]


def build_export(store: Store, q_id: int, as_of: date | None = None, long: bool = False,
                 labels: str | None = None) -> tuple[pd.DataFrame, ExportMeta]:
    from migq.coding.store import counted_submissions
    from migq.errors import UsageError
    from migq.registry import load_roster
    from migq.store.register import load_questionnaire_by_id

    q = load_questionnaire_by_id(store, q_id)
    if labels is not None and labels not in q.languages:
        raise UsageError(f"the questionnaire has no labels in '{labels}'.",
                         hint=f"Use --labels with one of: {', '.join(q.languages)}.")
    as_of = as_of or date.today()
    lang = labels or q.default_language
    counted = counted_submissions(store, q_id, as_of)
    answers = _answers(store, [int(x) for x in counted["submission_id"]])
    roster = load_roster()
    base = pd.DataFrame([_roster_row(roster.get(iso3), lang) for iso3 in counted["iso3"]], columns=ROSTER)
    base["submission_id"] = counted["submission_id"].astype(int).to_numpy()
    base["version"] = counted["version_no"].astype(int).to_numpy()
    base["received_on"] = counted["received_on"].to_numpy()
    base["late"] = counted["late"].astype(bool).to_numpy()
    invalid = answers[~answers["valid"]].groupby("submission_id").size()
    base["n_invalid"] = base["submission_id"].map(invalid).fillna(0).astype(int)
    meta = ExportMeta(q.form_id, q.version, as_of.isoformat(), labels,
                      variable_labels={k: v for k, v in FIXED_LABELS.items()})
    meta.value_labels["late"] = dict(YES_NO)
    frame = _long(q, base, answers, labels) if long else _wide(q, base, answers, labels, lang, meta)
    frame = frame.sort_values("iso3", kind="stable").reset_index(drop=True)
    meta.variable_labels = {c: meta.variable_labels.get(c, "") for c in frame.columns}
    return frame, meta


def _roster_row(r, lang: str) -> list:
    return [r.iso3, r.m49, r.name(lang), r.region, r.subregion, r.group or "", r.status]


def _answers(store: Store, submission_ids: list[int]) -> pd.DataFrame:
    from sqlalchemy import select

    from migq.store import schema

    a = schema.answers
    columns = ["submission_id", "question", "value", "valid"]
    if not submission_ids:
        return pd.DataFrame(columns=columns).astype({"valid": bool})
    with store.read() as conn:
        rows = conn.execute(select(a.c.submission_id, a.c.question, a.c.value, a.c.valid)
                            .where(a.c.submission_id.in_(submission_ids))).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    df["valid"] = df["valid"].astype(bool)
    return df


def _choice_text(question: Question, code: str, labels: str | None) -> str:
    choice = question.choice(code)
    return choice.label(labels) if (labels and choice) else code


def _value(question: Question, value, labels: str | None):
    """An answer as exported: codes (or labels), numbers as numbers, dates as dates."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if question.type == "select_one":
        return _choice_text(question, value, labels)
    if question.type == "select_multiple":
        return " ".join(_choice_text(question, c, None) for c in str(value).split()) if not labels else \
            "; ".join(_choice_text(question, c, labels) for c in str(value).split())
    if question.type in ("integer", "decimal"):
        number = pd.to_numeric(value, errors="coerce")
        return None if pd.isna(number) else (int(number) if question.type == "integer" else float(number))
    if question.type == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    return str(value)


def _wide(q: Questionnaire, base: pd.DataFrame, answers: pd.DataFrame, labels: str | None, lang: str,
          meta: ExportMeta) -> pd.DataFrame:
    valid = answers[answers["valid"]]
    by_question = {name: g.set_index("submission_id")["value"] for name, g in valid.groupby("question")}
    columns: dict[str, pd.Series] = {}
    for question in q.questions:
        values = by_question.get(question.name, pd.Series(dtype=object))
        answered = base["submission_id"].map(values)
        label = question.label(lang)
        if question.type == "select_multiple":
            for choice in question.choices:
                column = f"{question.name}__{choice.name}"
                columns[column] = answered.map(
                    lambda v, c=choice.name: None if v is None or pd.isna(v) else int(c in str(v).split())
                ).astype("Int64")
                # The option first: Stata cuts labels at 80 characters.
                meta.variable_labels[column] = f"{choice.label(lang)} ({label})"
                meta.value_labels[column] = dict(SELECTED)
            continue
        columns[question.name] = answered.map(lambda v, qq=question: _value(qq, v, labels)).astype(object)
        meta.variable_labels[question.name] = label
        if question.type == "select_one":
            meta.value_labels[question.name] = {_choice_text(question, c.name, labels): c.label(lang)
                                                for c in question.choices}
        elif question.type in ("integer", "decimal"):
            columns[question.name] = pd.to_numeric(columns[question.name])
    frame = pd.concat([base, pd.DataFrame(columns, index=base.index)], axis=1)
    return frame[ROSTER + REPLY + list(columns)]


def _long(q: Questionnaire, base: pd.DataFrame, answers: pd.DataFrame, labels: str | None) -> pd.DataFrame:
    known = {x.name: x for x in q.questions}
    rows = answers[answers["question"].isin(known)].merge(base, on="submission_id")
    rows["value"] = [
        _value(known[name], value, labels) if ok else None
        for name, value, ok in zip(rows["question"], rows["value"], rows["valid"])
    ]
    rows["value"] = rows["value"].map(lambda v: v.isoformat() if isinstance(v, date) else v)
    rows["value"] = pd.Series([None if v is None or pd.isna(v) else str(v) for v in rows["value"]],
                              index=rows.index, dtype=object)
    order = {x.name: i for i, x in enumerate(q.questions)}
    rows = rows.assign(_o=rows["question"].map(order)).sort_values(["iso3", "_o"]).drop(columns="_o")
    return rows[ROSTER + REPLY + LONG]


def stata_names(frame: pd.DataFrame) -> dict[str, str]:
    """Column -> the name it gets in a .dta file (docs/export.md, 'Variable names')."""
    return {c: stata_name(c) for c in frame.columns}
