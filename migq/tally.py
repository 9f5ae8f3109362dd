"""Tallies as of a date: pure functions on DataFrames (no I/O, no wording).

The rules (docs/report.md, "How replies are counted"):
- As of date D, a recipient has replied if some version of its reply received on or before D
  has been accepted (status 'accepted' or 'superseded'); the version that counts is the one
  with the highest version_no among those. Pending revisions, held replies and rejected
  revisions never count.
- An answer marked invalid is *set aside*: it counts towards no choice and no position, but
  the State stays a respondent, so every base of respondents is the same number of States.
- A reply is late when the State's first accepted reply came after its deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from migq.analysis.rules import COUNTED_STATUSES, is_late as _is_late
NO_ANSWER = "_no_answer"
SET_ASIDE = "_set_aside"
NO_GROUP = "_none"
TOTAL = "_total"


# --- which replies count --------------------------------------------------------------------


def counted_replies(submissions: pd.DataFrame, as_of: date,
                    deadlines: Mapping[str, date | None] | None = None) -> pd.DataFrame:
    """One row per recipient that had replied by ``as_of``: the version that counts.

    Columns: iso3, submission_id, version_no, received_on (of that version), first_received_on,
    late. ``late`` compares the first accepted reply with the recipient's deadline; without a
    known deadline the stored ``late`` flag of that first reply is used.
    """
    columns = ["iso3", "submission_id", "version_no", "received_on", "first_received_on", "late"]
    eligible = submissions[
        submissions["status"].isin(COUNTED_STATUSES)
        & submissions["iso3"].notna()
        & (submissions["received_on"] <= as_of)
    ]
    if eligible.empty:
        return pd.DataFrame(columns=columns)
    ordered = eligible.sort_values(["iso3", "version_no"])
    latest = ordered.groupby("iso3", as_index=False).last()
    first = ordered.sort_values(["iso3", "received_on", "version_no"]).groupby("iso3", as_index=False).first()
    first = first.set_index("iso3")
    deadlines = deadlines or {}

    def is_late(iso3: str) -> bool:
        deadline = deadlines.get(iso3)
        if deadline is None:
            return bool(first.at[iso3, "late"])
        return _is_late(first.at[iso3, "received_on"], deadline)

    out = latest[["iso3", "submission_id", "version_no", "received_on"]].copy()
    out["first_received_on"] = out["iso3"].map(first["received_on"])
    out["late"] = out["iso3"].map(is_late).astype(bool)
    return out[columns].reset_index(drop=True)


def held_and_pending(submissions: pd.DataFrame, as_of: date) -> dict[str, int]:
    """Replies received by ``as_of`` that do not count: held (unidentified) and pending revisions."""
    received = submissions[submissions["received_on"] <= as_of]
    return {
        "held": int((received["status"] == "held").sum()),
        "pending": int((received["status"] == "revision_pending").sum()),
    }


def respondent_answers(counted: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """The answers of the counting versions: iso3, submission_id, question, value, valid."""
    merged = counted[["iso3", "submission_id"]].merge(answers, on="submission_id", how="inner")
    return merged[["iso3", "submission_id", "question", "value", "valid"]].reset_index(drop=True)


# --- response rate --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRate:
    recipients: int
    member_states: int
    observers: int
    sent: int
    replied_member_states: int
    replied_observers: int
    late: int
    held: int
    pending: int

    @property
    def replied(self) -> int:
        return self.replied_member_states + self.replied_observers

    @property
    def share_of_member_states(self) -> float | None:
        return share(self.replied_member_states, self.member_states)

    @property
    def share_of_recipients(self) -> float | None:
        return share(self.replied, self.recipients)


def share(count: int, base: int) -> float | None:
    return count / base if base else None


def response_rate(roster: pd.DataFrame, counted: pd.DataFrame, sent: int,
                  held: int = 0, pending: int = 0) -> ResponseRate:
    """Recipients, forms sent and replies, Member States and observers counted apart."""
    status = roster.set_index("iso3")["status"]
    replied = counted[counted["iso3"].isin(status.index)]
    replied_status = replied["iso3"].map(status)
    return ResponseRate(
        recipients=len(roster),
        member_states=int((status == "member").sum()),
        observers=int((status == "observer").sum()),
        sent=int(sent),
        replied_member_states=int((replied_status == "member").sum()),
        replied_observers=int((replied_status == "observer").sum()),
        late=int(replied["late"].sum()),
        held=held,
        pending=pending,
    )


# --- positions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionTally:
    """``holders`` hold the position; ``base_members`` is the base; ``set_aside`` had an invalid
    answer to the question (in the base, not counted); ``no_answer`` left it empty."""

    holders: frozenset[str]
    base_members: frozenset[str]
    base_kind: str
    set_aside: frozenset[str]
    no_answer: frozenset[str]

    @property
    def count(self) -> int:
        return len(self.holders)

    @property
    def base(self) -> int:
        return len(self.base_members)

    @property
    def share(self) -> float | None:
        return share(self.count, self.base)


def answer_codes(value: object, multiple: bool) -> set[str]:
    """The choice codes in a canonical answer ('a b' for select_multiple)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return set()
    text = str(value).strip()
    return set(text.split()) if multiple else {text}


