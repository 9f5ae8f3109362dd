"""The questionnaire model: questions, choices, labels per language, rules and positions.

Loaders (XLSForm .xlsx and YAML with the same sheets) live in ``migq.xlsform``; they build these
objects and report definition mistakes as located ``Problem``s. Everything downstream (forms,
reader, tallies) reads only this model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

QUESTION_TYPES = (
    "select_one",
    "select_multiple",
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "begin_group",
    "end_group",
)
CLOSED_TYPES = ("select_one", "select_multiple")
ANSWERABLE_TYPES = ("select_one", "select_multiple", "text", "integer", "decimal", "date")
POSITION_BASES = ("respondents", "member_states", "recipients")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية", "ru": "Русский", "zh": "中文"}


def pick(labels: dict[str, str], lang: str, fallback: str | None = None) -> str:
    """The label in ``lang``, else in ``fallback``, else any label, else ''."""
    if labels.get(lang):
        return labels[lang]
    if fallback and labels.get(fallback):
        return labels[fallback]
    return next((v for v in labels.values() if v), "")


@dataclass(frozen=True)
class Choice:
    name: str
    labels: dict[str, str]

    def label(self, lang: str, fallback: str | None = None) -> str:
        return pick(self.labels, lang, fallback) or self.name


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet (groups included, so the outline keeps its shape)."""

    name: str
    type: str
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    required: bool = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_messages: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None
    choices: tuple[Choice, ...] = ()
    group: str | None = None  # name of the innermost enclosing group
    row: int | None = None  # row in the survey sheet, for messages

    @property
    def is_closed(self) -> bool:
        return self.type in CLOSED_TYPES

    @property
    def is_answerable(self) -> bool:
        return self.type in ANSWERABLE_TYPES

    def label(self, lang: str, fallback: str | None = None) -> str:
        return pick(self.labels, lang, fallback) or self.name

    def hint(self, lang: str, fallback: str | None = None) -> str:
        return pick(self.hints, lang, fallback)

    def choice(self, name: str) -> Choice | None:
        return next((c for c in self.choices if c.name == name), None)

    @property
    def choice_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.choices)


@dataclass(frozen=True)
class Position:
    """A stance the report counts: respondents whose answer to ``question`` is among ``choices``.

    ``code`` is set instead of ``choices`` when the position counts an adjudicated code from the
    codebook (free-text coding) rather than a closed answer.
    """

    name: str
    labels: dict[str, str]
    question: str
    choices: tuple[str, ...]
    base: str = "respondents"
    codes: tuple[str, ...] = ()
    row: int | None = None

    def label(self, lang: str, fallback: str | None = None) -> str:
        return pick(self.labels, lang, fallback) or self.name


@dataclass(frozen=True)
class Code:
    """A codebook entry for coding free-text answers."""

    code: str
    labels: dict[str, str]
    questions: tuple[str, ...]
    description: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str, fallback: str | None = None) -> str:
        return pick(self.labels, lang, fallback) or self.code


@dataclass(frozen=True)
class Questionnaire:
    form_id: str
    version: str
    titles: dict[str, str]
    default_language: str
    languages: tuple[str, ...]
    items: tuple[Question, ...]  # every survey row in order, groups and notes included
    deadline: date | None = None
    positions: tuple[Position, ...] = ()
    codes: tuple[Code, ...] = ()
    source: Path | None = None

    def title(self, lang: str) -> str:
        return pick(self.titles, lang, self.default_language) or self.form_id

    @functools.cached_property  # asked for every form read: computed once per questionnaire
    def questions(self) -> tuple[Question, ...]:
        """Only the questions that take an answer, in order."""
        return tuple(q for q in self.items if q.is_answerable)

    @functools.cached_property
    def _by_name(self) -> dict[str, Question]:
        found: dict[str, Question] = {}
        for item in self.items:
            found.setdefault(item.name, item)  # the first of a name, as question() always gave
        return found

    @property
    def closed_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.items if q.is_closed)

    def question(self, name: str) -> Question:
        return self._by_name[name]

    def has_question(self, name: str) -> bool:
        return any(q.name == name and q.is_answerable for q in self.items)

    def position(self, name: str) -> Position:
        for p in self.positions:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def key(self) -> str:
        """``form_id-version``: the folder and register key of this questionnaire."""
        return f"{self.form_id}-{self.version}"


def to_dict(q: Questionnaire) -> dict:
    """A JSON-able form of the model (what the store keeps and ``show --format json`` prints)."""
    from dataclasses import asdict

    d = asdict(q)
    d["deadline"] = q.deadline.isoformat() if q.deadline else None
    d["source"] = str(q.source) if q.source else None
    return d


def from_dict(d: dict) -> Questionnaire:
    """Inverse of ``to_dict``."""
    items = tuple(
        Question(**{**it, "choices": tuple(Choice(**c) for c in it.get("choices", ()))})
        for it in d["items"]
    )
    return Questionnaire(
        form_id=d["form_id"],
        version=d["version"],
        titles=d["titles"],
        default_language=d["default_language"],
        languages=tuple(d["languages"]),
        items=items,
        deadline=date.fromisoformat(d["deadline"]) if d.get("deadline") else None,
        positions=tuple(
            Position(**{**p, "choices": tuple(p["choices"]), "codes": tuple(p.get("codes", ()))})
            for p in d.get("positions", ())
        ),
        codes=tuple(
            Code(**{**c, "questions": tuple(c["questions"])}) for c in d.get("codes", ())
        ),
        source=Path(d["source"]) if d.get("source") else None,
    )
