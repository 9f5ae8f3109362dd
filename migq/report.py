"""The report model: tallies as of a date plus their wording, ready for every renderer.

``build_report`` reads the store once, tallies with ``migq.tally`` and words each position with
``migq.phrasing``. Renderers (``migq.render.*``) read only the ``Report``: its tables
(``Report.tables()``) and its JSON form (``Report.to_dict()``, documented in docs/report.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from migq import tally
from migq.analysis.texts import format_date, text
from migq.errors import MigqError, UsageError
from migq.questionnaire import Questionnaire
from migq.tally import ResponseRate

LANGS = ("en", "fr", "es")
ROSTER_BY = ("region", "subregion", "intermediate_region", "group", "status", "language")


@dataclass(frozen=True)
class PositionResult:
    name: str
    label: str
    question: str
    count: int
    base: int
    base_kind: str
    share: float | None
    sentence: str
    quantifier: str
    kind: str
    exact: str
    set_aside: int
    no_answer: int
    coded: bool
    states: tuple[str, ...] | None = None  # only with name_states


@dataclass(frozen=True)
class ChoiceCount:
    choice: str  # a choice code, or tally.NO_ANSWER / tally.SET_ASIDE
    label: str
    count: int
    share: float | None
    states: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QuestionResult:
    name: str
    label: str
    type: str
    base: int
    rows: tuple[ChoiceCount, ...]

    @property
    def multiple(self) -> bool:
        return self.type == "select_multiple"

    def row(self, choice: str) -> ChoiceCount:
        return next(r for r in self.rows if r.choice == choice)


@dataclass(frozen=True)
class Breakdown:
    """Counts per group of a roster column (kind 'roster') or of the answers to a question
    (kind 'question'). Position and cross-tab cells may be '<N' under --min-cell."""

    by: str
    kind: str
    label: str
    groups: tuple[str, ...]
    group_labels: dict[str, str]
    response: tuple[dict, ...]  # group, recipients, replied, share (roster kind only)
    positions: tuple[dict, ...]  # position, group, count, base, share
    crosstabs: dict[str, dict]  # question -> {rows, row_labels, columns, cells}


@dataclass
class Report:
    as_of: date
    lang: str
    form_id: str
    version: str
    title: str
    response: ResponseRate
    response_sentence: str
    positions: list[PositionResult]
    questions: list[QuestionResult]
    breakdown: Breakdown | None = None
    min_cell: int | None = None
    name_states: bool = False
    notes: list[str] = field(default_factory=list)
    states_m49: dict[str, int] = field(default_factory=dict)  # every recipient, for the map
    replied: frozenset[str] = frozenset()  # respondents as of the date, for the map only

    @property
    def heading(self) -> str:
        return text(self.lang, "report_title", date=format_date(self.as_of, self.lang))

    def t(self, key: str, **values) -> str:
        return text(self.lang, key, **values)

    def tables(self):
        from migq.analysis.report_tables import report_tables

        return report_tables(self)

    def to_dict(self) -> dict:
        from migq.analysis.report_json import report_dict

        return report_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)


def pick_questionnaire(store, spec: str | None = None) -> tuple[int, Questionnaire]:
    """'FORM_ID:VERSION', or None for the only (else the latest) registered questionnaire."""
    from migq.store.register import pick_questionnaire as pick

    return pick(store, spec)


def build_report(store, questionnaire: Questionnaire | str | None = None, as_of: date | None = None,
                 lang: str = "en", by: str | None = None, name_states: bool = False,
                 min_cell: int | None = None, roster=None) -> Report:
    """Tally the replies to ``questionnaire`` (a model, 'FORM_ID:VERSION', or None for the
    latest registered) as of ``as_of`` (default today) and word them in ``lang``."""
    from migq.analysis.replies import load_replies, roster_frame
    from migq.analysis.report_build import assemble
    from migq.registry import load_roster

    if lang not in LANGS:
        raise UsageError(f"no report wording in '{lang}'.", hint="Use --lang en, fr or es.")
    if min_cell is not None and min_cell < 1:
        raise UsageError(f"--min-cell {min_cell} is not a positive number.", hint="Give a count such as 3 or 5.")
    if isinstance(questionnaire, Questionnaire):
        from migq.store.register import find_questionnaire

        found = find_questionnaire(store, questionnaire.form_id, questionnaire.version)
        if found is None:
            raise MigqError(f"the questionnaire {questionnaire.form_id}:{questionnaire.version} is not "
                            "registered in this workspace.", hint="Send the forms first (migq send).")
        qid, q = found
    else:
        qid, q = pick_questionnaire(store, questionnaire)
    roster = roster or load_roster()
    replies = load_replies(store, qid)
    return assemble(q, replies, roster_frame(roster), roster, as_of or date.today(), lang,
                    by, name_states, min_cell)


def respondents_as_of(store, questionnaire: str | None = None, as_of: date | None = None) -> set[str]:
    """ISO3 codes of the recipients that had replied by ``as_of`` (the as-of rule above)."""
    from migq.analysis.replies import load_replies

    qid, _ = pick_questionnaire(store, questionnaire)
    submissions = load_replies(store, qid).submissions
    return set(tally.counted_replies(submissions, as_of or date.today())["iso3"])