def _answers_to(answers: pd.DataFrame, question: str) -> pd.DataFrame:
    return answers[answers["question"] == question]


_STATUS_CACHE: dict = {}


def answer_status(answers: pd.DataFrame, question: str, respondents: Iterable[str]
                  ) -> tuple[dict[str, object], set[str], set[str]]:
    """(valid answers by iso3, set-aside iso3s, no-answer iso3s) among ``respondents``.

    Memoised per (answers frame, question, respondents): a report asks for the same question
    once per position and once per frequency table, and at 10,000 replies that repetition
    dominated the run (bench/bench_report.py).
    """
    respondents = frozenset(respondents)
    key = (id(answers), len(answers), question, respondents)
    hit = _STATUS_CACHE.get(key)
    if hit is not None and hit[0] is answers:
        given, invalid, empty = hit[1]
        return dict(given), set(invalid), set(empty)
    result = _answer_status(answers, question, respondents)
    if len(_STATUS_CACHE) > 256:
        _STATUS_CACHE.clear()
    _STATUS_CACHE[key] = (answers, result)
    given, invalid, empty = result
    return dict(given), set(invalid), set(empty)


def _answer_status(answers: pd.DataFrame, question: str, respondents: frozenset[str]
                   ) -> tuple[dict[str, object], set[str], set[str]]:
    rows = _answers_to(answers, question)
    invalid = set(rows.loc[~rows["valid"], "iso3"]) & respondents
    valid_rows = rows[rows["valid"]]
    given = {iso3: v for iso3, v in zip(valid_rows["iso3"], valid_rows["value"])
             if iso3 in respondents and answer_codes(v, True)}
    empty = respondents - invalid - set(given)
    return given, invalid, empty


def base_members(base_kind: str, roster: pd.DataFrame, respondents: Iterable[str]) -> frozenset[str]:
    """The States a position is counted out of: respondents, all Member States, or all recipients."""
    if base_kind == "respondents":
        return frozenset(respondents)
    if base_kind == "member_states":
        return frozenset(roster.loc[roster["status"] == "member", "iso3"])
    if base_kind == "recipients":
        return frozenset(roster["iso3"])
    raise ValueError(f"unknown base {base_kind!r}; use respondents, member_states or recipients")


def position_tally(question: str, choices: Iterable[str], multiple: bool, base_kind: str,
                   answers: pd.DataFrame, respondents: Iterable[str], roster: pd.DataFrame,
                   codes: Iterable[str] = (), codings: pd.DataFrame | None = None) -> PositionTally:
    """Who holds a position: a closed answer among ``choices``, or (when ``codes`` is given) an
    adjudicated code among ``codes`` on the answer to ``question`` of the counting version."""
    respondents = set(respondents)
    given, invalid, empty = answer_status(answers, question, respondents)
    codes = set(codes)
    if codes:
        holders = _coded_holders(question, codes, answers, codings) - invalid
    else:
        wanted = set(choices)
        holders = {iso3 for iso3, v in given.items() if answer_codes(v, multiple) & wanted}
    base = base_members(base_kind, roster, respondents)
    # Only respondents can hold a position; a Member-State base also excludes observers.
    return PositionTally(frozenset(holders & base & respondents), base, base_kind,
                         frozenset(invalid & base), frozenset(empty & base))


