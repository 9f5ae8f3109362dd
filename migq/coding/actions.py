"""What the ``migq code`` commands do, as library calls: agreement figures and adjudication."""

from __future__ import annotations

from datetime import date

from migq.coding.agreement import AgreementReport, agreement_report
from migq.coding.store import Decision, RecordSummary, codes_for, coding_units, counted_submissions, \
    live_codings, record_decisions
from migq.errors import MigqError, UsageError
from migq.questionnaire import Questionnaire
from migq.store.db import Store


def agreement_for(store: Store, questionnaire_id: int, q: Questionnaire, questions: list[str] | None = None,
                  as_of: date | None = None) -> AgreementReport:
    """Agreement among coders on the answers to code (counted versions as of ``as_of``)."""
    units = coding_units(store, questionnaire_id, q, as_of, questions)
    decided = live_codings(store, questionnaire_id, role="coder")
    if questions:
        decided = decided[decided["question"].isin(questions)]
    keys = set(zip(units["submission_id"].astype(int), units["question"]))
    iso3_of = dict(zip(units["submission_id"].astype(int), units["iso3"]))
    counted = counted_submissions(store, questionnaire_id, as_of)
    iso3_of.update(zip(counted["submission_id"].astype(int), counted["iso3"]))
    # Decisions on answers that no longer count (a newer version arrived) stay out of the figures.
    mask = [(int(s), x) in keys for s, x in zip(decided["submission_id"], decided["question"])]
    return agreement_report(decided[mask] if len(decided) else decided, answers=len(units), iso3_of=iso3_of)


def adjudicate(store: Store, questionnaire_id: int, q: Questionnaire, iso3: str, question: str, code: str,
               applies: bool, note: str = "", as_of: date | None = None) -> RecordSummary:
    """Record the final code on one recipient's counted answer to ``question``."""
    known = {c.code for c in codes_for(q, question)}
    if not known:
        raise UsageError(f"no code of the codebook applies to question '{question}'.",
                         hint="Codes apply to: " + ", ".join(sorted({x for c in q.codes for x in c.questions})) + ".")
    if code not in known:
        raise UsageError(f"'{code}' is not a code for question {question}.",
                         hint=f"Use one of: {', '.join(sorted(known))}.")
    counted = counted_submissions(store, questionnaire_id, as_of)
    row = counted[counted["iso3"] == iso3]
    if row.empty:
        raise MigqError(f"{iso3} has no counted reply to {q.form_id}:{q.version}.",
                        hint=f"See 'migq show {iso3}'.")
    submission_id = int(row["submission_id"].iloc[0])
    with store.write() as conn:
        summary = record_decisions(conn, [Decision(submission_id, question, code, applies, note)],
                                   coder=store.actor, role="final")
        store.audit(conn, "coding_adjudicated", iso3=iso3, submission_id=submission_id, question=question,
                    code=code, applies=applies)
    return summary
