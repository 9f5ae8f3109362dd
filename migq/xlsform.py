"""Questionnaire definitions: load XLSForm .xlsx or YAML into the model, checking everything.

``check_questionnaire`` collects every mistake at once, each located (sheet, spreadsheet row
with the header as row 1, column) with a fix; ``load_questionnaire`` raises ``DefinitionError``
carrying them all. Positions and the codebook are checked in ``migq.xlsform_positions``; the
workbook writer and the JSON view live in ``migq.xlsform_write``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from migq.errors import MigqError, Problem, problem
from migq.expressions import ExpressionError, compared_values, parse, references
from migq.questionnaire import CLOSED_TYPES, QUESTION_TYPES, Choice, Question, Questionnaire
from migq.xlsform_positions import build_codes, build_positions
from migq.xlsform_rules import answerable_questions, check_name, require_translations, translated
from migq.xlsform_sources import Sheet, read_definition
from migq.xlsform_write import questionnaire_to_dict, write_xlsform  # noqa: F401  (public API)

BUNDLED_NAME = "hld-followup-2008.yaml"
SHEET_ORDER = {"survey": 0, "choices": 1, "settings": 2, "positions": 3, "codes": 4}
FORM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TRUE_WORDS = {"yes", "true", "1", "true()", "y"}
FALSE_WORDS = {"", "no", "false", "0", "false()", "n"}


class DefinitionError(MigqError):
    """A definition has mistakes; ``problems`` lists every one, located."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        n = len(errors)
        first = replace(errors[0], file=None).render() if errors else ""
        super().__init__(
            f"{path} has {n} mistake{'s' if n != 1 else ''}; the first: {first}",
            hint="Run 'migq questionnaire check FILE' to see them all.",
        )


