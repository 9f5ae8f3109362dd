"""Queries on the ``codings`` table and the answers there are to code.

A decision is one row: (answer, coder, code, applies, role). A changed decision never updates a
row in place: a new row is written and the earlier one gets ``superseded_by`` = the new id, so
the history of every code stays in the database. 'coder' rows are the coders' work; 'final'
rows are the adjudicated codes that the report counts (one live final row per answer and code,
whoever adjudicated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from migq.questionnaire import Code, Questionnaire
from migq.store import schema
from migq.store.db import Store, utcnow

ROLES = ("coder", "final")
UNIT_COLUMNS = ["submission_id", "iso3", "question", "text", "language"]
CODING_COLUMNS = ["id", "submission_id", "question", "coder", "code", "applies", "role", "note", "at"]


@dataclass(frozen=True)
class Decision:
    """One coder's (or the adjudicator's) decision that ``code`` applies, or not, to an answer."""

    submission_id: int
    question: str
    code: str
    applies: bool
    note: str = ""


@dataclass(frozen=True)
class RecordSummary:
    added: int  # first decision on this (answer, code) by this coder / role
    changed: int  # a different decision: the earlier row is superseded
    unchanged: int

    @property
    def stored(self) -> int:
        return self.added + self.changed


def coded_questions(q: Questionnaire) -> list[str]:
    """The text questions some codebook code applies to, in questionnaire order."""
    wanted = {name for c in q.codes for name in c.questions}
    return [x.name for x in q.questions if x.name in wanted and x.type == "text"]


def codes_for(q: Questionnaire, question: str) -> list[Code]:
    return [c for c in q.codes if question in c.questions]


def counted_submissions(store: Store, questionnaire_id: int, as_of: date | None = None) -> pd.DataFrame:
    """The version that counts per recipient as of ``as_of`` (default: today).

    The latest accepted (or since superseded) version received on or before the date, as the
    tallies count it (``migq.tally.counted_replies``), with its issue id and language.
    """
    from migq import tally

    s, d = schema.submissions, schema.dispatches
    with store.read() as conn:
        subs = pd.DataFrame(conn.execute(
            select(s.c.id.label("submission_id"), s.c.iso3, s.c.version_no, s.c.status, s.c.received_on,
                   s.c.late, s.c.issue_id).where(s.c.questionnaire_id == questionnaire_id)
        ).mappings().all(), columns=["submission_id", "iso3", "version_no", "status", "received_on", "late",
                                     "issue_id"])
        sent = conn.execute(select(d.c.issue_id, d.c.iso3, d.c.language, d.c.deadline, d.c.replaced_by)
                            .where(d.c.questionnaire_id == questionnaire_id)).all()
    subs["received_on"] = subs["received_on"].map(_as_date)
    subs["late"] = subs["late"].astype(bool)
    deadlines = {r.iso3: r.deadline for r in sent if r.replaced_by is None}
    counted = tally.counted_replies(subs, as_of or date.today(), deadlines)
    language = {r.issue_id: r.language for r in sent}
    issue = subs.set_index("submission_id")["issue_id"]
    counted["issue_id"] = counted["submission_id"].map(issue)
    counted["language"] = counted["issue_id"].map(lambda i: language.get(i, "unknown"))
    return counted


def _as_date(v):
    return v.date() if hasattr(v, "date") and callable(v.date) and not isinstance(v, date) else v


def coding_units(store: Store, questionnaire_id: int, q: Questionnaire, as_of: date | None = None,
                 questions: list[str] | None = None) -> pd.DataFrame:
    """The answers to code: valid, non-empty answers to coded questions of the counted versions."""
    wanted = coded_questions(q)
    if questions:
        wanted = [x for x in wanted if x in questions]
    counted = counted_submissions(store, questionnaire_id, as_of)
    if counted.empty or not wanted:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    a = schema.answers
    with store.read() as conn:
        rows = conn.execute(select(a.c.submission_id, a.c.question, a.c.value, a.c.raw, a.c.valid).where(
            a.c.submission_id.in_([int(x) for x in counted["submission_id"]]), a.c.question.in_(wanted))).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=["submission_id", "question", "value", "raw", "valid"])
    df["text"] = df["value"].where(df["value"].notna(), df["raw"])
    df = df[df["valid"].astype(bool) & df["text"].fillna("").astype(str).str.strip().ne("")]
    df = df.merge(counted[["submission_id", "iso3", "language"]], on="submission_id")
    order = {name: i for i, name in enumerate(wanted)}
    df = df.assign(_o=df["question"].map(order)).sort_values(["iso3", "_o"])
    return df[UNIT_COLUMNS].reset_index(drop=True)


def live_codings(store: Store, questionnaire_id: int, role: str | None = "coder",
                 coder: str | None = None) -> pd.DataFrame:
    """Decisions not superseded, of one role (None: both) and optionally one coder."""
    c, s = schema.codings, schema.submissions
    stmt = (select(*[c.c[name] for name in CODING_COLUMNS]).join(s, s.c.id == c.c.submission_id)
            .where(s.c.questionnaire_id == questionnaire_id, c.c.superseded_by.is_(None)).order_by(c.c.id))
    if role:
        stmt = stmt.where(c.c.role == role)
    if coder:
        stmt = stmt.where(c.c.coder == coder)
    with store.read() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=CODING_COLUMNS)
    df["applies"] = df["applies"].astype(bool)
    return df


def final_codes(store: Store, questionnaire_id: int) -> pd.DataFrame:
    """The adjudicated codes: submission_id, question, code, applies (live 'final' rows)."""
    df = live_codings(store, questionnaire_id, role="final")
    latest = df.drop_duplicates(["submission_id", "question", "code"], keep="last")
    return latest[["submission_id", "question", "code", "applies"]].reset_index(drop=True)


def record_decisions(conn: Connection, decisions: list[Decision], *, coder: str, role: str = "coder") -> RecordSummary:
    """Store decisions inside the caller's transaction; an unchanged decision writes nothing.

    A coder's earlier decision on the same (answer, code) is superseded by a changed one; for
    role 'final' the earlier final decision of anyone is.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    c = schema.codings
    added = changed = unchanged = 0
    now = utcnow()
    for d in decisions:
        stmt = select(c.c.id, c.c.applies, c.c.note).where(
            c.c.submission_id == d.submission_id, c.c.question == d.question, c.c.code == d.code,
            c.c.role == role, c.c.superseded_by.is_(None))
        if role == "coder":
            stmt = stmt.where(c.c.coder == coder)
        earlier = conn.execute(stmt.order_by(c.c.id)).all()
        if earlier and bool(earlier[-1].applies) == d.applies and (earlier[-1].note or "") == d.note:
            unchanged += 1
            continue
        new_id = conn.execute(insert(c).values(
            submission_id=d.submission_id, question=d.question, coder=coder, code=d.code,
            applies=d.applies, role=role, note=d.note, at=now)).inserted_primary_key[0]
        if earlier:
            conn.execute(update(c).where(c.c.id.in_([r.id for r in earlier])).values(superseded_by=new_id))
            changed += 1
        else:
            added += 1
    return RecordSummary(added, changed, unchanged)


def coding_history(store: Store, submission_id: int, question: str) -> pd.DataFrame:
    """Every decision ever stored on one answer, superseded ones included, oldest first."""
    c = schema.codings
    cols = CODING_COLUMNS + ["superseded_by"]
    with store.read() as conn:
        rows = conn.execute(select(*[c.c[n] for n in cols]).where(
            c.c.submission_id == submission_id, c.c.question == question).order_by(c.c.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)