def _coded_holders(question: str, codes: set[str], answers: pd.DataFrame,
                   codings: pd.DataFrame | None) -> set[str]:
    if codings is None or codings.empty:
        return set()
    submissions = answers[["iso3", "submission_id"]].drop_duplicates()
    hits = codings[(codings["question"] == question) & codings["code"].isin(codes)]
    return set(hits.merge(submissions, on="submission_id")["iso3"])


# --- frequencies, groups, cross-tabs ----------------------------------------------------------


def frequency(question: str, choices: Iterable[str], multiple: bool, answers: pd.DataFrame,
              respondents: Iterable[str]) -> pd.DataFrame:
    """Counts per choice among respondents, then NO_ANSWER and SET_ASIDE rows.

    Columns: choice, count, share (of respondents; select_multiple shares can sum past 100%),
    iso3s (sorted list of the States, for --name-states).
    """
    respondents = set(respondents)
    given, invalid, empty = answer_status(answers, question, respondents)
    parsed = {i: answer_codes(v, multiple) for i, v in given.items()}  # once, not once per choice
    rows = []
    for choice in choices:
        who = sorted(i for i, codes in parsed.items() if choice in codes)
        rows.append((choice, who))
    rows += [(NO_ANSWER, sorted(empty)), (SET_ASIDE, sorted(invalid))]
    n = len(respondents)
    return pd.DataFrame(
        [(c, len(w), share(len(w), n), w) for c, w in rows],
        columns=["choice", "count", "share", "iso3s"],
    )


def roster_groups(roster: pd.DataFrame, column: str) -> pd.DataFrame:
    """iso3 -> group from a roster column; an empty value becomes NO_GROUP."""
    if column not in roster.columns:
        raise KeyError(column)
    values = roster[column].fillna("").astype(str).replace("", NO_GROUP)
    return pd.DataFrame({"iso3": roster["iso3"], "group": values})


def answer_groups(answers: pd.DataFrame, question: str, multiple: bool,
                  respondents: Iterable[str]) -> pd.DataFrame:
    """iso3 -> the choice(s) a respondent gave to ``question`` (a State with several choices of
    a select_multiple is in several groups); no answer -> NO_ANSWER, invalid -> SET_ASIDE."""
    given, invalid, empty = answer_status(answers, question, respondents)
    pairs = [(i, c) for i, v in given.items() for c in sorted(answer_codes(v, multiple))]
    pairs += [(i, SET_ASIDE) for i in invalid] + [(i, NO_ANSWER) for i in empty]
    return pd.DataFrame(sorted(pairs), columns=["iso3", "group"])


def group_counts(selected: Iterable[str], base: Iterable[str], groups: pd.DataFrame,
                 order: list[str] | None = None) -> pd.DataFrame:
    """Per group: count of ``selected`` among ``base`` members of the group, base, share."""
    selected, base = set(selected), set(base)
    order = order or sorted(set(groups["group"]))
    rows = []
    for group in order:
        members = set(groups.loc[groups["group"] == group, "iso3"]) & base
        n = len(members & selected)
        rows.append((group, n, len(members), share(n, len(members))))
    return pd.DataFrame(rows, columns=["group", "count", "base", "share"])


def crosstab(question: str, choices: Iterable[str], multiple: bool, answers: pd.DataFrame,
             respondents: Iterable[str], groups: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Respondents per choice (rows, then NO_ANSWER, SET_ASIDE) and group (columns, then TOTAL)."""
    respondents = set(respondents)
    freq = frequency(question, choices, multiple, answers, respondents)
    table = {}
    for group in order:
        members = set(groups.loc[groups["group"] == group, "iso3"]) & respondents
        table[group] = [len(set(who) & members) for who in freq["iso3s"]]
    table[TOTAL] = list(freq["count"])
    return pd.DataFrame(table, index=list(freq["choice"]))


def suppress(count: int, min_cell: int | None, base: int | None = None) -> int | str:
    """A breakdown cell: the count, or '<N' when below the --min-cell threshold.

    A group with nobody in the base shows its 0: there is no State in it to protect.
    """
    if min_cell and count < min_cell and base != 0:
        return f"<{min_cell}"
    return count
