"""Assemble a ``Report`` from loaded replies: tallies (migq.tally) + wording (migq.phrasing)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from migq import phrasing, tally
from migq.analysis.replies import Replies
from migq.analysis.texts import format_date, text
from migq.errors import UsageError
from migq.questionnaire import Questionnaire
from migq.report import ROSTER_BY, Breakdown, ChoiceCount, PositionResult, QuestionResult, Report

# Which phrasing subject and base words fit each position base.
_PHRASING_BASE = {
    "respondents": ("State", "respondents"),
    "member_states": ("Member State", "recipients"),
    "recipients": ("State", "recipients"),
}


def _deadlines(q: Questionnaire, replies: Replies) -> dict[str, date | None]:
    found = {iso3: d for iso3, d in zip(replies.dispatches["iso3"], replies.dispatches["deadline"])}
    return {iso3: found.get(iso3) or q.deadline for iso3 in set(found) | set(replies.submissions["iso3"].dropna())}


def assemble(q: Questionnaire, replies: Replies, roster_df: pd.DataFrame, roster, as_of: date,
             lang: str, by: str | None, name_states: bool, min_cell: int | None) -> Report:
    counted = tally.counted_replies(replies.submissions, as_of, _deadlines(q, replies))
    counted = counted[counted["iso3"].isin(set(roster_df["iso3"]))]
    waiting = tally.held_and_pending(replies.submissions, as_of)
    sent = len(replies.dispatches)
    rate = tally.response_rate(roster_df, counted, sent, waiting["held"], waiting["pending"])
    respondents = set(counted["iso3"])
    answers = tally.respondent_answers(counted, replies.answers)

    def names(iso3s) -> tuple[str, ...] | None:
        if not name_states:
            return None
        return tuple(sorted(f"{roster.get(i).name(lang)} ({i})" for i in iso3s))

    positions, tallies = [], {}
    for p in q.positions:
        question = q.question(p.question)
        t = tally.position_tally(p.question, p.choices, question.type == "select_multiple", p.base,
                                 answers, respondents, roster_df, p.codes, replies.codings)
        tallies[p.name] = t
        subject, base_words = _PHRASING_BASE[p.base]
        label = p.label(lang, q.default_language)
        phrase = phrasing.quantifier(t.count, t.base, lang, subject)
        positions.append(PositionResult(
            name=p.name, label=label, question=p.question, count=t.count, base=t.base,
            base_kind=p.base, share=t.share,
            sentence=phrasing.sentence(t.count, t.base, label, lang, subject, base_words),
            quantifier=phrase.text, kind=phrase.kind, exact=phrase.exact,
            set_aside=len(t.set_aside), no_answer=len(t.no_answer), coded=bool(p.codes),
            states=names(t.holders)))

    questions = []
    for question in q.closed_questions:
        freq = tally.frequency(question.name, question.choice_names, question.type == "select_multiple",
                               answers, respondents)
        rows = tuple(ChoiceCount(c, _choice_label(question, c, lang), int(n), _share(s), names(w))
                     for c, n, s, w in freq.itertuples(index=False))
        questions.append(QuestionResult(question.name, question.label(lang, q.default_language),
                                        question.type, len(respondents), rows))

    breakdown = None
    if by:
        breakdown = _breakdown(by, q, lang, roster_df, answers, respondents, counted, positions,
                               tallies, min_cell)
    report = Report(
        as_of=as_of, lang=lang, form_id=q.form_id, version=q.version,
        title=q.title(lang), response=rate, response_sentence=response_sentence(rate, as_of, lang),
        positions=positions, questions=questions, breakdown=breakdown, min_cell=min_cell,
        name_states=name_states, states_m49=dict(zip(roster_df["iso3"], roster_df["m49"].astype(int))),
        replied=frozenset(respondents),
    )
    report.notes = _notes(report, q)
    return report


def _share(value) -> float | None:
    """A share from a DataFrame: pandas turns 'no base' (None) into NaN, which JSON cannot carry."""
    return None if value is None or pd.isna(value) else float(value)


def _choice_label(question, choice: str, lang: str) -> str:
    if choice == tally.NO_ANSWER:
        return text(lang, "no_answer")
    if choice == tally.SET_ASIDE:
        return text(lang, "set_aside_row")
    found = question.choice(choice)
    return found.label(lang, "en") if found else choice


def response_sentence(rate: tally.ResponseRate, as_of: date, lang: str) -> str:
    """"As at 15 July 2008, 64 Member States (33% of 193) had replied to the questionnaire."."""
    when = format_date(as_of, lang)
    if rate.replied == 0:
        return text(lang, "reply_none", date=when)
    parts = []
    if rate.replied_member_states:
        n = rate.replied_member_states
        share = phrasing.format_share(rate.share_of_member_states, lang)
        key = "ms_1" if n == 1 else "ms"
        parts.append(text(lang, key, n=phrasing.spell_number(n, lang), share=share, total=rate.member_states))
    if rate.replied_observers:
        n = rate.replied_observers
        parts.append(text(lang, "obs_1") if n == 1 else text(lang, "obs", n=phrasing.spell_number(n, lang)))
    key = "reply_as_at_1" if rate.replied == 1 else "reply_as_at"
    return text(lang, key, date=when, who=text(lang, "and").join(parts))


def resolve_by(by: str, q: Questionnaire, roster_df: pd.DataFrame) -> tuple[str, str]:
    """('roster', column) or ('question', name) for a --by value, else a usage error."""
    key = by.strip()
    if key.lower() in ROSTER_BY or (key in roster_df.columns and not key.startswith("name_")
                                     and key not in ("iso3", "m49")):
        return "roster", key.lower() if key.lower() in ROSTER_BY else key
    if any(c.name == key for c in q.closed_questions):
        return "question", key
    closed = ", ".join(c.name for c in q.closed_questions)
    raise UsageError(f"--by {by}: not a roster column nor a closed question of {q.form_id}.",
                     hint=f"Use one of: {', '.join(ROSTER_BY)}" + (f", or a question: {closed}." if closed else "."))


def _group_order(kind: str, values: list[str], question=None) -> list[str]:
    if kind == "question":
        tail = [tally.NO_ANSWER, tally.SET_ASIDE]
        head = list(question.choice_names)
        return head + [g for g in tail if g in values]
    present = sorted(v for v in set(values) if v != tally.NO_GROUP)
    return present + ([tally.NO_GROUP] if tally.NO_GROUP in values else [])


def _group_label(kind: str, group: str, lang: str, question=None) -> str:
    if group == tally.NO_GROUP:
        return text(lang, "none")
    if kind == "question":
        return _choice_label(question, group, lang)
    if group in ("member", "observer"):
        return text(lang, group)
    return group


def _breakdown(by, q, lang, roster_df, answers, respondents, counted, positions, tallies, min_cell):
    kind, key = resolve_by(by, q, roster_df)
    question = q.question(key) if kind == "question" else None
    if kind == "roster":
        groups = tally.roster_groups(roster_df, key)
        label = text(lang, f"by_{key}") if f"by_{key}" in _known_by_keys() else key
    else:
        groups = tally.answer_groups(answers, key, question.type == "select_multiple", respondents)
        label = question.label(lang, q.default_language)
    order = _group_order(kind, list(groups["group"]), question)
    labels = {g: _group_label(kind, g, lang, question) for g in order}

    response = ()
    if kind == "roster":
        # Who replied is public (the map shows it), so these counts are never suppressed.
        table = tally.group_counts(respondents, set(roster_df["iso3"]), groups, order)
        response = tuple({"group": g, "recipients": int(b), "replied": int(n), "share": _share(s)}
                         for g, n, b, s in table.itertuples(index=False))
    rows = []
    for p in positions:
        t = tallies[p.name]
        for g, n, b, s in tally.group_counts(t.holders, t.base_members, groups, order).itertuples(index=False):
            cell = tally.suppress(int(n), min_cell, int(b))
            rows.append({"position": p.name, "group": g, "count": cell, "base": int(b),
                         "share": _share(s) if isinstance(cell, int) else None})
    crosstabs = {}
    group_bases = dict(zip(order, tally.group_counts(respondents, respondents, groups, order)["base"]))
    for cq in q.closed_questions:
        if cq.name == key and kind == "question":
            continue
        ct = tally.crosstab(cq.name, cq.choice_names, cq.type == "select_multiple", answers,
                            respondents, groups, order)
        cells = [[tally.suppress(int(v), min_cell, int(group_bases[col])) if col != tally.TOTAL else int(v)
                  for col, v in row.items()] for _, row in ct.iterrows()]
        crosstabs[cq.name] = {"rows": list(ct.index), "row_labels": [_choice_label(cq, c, lang) for c in ct.index],
                              "columns": list(ct.columns), "cells": cells}
    return Breakdown(by=key, kind=kind, label=label, groups=tuple(order), group_labels=labels,
                     response=response, positions=tuple(rows), crosstabs=crosstabs)


def _known_by_keys() -> set[str]:
    from migq.analysis.texts import TEXTS

    return set(TEXTS["en"])


def _notes(report: Report, q: Questionnaire) -> list[str]:
    lang, notes = report.lang, []
    set_aside = sum(r.count for qr in report.questions for r in qr.rows if r.choice == tally.SET_ASIDE)
    set_aside += sum(p.set_aside for p in report.positions if p.coded)
    if set_aside:
        notes.append(text(lang, "note_set_aside", n=set_aside))
    if any(p.coded for p in report.positions):
        notes.append(text(lang, "note_coded"))
    multiple = [f"“{qr.label}”" for qr in report.questions if qr.multiple]
    if multiple:
        notes.append(text(lang, "note_multiple", labels=", ".join(multiple)))
    if report.min_cell and report.breakdown:
        notes.append(text(lang, "note_min_cell", n=report.min_cell))
    if report.response.held or report.response.pending:
        notes.append(text(lang, "note_held", held=report.response.held, pending=report.response.pending))
    return notes
