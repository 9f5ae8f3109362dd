"""The message catalogue: every problem code the code base emits has its wording in MESSAGES."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from migq.errors import MESSAGES, Severity, problem

PACKAGE = Path(__file__).resolve().parent.parent / "migq"

# Files allowed to build a Problem by hand: none. Every problem comes from the catalogue.
HAND_BUILT_PENDING: dict[str, str] = {}

# Callables whose first argument (or code=) is a problem code.
_BUILDERS = {"problem", "Problem", "_report"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _scan() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(code -> places it is emitted, file -> places a Problem is built by hand)."""
    emitted: dict[str, list[str]] = {}
    by_hand: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _name(node.func) in _BUILDERS:
                code = _literal(node.args[0]) if node.args else None
                code = code or next((_literal(k.value) for k in node.keywords if k.arg == "code"), None)
                if code is not None:
                    emitted.setdefault(code, []).append(where)
                if _name(node.func) == "Problem":
                    by_hand.setdefault(rel, []).append(where)
            # The normalisers return (code, values) for the reader to report: ("not_a_date", {...}).
            elif (rel == "forms/normalize.py" and isinstance(node, ast.Tuple) and len(node.elts) == 2
                  and _literal(node.elts[0]) and isinstance(node.elts[1], ast.Dict)):
                emitted.setdefault(_literal(node.elts[0]), []).append(where)
    return emitted, by_hand


def test_the_scan_finds_problems_of_every_kind():
    emitted, _ = _scan()
    # one of each: definitions, contacts, coding sheets, answers (reader and normalisers), the guard
    for code in ("duplicate_name", "missing_iso3", "coding_bad_value", "formula_in_answer", "not_a_date", "macros"):
        assert code in emitted, code


def test_every_emitted_code_is_in_the_catalogue():
    emitted, _ = _scan()
    missing = {code: places for code, places in emitted.items() if code not in MESSAGES}
    assert not missing, f"add these codes to MESSAGES in migq/errors.py and build them with problem(): {missing}"


def test_problems_are_built_from_the_catalogue():
    _, by_hand = _scan()
    unexpected = {rel: places for rel, places in by_hand.items() if rel not in HAND_BUILT_PENDING}
    assert not unexpected, f"build these with problem(code, ...) and a MESSAGES entry: {unexpected}"


@pytest.mark.parametrize("code, message", sorted((c, m) for c, m in MESSAGES.items()))
def test_catalogue_messages_are_sentences_with_a_severity(code, message):
    assert code.isidentifier() and code == code.lower()
    assert message.message and message.message[-1] in ".)", code
    assert not message.hint or message.hint.endswith(".") or message.hint == "{fix}" or message.hint.startswith("{")
    assert isinstance(message.severity, Severity)


# The wording users saw when these were built by hand stays the same through the catalogue.
@pytest.mark.parametrize(
    "code, values, message, hint",
    [
        ("missing_iso3", {}, "this row has no ISO3 code.",
         "Fill the iso3 column with the three-letter code from 'migq recipients list'."),
        ("duplicate_column", {"column": "name"}, "the column 'name' appears twice; only the first is read.",
         "Delete or rename the second column."),
        ("bad_required", {"value": "maybe"}, "required is 'maybe', neither yes nor no.",
         "Write yes (or true, 1) for a required question; leave it empty otherwise."),
        ("position_unknown_code", {"value": "p", "ref": "speed", "question_name": "why", "allowed": "cost"},
         "position 'p' counts code 'speed', which the codes sheet does not define for 'why'.", "Use one of: cost."),
        ("bad_choice_name", {"value": "a b"}, "the choice name 'a b' contains a space.",  # was "is empty or contains"
         "Give each choice a name without spaces (answers to select_multiple are names separated by spaces)."),
        ("missing_name", {"what": "question"}, "this question has no name.",
         "Give every question a name: a letter, then letters, digits or underscores."),
        ("answer_cell_missing", {"question": "q1", "names": "'q1__a', 'q1__b'"},
         "the form has no answer cell for 'q1' (defined name 'q1__a', 'q1__b' not found).",
         "That answer cannot be read and counts as unanswered; ask the sender to answer on the form that was sent."),
        ("coding_unknown_export", {"value": "?"}, "this sheet (export ?) was not exported from this workspace.",
         "Import it into the workspace it came from (--db), or export a new sheet here."),
    ],
)
def test_wording_kept_when_moved_into_the_catalogue(code, values, message, hint):
    p = problem(code, **values)
    assert (p.code, p.message, p.hint) == (code, message, hint)


def test_answer_cell_missing_is_a_warning_located_at_the_question():
    p = problem("answer_cell_missing", file="FRA.xlsx", question="q1", names="'q1'")
    assert p.severity is Severity.WARNING and p.question == "q1" and p.file == "FRA.xlsx"
