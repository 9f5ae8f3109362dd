"""XLSForm expressions: parsing, the names they read, and ODK-like evaluation."""

from __future__ import annotations

from datetime import date

import pytest

from migq.expressions import (
    MAX_NESTING,
    BoolOp,
    Call,
    Compare,
    Current,
    ExpressionError,
    Literal,
    Ref,
    compared_values,
    evaluate,
    parse,
    references,
)


def test_parse_builds_the_tree():
    assert parse("${a} = 'x'") == Compare("=", Ref("a"), Literal("x"))
    assert parse(". >= -1.5") == Compare(">=", Current(), Literal(-1.5))
    tree = parse("selected(${m}, 'o') and (${a} != \"y\" or not(${b} < 3))")
    assert isinstance(tree, BoolOp) and tree.op == "and"
    assert tree.items[0] == Call("selected", (Ref("m"), Literal("o")))
    assert tree.items[1] == BoolOp("or", (Compare("!=", Ref("a"), Literal("y")),
                                          Call("not", (Compare("<", Ref("b"), Literal(3)),))))


def test_and_binds_tighter_than_or():
    tree = parse("${a} = '1' or ${b} = '2' and ${c} = '3'")
    assert tree.op == "or" and isinstance(tree.items[1], BoolOp) and tree.items[1].op == "and"


def test_references_and_compared_values():
    expr = "${a} = 'x' and selected(${m}, 'o') and 'y' != ${b} and count-selected(${m}) > 1 and ${n} > 3"
    assert references(expr) == {"a", "m", "b", "n"}
    assert compared_values(expr) == [("a", "x"), ("m", "o"), ("b", "y"), ("n", 3)]
    assert references("string-length(.) <= 254") == set()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("${a} = 'x", "never closed"),
        ("${a} = = 1", "expected a value but found '=' at character 8"),
        ("foo(1)", "unknown function 'foo()'"),
        ("selected(${a})", "selected() takes 2 argument(s), not 1"),
        ("(${a} = 1", "expected ')'"),
        ("a = 1", "write ${a} for a question"),
        ("${a b} = 1", "is not a question name"),
        ("${a} = 1 ${b}", "unexpected '${b}' at character 10"),
        ("1 < 2 < 3", "chained comparison"),
        ("${a} = 1 and", "expected a value but found the end"),
        ("${a} == 1", "expected a value"),
        ("${a} = 1; drop table", "unexpected ';'"),
        ("__import__('os')", "unknown function"),
        ("- 'x'", "must be followed by a number"),
        ("(" * 3000 + "1" + ")" * 3000, f"nested more than {MAX_NESTING} deep at character {MAX_NESTING + 1}"),
        ("not(" * 3000 + "true()" + ")" * 3000, f"nested more than {MAX_NESTING} deep"),
        (". < 1" + "0" * 5000, "the number at character 5 is 5001 characters long"),
        (". > -" + "9" * 5000, "5000 characters long"),
    ],
)
def test_parse_errors_say_what_and_where(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert fragment in info.value.reason


def test_selects_and_text():
    answers = {"one": "yes", "many": ["a", "other"], "txt": "hello"}
    assert evaluate("${one} = 'yes'", answers)
    assert not evaluate("${one} != 'yes'", answers)
    assert evaluate("selected(${many}, 'other')", answers)
    assert not evaluate("selected(${many}, 'b')", answers)
    assert evaluate("selected(${many}, 'a')", {"many": "a other"})  # ODK's space-separated form
    assert evaluate("count-selected(${many}) = 2", answers)
    assert evaluate("string-length(${txt}) = 5 and contains(${txt}, 'ell')", answers)
    assert evaluate("not(${one} = 'no')", answers)


def test_missing_answers_follow_odk_empty_string_semantics():
    assert not evaluate("${q} = 'x'", {})
    assert evaluate("${q} != 'x'", {"q": None})
    assert evaluate("${q} = ''", {})
    for op in ("<", "<=", ">", ">="):
        assert not evaluate(f"${{q}} {op} 3", {})
    assert evaluate("${q} != 3", {})
    assert not evaluate("selected(${q}, 'x')", {})
    assert evaluate("count-selected(${q}) = 0", {})
    assert evaluate("string-length(${q}) = 0", {})


def test_numbers_compare_as_numbers():
    assert evaluate("${n} >= 10", {"n": 10})
    assert evaluate("${n} > 9.5", {"n": "10"})  # text holding a number
    assert evaluate("${n} = 10", {"n": 10.0})
    assert not evaluate("${n} < 3", {"n": "abc"})
    assert evaluate(". > -1 and . < 1", {}, current=0)


def test_constraints_use_current_value():
    rule = "string-length(.) <= 254 and contains(., '@')"
    assert evaluate(rule, {}, current="focal@example.org")
    assert not evaluate(rule, {}, current="no-at-sign")
    assert not evaluate(rule, {}, current="x@" + "a" * 260)
    assert evaluate("string-length() = 3", {}, current="abc")


def test_dates_order_as_dates():
    assert evaluate(". >= '2008-03-18'", {}, current=date(2008, 4, 30))
    assert not evaluate(". >= '2008-03-18'", {}, current=date(2008, 1, 2))
    assert evaluate(". < '2008-04-30'", {}, current="2008-04-01")


def test_booleans_and_parse_once():
    assert evaluate("true()", {}) and not evaluate("false()", {})
    assert evaluate("${a} = 'x' or true()", {})
    tree = parse("${a} = 'x'")
    assert evaluate(tree, {"a": "x"})


def test_evaluate_refuses_bad_text():
    with pytest.raises(ExpressionError):
        evaluate("${a} = ", {"a": "x"})


def test_nesting_up_to_the_limit_parses_and_evaluates():
    deepest = "(" * MAX_NESTING + "${a} = 1" + ")" * MAX_NESTING
    assert evaluate(deepest, {"a": 1})
    assert evaluate("not(" * MAX_NESTING + "${a} = 1" + ")" * MAX_NESTING, {"a": 1})  # an even number of not()
    assert evaluate(". = 123456789012345678901234567890", {}, current=123456789012345678901234567890)
