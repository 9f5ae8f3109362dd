"""Read a returned form: untrusted bytes in, identity, answers and located problems out.

Every answer cell is found through the workbook's defined names (see docs/form-contract.md),
so inserted rows, moved or renamed sheets and re-saving in Excel or LibreOffice do not matter.
The identity comes from the very hidden ``_migq`` sheet, else from the custom document
properties; it is reported, never guessed. Run this behind the guard, and in production
through ``migq.forms.isolate.IsolatedReader``: the native readers underneath must not run in
the main process on untrusted input.

    result = read_form(data, "xlsx", "FRA.xlsx", [questionnaire])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from migq.errors import Problem, Severity, problem
from migq.forms import normalize
from migq.forms.answer_rules import apply_rules
from migq.forms.cells import Book, CellRef, FormError, open_book
from migq.forms.contract import META_KEYS, PROPERTY_PREFIX, RECIPIENT_NAME, answer_name
from migq.questionnaire import Question, Questionnaire

__all__ = ["Answer", "ReadResult", "read_form", "choose_questionnaire"]


class Answer(NamedTuple):
    """One question's answer (a tuple: a form has dozens, made and pickled per file)."""

    question: str
    value: str | None  # canonical (see migq.forms.normalize); None = no answer
    raw: str | None  # what the cell(s) held, as text
    cell: str | None  # 'Questionnaire!C12'; for select_multiple the first tick cell
    valid: bool  # False when an error concerns it, or it does not apply (set aside)


