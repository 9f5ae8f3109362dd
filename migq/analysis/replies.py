"""Load what the tallies need from the store, as pandas DataFrames (one query per table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select

from migq.registry import ROSTER_COLUMNS, Roster, load_roster
from migq.store import schema
from migq.store.db import Store

SUBMISSION_COLUMNS = ["submission_id", "iso3", "version_no", "status", "received_on", "late", "issue_id"]
ANSWER_COLUMNS = ["submission_id", "question", "value", "valid"]
DISPATCH_COLUMNS = ["issue_id", "iso3", "sent_on", "deadline", "replaced_by"]
CODING_COLUMNS = ["submission_id", "question", "code"]


@dataclass(frozen=True)
class Replies:
    """Everything stored about one questionnaire version, unfiltered by date.

    ``submissions``: every received version (any status); ``answers``: the answers of those
    submissions; ``dispatches``: the live forms sent (re-issued ones dropped); ``codings``: the
    adjudicated codes that apply (role 'final', not superseded, latest per answer and code).
    """

    questionnaire_id: int
    submissions: pd.DataFrame
    answers: pd.DataFrame
    dispatches: pd.DataFrame
    codings: pd.DataFrame


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _as_date(value) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value


def load_replies(store: Store, questionnaire_id: int) -> Replies:
    """Read submissions, answers, live dispatches and final codings of one questionnaire."""
    s, a, d, c = schema.submissions, schema.answers, schema.dispatches, schema.codings
    with store.read() as conn:
        subs = conn.execute(
            select(s.c.id, s.c.iso3, s.c.version_no, s.c.status, s.c.received_on, s.c.late, s.c.issue_id)
            .where(s.c.questionnaire_id == questionnaire_id)
            .order_by(s.c.id)
        ).all()
        answers = conn.execute(
            select(a.c.submission_id, a.c.question, a.c.value, a.c.valid)
            .join(s, s.c.id == a.c.submission_id)
            .where(s.c.questionnaire_id == questionnaire_id)
            .order_by(a.c.submission_id, a.c.question)
        ).all()
        dispatches = conn.execute(
            select(d.c.issue_id, d.c.iso3, d.c.sent_on, d.c.deadline, d.c.replaced_by)
            .where(d.c.questionnaire_id == questionnaire_id, d.c.replaced_by.is_(None))
            .order_by(d.c.iso3)
        ).all()
        codings = conn.execute(
            select(c.c.id, c.c.submission_id, c.c.question, c.c.code, c.c.applies, c.c.at)
            .join(s, s.c.id == c.c.submission_id)
            .where(s.c.questionnaire_id == questionnaire_id, c.c.role == "final",
                   c.c.superseded_by.is_(None))
            .order_by(c.c.at, c.c.id)
        ).all()
    subs_df = _frame(subs, SUBMISSION_COLUMNS)
    subs_df["received_on"] = subs_df["received_on"].map(_as_date)
    subs_df["late"] = subs_df["late"].astype(bool)
    answers_df = _frame(answers, ANSWER_COLUMNS)
    answers_df["valid"] = answers_df["valid"].astype(bool)
    dispatches_df = _frame(dispatches, DISPATCH_COLUMNS)
    for column in ("sent_on", "deadline"):
        dispatches_df[column] = dispatches_df[column].map(_as_date)
    return Replies(questionnaire_id, subs_df, answers_df, dispatches_df, _final_codes(codings))


def _final_codes(rows) -> pd.DataFrame:
    """The codes that apply: of several live final decisions on one (answer, code), the latest."""
    df = _frame(rows, ["id", "submission_id", "question", "code", "applies", "at"])
    if df.empty:
        return pd.DataFrame(columns=CODING_COLUMNS)
    latest = df.drop_duplicates(["submission_id", "question", "code"], keep="last")
    return latest[latest["applies"].astype(bool)][CODING_COLUMNS].reset_index(drop=True)


def roster_frame(roster: Roster | None = None) -> pd.DataFrame:
    """The roster as a DataFrame with the columns of ``ROSTER_COLUMNS`` (group '' when none)."""
    roster = roster or load_roster()
    return pd.DataFrame(roster.to_rows(), columns=list(ROSTER_COLUMNS))