def bundled_questionnaire_path() -> Path:
    """The questionnaire shipped with migq (the 2008 HLD follow-up), as package data."""
    return Path(__file__).parent / "data" / "questionnaires" / BUNDLED_NAME


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and check a definition; raise ``DefinitionError`` listing all mistakes if any."""
    questionnaire, problems = check_questionnaire(path)
    if questionnaire is None:
        raise DefinitionError(Path(path), problems)
    return questionnaire


def check_questionnaire(path: str | Path) -> tuple[Questionnaire | None, list[Problem]]:
    """The model (None if any error) and every problem found, located in the file."""
    path = Path(path)
    if not path.exists():
        raise MigqError("no such file.", hint="Check the path, or omit FILE to use the bundled questionnaire.", path=str(path))
    if not path.is_file():
        raise MigqError("this is a folder, not a questionnaire definition.", hint="Name an .xlsx or .yaml file.", path=str(path))
    sheets, problems = read_definition(path)
    questionnaire = None
    if sheets is not None:
        questionnaire, more = build_questionnaire(sheets, source=path)
        problems = problems + more
    problems = [p if p.file else replace(p, file=str(path)) for p in problems]
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, -1), p.row or 0))  # stable: same cell keeps order
    if any(p.is_error for p in problems):
        return None, problems
    return questionnaire, problems


def build_questionnaire(sheets: dict[str, Sheet], source: Path | None = None) -> tuple[Questionnaire | None, list[Problem]]:
    """Build the model from read sheets; problems are located but carry no file name."""
    problems: list[Problem] = []
    for name in ("survey", "settings"):
        if name not in sheets:
            problems.append(problem("missing_sheet", sheet=name))
    if "survey" not in sheets:
        return None, problems
    for sheet, column in (("survey", "type"), ("survey", "name"), ("choices", "list_name"), ("choices", "name")):
        if sheet in sheets and sheets[sheet].rows and not sheets[sheet].has(column):
            problems.append(problem("missing_column", sheet=sheet, row=1, column=column))
    if not sheets["survey"].rows:
        problems.append(problem("empty_survey", sheet="survey"))
    settings = _settings(sheets.get("settings"), problems)
    default = settings["default_language"] or _implied_default(sheets)
    languages = _languages(sheets, default)
    if settings["default_language"] and languages and default not in languages:
        problems.append(problem("bad_setting", sheet="settings", row=2, column="default_language", value=default,
                                reason="but no label column is in that language",
                                fix=f"Use one of: {', '.join(languages)}."))
    languages = languages or (default,)
    lists = _choice_lists(sheets.get("choices"), default, languages, problems)
    items = _survey(sheets["survey"], lists, default, languages, problems)
    _check_expressions(items, problems)
    codes = build_codes(sheets.get("codes"), default, languages, items, problems)
    positions = build_positions(sheets.get("positions"), default, languages, items, codes, problems)
    title_sheet = sheets.get("settings") or Sheet("settings")
    titles = translated(title_sheet, settings["row"], "form_title", default)
    require_translations(titles, "form_title", settings["form_id"] or "form_title", "settings",
                          settings["row"] or 2, title_sheet, default, languages, problems, required=False)
    questionnaire = Questionnaire(
        form_id=settings["form_id"], version=settings["version"], titles=titles,
        default_language=default, languages=tuple(languages), items=tuple(items),
        deadline=settings["deadline"], positions=positions, codes=codes, source=source,
    )
    return questionnaire, problems


def _settings(sheet: Sheet | None, problems: list[Problem]) -> dict:
    row_number, row = (sheet.rows[0] if sheet and sheet.rows else (2, {}))
    found = {"row": row_number, "form_id": row.get("form_id", ""), "version": row.get("version", ""),
             "default_language": row.get("default_language", "").lower(), "deadline": None, "values": row}
    if sheet is None:
        return found
    for column in ("form_id", "version"):
        if not found[column]:
            problems.append(problem("missing_setting", sheet="settings", row=row_number, column=column))
    if found["form_id"] and not FORM_ID.match(found["form_id"]):
        problems.append(problem("bad_setting", sheet="settings", row=row_number, column="form_id", value=found["form_id"],
                                reason="which cannot be used in file and folder names",
                                fix="Use letters, digits, '-', '_' and '.', starting with a letter or digit."))
    raw = row.get("deadline", "")
    if raw:
        try:
            found["deadline"] = date.fromisoformat(raw[:10])
        except ValueError:
            problems.append(problem("bad_setting", sheet="settings", row=row_number, column="deadline", value=raw,
                                    reason="which is not a date", fix="Write the deadline as YYYY-MM-DD."))
    return found


def _implied_default(sheets: dict[str, Sheet]) -> str:
    """Without a default_language: the first declared language, or 'en' for plain label columns."""
    probe = _languages(sheets, "")
    return "en" if "" in probe or not probe else probe[0]


def _languages(sheets: dict[str, Sheet], default: str) -> list[str]:
    """Declared languages: those of any label column, in order of first appearance."""
    found: list[str] = []
    for name in ("survey", "choices", "positions", "codes"):
        if name in sheets:
            for lang in sheets[name].translations("label", default):
                if lang not in found:
                    found.append(lang)
    return found


def _choice_lists(sheet: Sheet | None, default: str, languages, problems) -> dict[str, tuple[Choice, ...]]:
    lists: dict[str, list[Choice]] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in (sheet.rows if sheet else []):
        list_name, name = row.get("list_name", ""), row.get("name", "")
        where = dict(sheet="choices", row=number)
        if not list_name:
            problems.append(problem("missing_list_name", column="list_name", **where))
            continue
        if not name or any(ch.isspace() for ch in name):
            problems.append(problem("bad_choice_name", column="name", value=name, **where) if name
                            else problem("missing_choice_name", column="name", **where))
            continue
        if (list_name, name) in seen:
            problems.append(problem("duplicate_choice", column="name", value=name, list_name=list_name, **where))
            continue
        seen[(list_name, name)] = number
        labels = translated(sheet, number, "label", default, row)
        require_translations(labels, "label", name, "choices", number, sheet, default, languages, problems)
        lists.setdefault(list_name, []).append(Choice(name=name, labels=labels))
    return {k: tuple(v) for k, v in lists.items()}


def _split_type(raw: str) -> tuple[str, str | None]:
    words = raw.replace("select one ", "select_one ").replace("select multiple ", "select_multiple ").split()
    if [w.lower() for w in words] in (["begin", "group"], ["end", "group"]):
        return "_".join(w.lower() for w in words), None
    if not words:
        return "", None
    base = words[0].lower()
    if base in CLOSED_TYPES:
        return (base, words[1]) if len(words) == 2 else (base if len(words) == 1 else raw, None)
    return (base if len(words) == 1 else raw), None


def _survey(sheet: Sheet, lists, default: str, languages, problems: list[Problem]) -> list[Question]:
    items: list[Question] = []
    if sheet.rows and not sheet.has("type"):
        return items  # reported once as a missing column, not once per row
    names_missing = bool(sheet.rows) and not sheet.has("name")
    seen: dict[str, int] = {}
    groups: list[tuple[str, int]] = []
    for number, row in sheet.rows:
        where = dict(sheet="survey", row=number)
        raw_type, name = row.get("type", ""), row.get("name", "")
        qtype, list_name = _split_type(raw_type)
        if not qtype:
            problems.append(problem("missing_type", column="type", allowed=", ".join(QUESTION_TYPES), **where))
            continue
        if qtype not in QUESTION_TYPES:
            problems.append(problem("unknown_type", column="type", value=raw_type, allowed=", ".join(QUESTION_TYPES), **where))
            continue
        outer = groups[-1][0] if groups else None
        if qtype == "end_group":
            if not groups:
                problems.append(problem("unbalanced_group", column="type", reason=f"end_group at row {number} closes no group", **where))
                continue
            name, _ = groups.pop()
            items.append(Question(name=name, type=qtype, group=groups[-1][0] if groups else None, row=number))
            continue
        if names_missing:
            name = f"row{number}"
        elif not check_name(name, where, seen, problems, cell_like=True):
            name = name or f"row{number}"
        choices: tuple[Choice, ...] = ()
        if qtype in CLOSED_TYPES:
            if not list_name:
                problems.append(problem("empty_choice_list", column="type", value=name, qtype=qtype, **where))
            elif list_name not in lists:
                problems.append(problem("missing_choice_list", column="type", value=name, list_name=list_name, **where))
            else:
                choices = lists[list_name]
        labels = translated(sheet, number, "label", default, row)
        require_translations(labels, "label", name, "survey", number, sheet, default, languages, problems,
                              required=qtype != "begin_group")
        hints = translated(sheet, number, "hint", default, row)
        messages = translated(sheet, number, "constraint_message", default, row)
        for base, texts in (("hint", hints), ("constraint_message", messages)):
            require_translations(texts, base, name, "survey", number, sheet, default, languages, problems, required=False)
        items.append(Question(
            name=name, type=qtype, labels=labels, hints=hints, required=_required(row.get("required", ""), where, problems),
            relevant=row.get("relevant") or None, constraint=row.get("constraint") or None,
            constraint_messages=messages, list_name=list_name, choices=choices, group=outer, row=number,
        ))
        if qtype == "begin_group":
            groups.append((name, number))
    for name, number in groups:
        problems.append(problem("unbalanced_group", sheet="survey", row=number, column="type",
                                reason=f"the group '{name}' opened at row {number} is never closed"))
    return items


def _required(raw: str, where: dict, problems: list[Problem]) -> bool:
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() not in FALSE_WORDS:
        problems.append(problem("bad_required", column="required", value=raw, **where))
    return False


def _literal_text(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _check_expressions(items: list[Question], problems: list[Problem]) -> None:
    answerable = answerable_questions(items)
    for q in items:
        for column in ("relevant", "constraint"):
            expr = getattr(q, column)
            if not expr:
                continue
            # Quoted in messages: a hostile one may be thousands of characters; the cell is named anyway.
            where = dict(sheet="survey", row=q.row, column=column, expr=expr if len(expr) <= 200 else expr[:200] + "…")
            try:
                tree = parse(expr)
            except ExpressionError as err:
                problems.append(problem("bad_expression", reason=err.reason, **where))
                continue
            for ref in sorted(references(tree)):
                if ref not in answerable:
                    problems.append(problem("unknown_reference", ref=ref, **where))
            for ref, literal in compared_values(tree):
                target = answerable.get(ref)
                text = _literal_text(literal)
                if target and target.is_closed and target.choices and text and text not in target.choice_names:
                    problems.append(problem("unknown_choice_in_expression", ref=ref, value=text,
                                            allowed=", ".join(target.choice_names), **where))