@dataclass
class ReadResult:
    kind: str
    identity: dict[str, str] | None
    identity_source: str | None  # 'sheet' | 'properties' | None
    questionnaire_key: tuple[str, str] | None
    printed_country: str | None
    answers: dict[str, Answer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def read_form(data: bytes, kind: str, file_name: str, questionnaires: list[Questionnaire],
              package=None) -> ReadResult:
    """Read one returned form. Raises ``MigqError`` when the file is no form of ours.
    ``package`` is the guard's ``GuardReport.package``: parts it already inflated and checked."""
    book = open_book(data, kind, file_name, package)
    identity, source = read_identity(book)
    q = choose_questionnaire(book, identity, questionnaires, file_name)
    lang = (identity or {}).get("language") or q.default_language
    if lang not in q.languages:
        lang = q.default_language
    reading = _FormReading(book, q, lang, file_name)
    answers, problems = reading.read()
    answers, rule_problems = apply_rules(q, answers, lang, file_name, reading.flagged)
    country_ref = book.find(RECIPIENT_NAME)
    country = normalize.cell_text(book.values([country_ref])[country_ref]) if country_ref else None
    return ReadResult(
        kind=kind, identity=identity, identity_source=source, questionnaire_key=(q.form_id, q.version),
        printed_country=country.strip() if country else None, answers=answers, problems=problems + rule_problems,
    )


def read_identity(book: Book) -> tuple[dict[str, str] | None, str | None]:
    """The META_KEYS values from the metadata sheet, else from the custom properties."""
    rows = book.meta_rows() or {}
    found = {k: rows[k] for k in META_KEYS if rows.get(k)}
    if found:
        return found, "sheet"
    props = book.properties()
    found = {k: props[PROPERTY_PREFIX + k] for k in META_KEYS if props.get(PROPERTY_PREFIX + k)}
    return (found, "properties") if found else (None, None)


class _PerObject:
    """Values computed once per live object, found by identity (a questionnaire is costly to
    hash); the object is kept with its value, so a reused id never returns a stale one."""

    def __init__(self, limit: int):
        self._items: dict[tuple, tuple[object, object]] = {}
        self._limit = limit

    def get(self, obj, make, *extra):
        key = (id(obj), *extra)
        cached = self._items.get(key)
        if cached is None or cached[0] is not obj:
            if len(self._items) > self._limit:
                self._items.clear()
            cached = self._items[key] = (obj, make())
        return cached[1]


_NAMES = _PerObject(limit=1000)


def _answer_names(q: Questionnaire) -> tuple[str, ...]:
    """The defined names of a questionnaire's answer cells (computed once per questionnaire)."""
    def make() -> tuple[str, ...]:
        names = []
        for question in q.questions:
            if question.type == "select_multiple":
                names += [answer_name(question.name, c.name) for c in question.choices]
            else:
                names.append(answer_name(question.name))
        return tuple(names)

    return _NAMES.get(q, make)


def choose_questionnaire(book: Book, identity: dict[str, str] | None, questionnaires: list[Questionnaire],
                         file_name: str) -> Questionnaire:
    """The questionnaire the identity names; without one, the one whose answer cells the file
    has most of. A file with none of any questionnaire's answer cells is no form of ours."""
    def found(q: Questionnaire) -> int:
        return sum(book.find(n) is not None for n in _answer_names(q))

    if identity:
        named = [q for q in questionnaires
                 if q.form_id == identity.get("form_id") and str(q.version) == identity.get("version")]
        if named and found(named[0]):
            return named[0]
    scored = sorted(((found(q), i, q) for i, q in enumerate(questionnaires)), key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] == 0:
        raise FormError(
            f"{file_name} is not a migq form (none of the questionnaire's answer cells were found): "
            "ask the sender to answer on the form that was sent.",
            path=file_name,
        )
    return scored[0][2]


_MATCHERS = _PerObject(limit=10_000)


def _matcher(question: Question, lang: str, fallback: str) -> normalize.ChoiceMatcher:
    """Folding every label is the costly part of matching: do it once per question and language."""
    return _MATCHERS.get(question, lambda: normalize.ChoiceMatcher(question, lang, fallback), lang)


class _FormReading:
    """One pass over the named cells of one form."""

    def __init__(self, book: Book, q: Questionnaire, lang: str, file_name: str):
        self.book, self.q, self.lang, self.file_name = book, q, lang, file_name
        self.flagged: set[str] = set()  # questions a cell-level problem concerns
        self.problems: list[Problem] = []

    def read(self) -> tuple[dict[str, Answer], list[Problem]]:
        refs: dict[str, CellRef | None] = {n: self.book.find(n) for n in _answer_names(self.q)}
        present = [r for r in refs.values() if r is not None]
        self.values = self.book.values(present)
        self.formulas = self.book.formulas(present)
        answers = {}
        for question in self.q.questions:
            if question.type == "select_multiple":
                answers[question.name] = self._ticks(question, refs)
            else:
                answers[question.name] = self._single(question, refs[answer_name(question.name)])
        return answers, self.problems

    def _report(self, code: str, question: str, at: CellRef | None, severity: Severity | None = None, **values) -> None:
        where = {"file": self.file_name, "question": question}
        if at is not None:
            where.update(sheet=at.sheet, cell=at.coordinate)
        self.problems.append(problem(code, severity, **where, **values))
        self.flagged.add(question)

    def _missing_cells(self, question: Question, names: list[str]) -> None:
        self.flagged.add(question.name)
        self.problems.append(problem("answer_cell_missing", file=self.file_name, question=question.name,
                                     names=", ".join(f"'{n}'" for n in names)))

    def _formula(self, question: Question, ref: CellRef) -> bool:
        formula = self.formulas.get(ref)
        if formula is None:
            return False
        self._report("formula_in_answer", question.name, ref, value=formula)
        return True

    def _single(self, question: Question, ref: CellRef | None) -> Answer:
        if ref is None:
            self._missing_cells(question, [answer_name(question.name)])
            return Answer(question.name, None, None, None, True)
        raw = self.values.get(ref)
        raw_text = normalize.cell_text(raw)
        if self._formula(question, ref):
            return Answer(question.name, None, raw_text, ref.address, False)
        value, issue = self._normalise(question, raw)
        valid = True
        if issue is not None:
            code, values = issue
            severity = Severity.WARNING if code == "text_too_long" else None  # the text is kept
            self._report(code, question.name, ref, severity, **values)
            valid = code == "text_too_long"
        return Answer(question.name, value, raw_text, ref.address, valid)

    def _normalise(self, question: Question, raw):
        kind = question.type
        if kind == "select_one":
            return _matcher(question, self.lang, self.q.default_language).match(raw)
        if kind == "integer":
            return normalize.integer(raw, self.lang)
        if kind == "decimal":
            return normalize.decimal(raw, self.lang)
        if kind == "date":
            return normalize.date_value(raw)
        return normalize.text_value(raw)

    def _ticks(self, question: Question, refs: dict[str, CellRef | None]) -> Answer:
        cells = [(c.name, refs[answer_name(question.name, c.name)]) for c in question.choices]
        missing = [answer_name(question.name, code) for code, ref in cells if ref is None]
        if missing:
            self._missing_cells(question, missing)
        present = [(code, ref) for code, ref in cells if ref is not None]
        first = present[0][1].address if present else None
        chosen, raws, valid = [], [], True
        for code, ref in present:
            raw_text = normalize.cell_text(self.values.get(ref))
            if raw_text is not None:
                raws.append(f"{code}: {raw_text}")
            if self._formula(question, ref):
                valid = False
                continue
            ticked, issue = normalize.tick(self.values.get(ref))
            if issue is not None:
                self._report(issue[0], question.name, ref, **issue[1])
                valid = False
            elif ticked:
                chosen.append(code)
        value = " ".join(chosen) or None  # kept even when another tick cell is garbled
        return Answer(question.name, value, "; ".join(raws) or None, first, valid)
