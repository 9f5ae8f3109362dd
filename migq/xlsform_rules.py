"""Rules shared by the definition checks: names, and texts required in every language."""

from __future__ import annotations

import re

from migq.errors import Problem, problem
from migq.questionnaire import LANGUAGE_NAMES
from migq.xlsform_sources import Sheet, language_header

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_A1 = re.compile(r"^([A-Za-z]{1,3})([0-9]+)$")
_R1C1 = re.compile(r"^[Rr][0-9]*[Cc]?[0-9]*$|^[Cc][0-9]*$")


def translated(sheet: Sheet, row_number: int | None, base: str, default: str, row: dict | None = None) -> dict[str, str]:
    if row is None:
        row = next((r for n, r in sheet.rows if n == row_number), {})
    return {lang: row[h] for lang, h in sheet.translations(base, default).items() if row.get(h)}


def require_translations(texts: dict, base: str, what: str, sheet_name: str, row: int, sheet: Sheet,
                          default: str, languages, problems: list[Problem], required: bool = True) -> None:
    """A label in every declared language (or, when optional, in all of them once in one)."""
    if not required and not texts:
        return
    headers = sheet.translations(base, default)
    for lang in languages:
        if texts.get(lang):
            continue
        column = headers.get(lang, language_header(base, lang))
        name = f"{LANGUAGE_NAMES.get(lang, lang)} ({lang})"
        if base == "label":
            problems.append(problem("missing_label", sheet=sheet_name, row=row, column=column, value=what, language=name))
        else:
            problems.append(problem("missing_translation", sheet=sheet_name, row=row, column=column, value=what,
                                    base=base, language=name))


def looks_like_cell(name: str) -> bool:
    """Excel refuses defined names that read as cell addresses (Q1, AB12, R1C1)."""
    m = _A1.match(name)
    if m:
        column = 0
        for ch in m.group(1).upper():
            column = column * 26 + ord(ch) - 64
        return column <= 16384 and 1 <= int(m.group(2)) <= 1048576
    return bool(_R1C1.match(name))


def answerable_questions(items) -> dict:
    """Answerable questions by name; the first of twins wins (the twin is reported already)."""
    found = {}
    for q in items:
        if q.is_answerable:
            found.setdefault(q.name, q)
    return found


def check_name(name: str, where: dict, seen: dict[str, int], problems: list[Problem], what: str = "question",
               cell_like: bool = False) -> bool:
    """Missing, badly formed, cell-like or duplicate names; True when the name is usable."""
    if not name:
        problems.append(problem("missing_name", column="name", what=what, **where))
        return False
    if not NAME.match(name):
        problems.append(problem("bad_name", column="name", value=name, **where))
        return False
    if cell_like and looks_like_cell(name):  # question names become Excel defined names
        problems.append(problem("name_like_cell", column="name", value=name, **where))
        return False
    if name in seen:
        problems.append(problem("duplicate_name", column="name", value=name, first_row=seen[name], **where))
        return False
    seen[name] = where["row"]
    return True
