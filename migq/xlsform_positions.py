"""The migq sheets beyond XLSForm: ``positions`` (stances the report counts) and ``codes``.

A position counts respondents whose answer to a closed question is among its ``choices`` or,
for free-text questions coded with the codebook, whose answer carries one of its ``codes``.
"""

from __future__ import annotations

from migq.errors import Problem, problem
from migq.questionnaire import POSITION_BASES, Code, Position, Question
from migq.xlsform_rules import answerable_questions, check_name, require_translations, translated
from migq.xlsform_sources import Sheet


def build_codes(sheet: Sheet | None, default: str, languages, items: list[Question],
                problems: list[Problem]) -> tuple[Code, ...]:
    if sheet is None:
        return ()
    for column in ("code", "questions"):
        if not sheet.has(column):
            problems.append(problem("missing_column", sheet="codes", row=1, column=column))
    answerable = answerable_questions(items)
    seen: dict[str, int] = {}
    codes = []
    for number, row in sheet.rows:
        where = dict(sheet="codes", row=number)
        name = row.get("code", "")
        if not check_name(name, where, seen, problems, what="code"):
            continue
        questions = tuple(row.get("questions", "").split())
        if not questions:
            problems.append(problem("code_without_question", column="questions", value=name, **where))
        for ref in questions:
            target = answerable.get(ref)
            if target is None:
                problems.append(problem("unknown_code_question", column="questions", value=name, ref=ref, **where))
            elif target.type != "text":
                problems.append(problem("code_not_text_question", column="questions", value=name, ref=ref,
                                        qtype=target.type, **where))
        labels = translated(sheet, number, "label", default, row)
        require_translations(labels, "label", name, "codes", number, sheet, default, languages, problems)
        description = translated(sheet, number, "description", default, row)
        codes.append(Code(code=name, labels=labels, questions=questions, description=description))
    return tuple(codes)


def build_positions(sheet: Sheet | None, default: str, languages, items: list[Question],
                    codes: tuple[Code, ...], problems: list[Problem]) -> tuple[Position, ...]:
    if sheet is None:
        return ()
    for column in ("name", "question"):
        if not sheet.has(column):
            problems.append(problem("missing_column", sheet="positions", row=1, column=column))
    answerable = answerable_questions(items)
    codebook = {c.code: c for c in codes}
    seen: dict[str, int] = {}
    positions = []
    for number, row in sheet.rows:
        where = dict(sheet="positions", row=number)
        name = row.get("name", "")
        if not check_name(name, where, seen, problems, what="position"):
            name = name or f"row{number}"
        question = row.get("question", "")
        choices = tuple(row.get("choices", "").split())
        code_names = tuple(row.get("codes", "").split())
        base = row.get("base", "") or "respondents"
        if base not in POSITION_BASES:
            problems.append(problem("position_bad_base", column="base", value=name, ref=base, **where))
        if code_names:
            _check_coded(name, question, choices, code_names, answerable, codebook, where, problems)
        else:
            _check_closed(name, question, choices, answerable, where, problems)
        labels = translated(sheet, number, "label", default, row)
        require_translations(labels, "label", name, "positions", number, sheet, default, languages, problems)
        positions.append(Position(name=name, labels=labels, question=question, choices=choices,
                                  base=base, codes=code_names, row=number))
    return tuple(positions)


def _check_closed(name, question, choices, answerable, where, problems) -> None:
    target = answerable.get(question)
    if target is None or not target.is_closed:
        problems.append(problem("position_unknown_question", column="question", value=name, ref=question, **where))
        return
    if not choices:
        problems.append(problem("position_no_choices", column="choices", value=name, **where))
    for choice in choices:
        if choice not in target.choice_names:
            problems.append(problem("position_unknown_choice", column="choices", value=name, ref=choice,
                                    question_name=question, allowed=", ".join(target.choice_names), **where))


def _check_coded(name, question, choices, code_names, answerable, codebook, where, problems) -> None:
    if choices:
        problems.append(problem("position_choices_and_codes", column="choices", value=name, **where))
    if question not in answerable:
        problems.append(problem("position_unknown_coded_question", column="question", value=name, ref=question, **where))
        return
    for code in code_names:
        entry = codebook.get(code)
        if entry is None or question not in entry.questions:
            allowed = ", ".join(c.code for c in codebook.values() if question in c.questions) or "(none)"
            problems.append(problem("position_unknown_code", column="codes", value=name, ref=code,
                                    question_name=question, allowed=allowed, **where))
