"""Definition loading and checks: every class of mistake located at once, in YAML and XLSX."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import yaml

from migq.errors import MigqError
from migq.questionnaire import Questionnaire
from migq.xlsform import (
    DefinitionError,
    check_questionnaire,
    load_questionnaire,
    questionnaire_to_dict,
    write_xlsform,
)

EN, FR = "label::English (en)", "label::Français (fr)"

# Each row is written so that its YAML list index + 2 equals its spreadsheet row (header = 1).
BROKEN = f"""
settings:
  version: '1'
  default_language: en
  deadline: 30/04/2008
survey:
- {{type: select_one colours, name: colour, "{EN}": Colour, "{FR}": Couleur}}
- {{type: selectone colours, name: shade, "{EN}": Shade, "{FR}": Nuance}}
- {{type: text, "{EN}": Why, "{FR}": Pourquoi}}
- {{type: text, name: 2nd, "{EN}": Second, "{FR}": Second}}
- {{type: text, name: colour, "{EN}": Again, "{FR}": Encore}}
- {{type: select_one sizes, name: size, "{EN}": Size, "{FR}": Taille}}
- {{type: integer, name: age, "{EN}": Age}}
- {{type: text, name: why, "{EN}": Why, "{FR}": Pourquoi, relevant: "${{colour}} = 'purple'"}}
- {{type: text, name: why_2, "{EN}": Why, "{FR}": Pourquoi, relevant: "${{nothing}} = 'x'"}}
- {{type: text, name: why_3, "{EN}": Why, "{FR}": Pourquoi, constraint: "${{colour}} = = 'red'"}}
- {{type: begin_group, name: grp, "{EN}": Group, "{FR}": Groupe}}
choices:
- {{list_name: colours, name: red, "{EN}": Red, "{FR}": Rouge}}
- {{list_name: colours, name: blue, "{EN}": Blue, "{FR}": Bleu}}
- {{list_name: colours, name: red, "{EN}": Red again, "{FR}": Rouge encore}}
positions:
- {{name: p1, "{EN}": one, "{FR}": un, question: nothing, choices: x}}
- {{name: p2, "{EN}": two, "{FR}": deux, question: colour, choices: purple}}
- {{name: p3, "{EN}": three, "{FR}": trois, question: colour, choices: red, base: everyone}}
- {{name: p4, "{EN}": four, "{FR}": quatre, question: colour}}
codes:
- {{code: c1, "{EN}": code, "{FR}": code, questions: ghost}}
"""

EXPECTED = {
    ("missing_setting", "settings", 2, "form_id"),
    ("bad_setting", "settings", 2, "deadline"),
    ("unknown_type", "survey", 3, "type"),
    ("missing_name", "survey", 4, "name"),
    ("bad_name", "survey", 5, "name"),
    ("duplicate_name", "survey", 6, "name"),
    ("missing_choice_list", "survey", 7, "type"),
    ("missing_label", "survey", 8, FR),
    ("unknown_choice_in_expression", "survey", 9, "relevant"),
    ("unknown_reference", "survey", 10, "relevant"),
    ("bad_expression", "survey", 11, "constraint"),
    ("unbalanced_group", "survey", 12, "type"),
    ("duplicate_choice", "choices", 4, "name"),
    ("position_unknown_question", "positions", 2, "question"),
    ("position_unknown_choice", "positions", 3, "choices"),
    ("position_bad_base", "positions", 4, "base"),
    ("position_no_choices", "positions", 5, "choices"),
    ("unknown_code_question", "codes", 2, "questions"),
}


def _write_yaml(tmp_path: Path, text: str, name: str = "form.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _write_xlsx(tmp_path: Path, sheets: dict, name: str = "form.xlsx") -> Path:
    """An XLSForm workbook from {sheet: [row mapping, ...]} (settings may be one mapping)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        rows = [rows] if isinstance(rows, dict) else rows
        headers = list(dict.fromkeys(k for row in rows for k in row))
        ws = wb.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    path = tmp_path / name
    wb.save(path)
    return path


def _located(problems) -> set:
    return {(p.code, p.sheet, p.row, p.column) for p in problems}


def test_broken_yaml_reports_every_mistake_located(tmp_path):
    path = _write_yaml(tmp_path, BROKEN)
    questionnaire, problems = check_questionnaire(path)
    assert questionnaire is None
    assert _located(problems) == EXPECTED
    assert all(p.file == str(path) and p.message and p.hint for p in problems)
    by_code = {p.code: p for p in problems}
    assert "first at row 2" in by_code["duplicate_name"].message
    assert "purple" in by_code["unknown_choice_in_expression"].message
    assert "red, blue" in by_code["unknown_choice_in_expression"].hint
    assert "Français (fr)" in by_code["missing_label"].message
    assert "'grp' opened at row 12" in by_code["unbalanced_group"].message


def test_broken_xlsx_reports_the_same_mistakes_at_the_same_cells(tmp_path):
    sheets = yaml.load(BROKEN, Loader=yaml.BaseLoader)
    path = _write_xlsx(tmp_path, sheets)
    questionnaire, problems = check_questionnaire(path)
    assert questionnaire is None
    assert _located(problems) == EXPECTED


def test_load_raises_definition_error_with_all_problems(tmp_path):
    path = _write_yaml(tmp_path, BROKEN)
    with pytest.raises(DefinitionError) as info:
        load_questionnaire(path)
    assert len(info.value.problems) == len(EXPECTED)
    assert f"has {len(EXPECTED)} mistakes" in str(info.value)
    assert isinstance(info.value, MigqError)


SMALL = {
    "settings": {"form_id": "small", "version": "3", "form_title::English (en)": "Small",
                 "form_title::Français (fr)": "Petit", "default_language": "en", "deadline": "2008-04-30"},
    "survey": [
        {"type": "begin group", "name": "g", EN: "Group", FR: "Groupe"},
        {"type": "select_one yn", "name": "agree", EN: "Agree?", FR: "D'accord ?", "required": "TRUE()",
         "hint::English (en)": "Pick one", "hint::Français (fr)": "Choisir"},
        {"type": "text", "name": "why", EN: "Why?", FR: "Pourquoi ?", "relevant": "${agree} = 'no'",
         "constraint": "string-length(.) < 100", "constraint_message::English (en)": "Too long",
         "constraint_message::Français (fr)": "Trop long"},
        {"type": "end group"},
        {"type": "integer", "name": "staff", EN: "Staff", FR: "Personnel", "required": "no"},
    ],
    "choices": [
        {"list_name": "yn", "name": "yes", EN: "Yes", FR: "Oui"},
        {"list_name": "yn", "name": "no", EN: "No", FR: "Non"},
    ],
    "positions": [{"name": "agreed", EN: "agreed", FR: "étaient d'accord", "question": "agree", "choices": "yes"}],
    "codes": [{"code": "cost", EN: "Cost", FR: "Coût", "questions": "why"}],
}


def test_xlsx_definition_builds_the_model(tmp_path):
    q = load_questionnaire(_write_xlsx(tmp_path, SMALL))
    assert (q.form_id, q.version, q.languages, q.default_language) == ("small", "3", ("en", "fr"), "en")
    assert q.deadline.isoformat() == "2008-04-30" and q.title("fr") == "Petit"
    assert [i.type for i in q.items] == ["begin_group", "select_one", "text", "end_group", "integer"]
    agree = q.question("agree")
    assert agree.required and agree.group == "g" and agree.choice_names == ("yes", "no")
    assert agree.hints == {"en": "Pick one", "fr": "Choisir"} and agree.row == 3
    assert q.question("why").constraint_messages["fr"] == "Trop long"
    assert not q.question("staff").required and q.question("staff").group is None
    assert q.position("agreed").base == "respondents" and q.codes[0].questions == ("why",)


def test_plain_label_is_the_default_language_and_short_headers_work(tmp_path):
    text = """
settings: {form_id: f, version: '1', default_language: fr}
survey:
- {type: select_one yn, name: ok, label: "D'accord ?", "label::en": "Agree?"}
choices:
- {list_name: yn, name: 'no', label: Non, "label::English": 'No'}
"""
    q = load_questionnaire(_write_yaml(tmp_path, text))
    assert q.languages == ("fr", "en")
    assert q.question("ok").labels == {"fr": "D'accord ?", "en": "Agree?"}
    assert q.question("ok").choice_names == ("no",)  # 'no' stays text, not a YAML boolean


@pytest.mark.parametrize(
    "row, code, column, fragment",
    [
        ({"type": "text", "name": "q1", EN: "x"}, "name_like_cell", "name", "cell address"),
        ({"type": "text", "name": "ok", EN: "x", "required": "maybe"}, "bad_required", "required", "neither yes nor no"),
        ({"type": "select_one", "name": "ok", EN: "x"}, "empty_choice_list", "type", "names no choice list"),
        ({"type": "end_group", "name": ""}, "unbalanced_group", "type", "closes no group"),
        ({"type": "", "name": "ok", EN: "x"}, "missing_type", "type", "no type"),
        ({"type": "text", "name": "ok", EN: "x", "hint::English (en)": "h", "label::Français (fr)": "y"},
         "missing_translation", "hint::Français (fr)", "hint"),
        ({"type": "integer", "name": "ok", EN: "x", "constraint": "(" * 3000 + ". > 1" + ")" * 3000},
         "bad_expression", "constraint", "nested more than"),
        ({"type": "integer", "name": "ok", EN: "x", "relevant": ". < 1" + "0" * 5000},
         "bad_expression", "relevant", "5001 characters long"),
    ],
)
def test_single_mistakes(tmp_path, row, code, column, fragment):
    sheets = {"settings": {"form_id": "f", "version": "1"}, "survey": [row]}
    _, problems = check_questionnaire(_write_xlsx(tmp_path, sheets))
    assert [(p.code, p.row, p.column) for p in problems] == [(code, 2, column)]
    assert fragment in problems[0].message
    assert len(problems[0].message) < 600, "a long expression is quoted cut short: the cell is named anyway"


def test_code_positions_and_their_mistakes(tmp_path):
    sheets = {
        "settings": {"form_id": "f", "version": "1"},
        "survey": [{"type": "text", "name": "why", EN: "Why"}, {"type": "integer", "name": "n", EN: "N"}],
        "codes": [{"code": "cost", EN: "Cost", "questions": "why"}, {"code": "num", EN: "Num", "questions": "n"}],
        "positions": [{"name": "cost_cited", EN: "cited cost", "question": "why", "codes": "cost"},
                      {"name": "bad", EN: "bad", "question": "why", "codes": "speed"}],
    }
    _, problems = check_questionnaire(_write_xlsx(tmp_path, sheets))
    assert _located(problems) == {("code_not_text_question", "codes", 3, "questions"),
                                  ("position_unknown_code", "positions", 3, "codes")}
    sheets["codes"].pop()
    sheets["positions"].pop()
    q = load_questionnaire(_write_xlsx(tmp_path, sheets, "ok.xlsx"))
    assert q.position("cost_cited").codes == ("cost",) and q.position("cost_cited").choices == ()


def test_unreadable_files_are_problems_or_errors_never_tracebacks(tmp_path):
    with pytest.raises(MigqError, match="no such file"):
        check_questionnaire(tmp_path / "missing.yaml")
    with pytest.raises(MigqError, match="folder"):
        check_questionnaire(tmp_path)
    cases = {
        "bad.yaml": ("settings: [\n  - a: b\n survey: x\n", "bad_yaml"),
        "list.yaml": ("- just\n- a list\n", "not_a_definition"),
        "rows.yaml": ("survey: [plain text]\nsettings: {form_id: f, version: '1'}\n", "not_a_definition"),
        "fake.xlsx": ("this is not a zip file", "not_a_definition"),
        "form.csv": ("type,name\n", "not_a_definition"),
        "old.xls": ("whatever", "not_a_definition"),
    }
    for name, (content, code) in cases.items():
        questionnaire, problems = check_questionnaire(_write_yaml(tmp_path, content, name))
        assert questionnaire is None and code in {p.code for p in problems}, name
    _, problems = check_questionnaire(_write_yaml(tmp_path, "settings: [\n  - a: b\n survey: x\n", "bad.yaml"))
    assert problems[0].row == 2 and "line 2" in problems[0].message
    (tmp_path / "latin1.yaml").write_bytes("survey: caf\xe9\n".encode("latin-1"))
    assert [p.code for p in check_questionnaire(tmp_path / "latin1.yaml")[1]] == ["not_a_definition"]


ROW = "{type: text, name: a, label: A}"


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("lols: &lol [lol, lol]\nsettings: {form_id: *lol, version: '1'}\nsurvey: [" + ROW + "]\n",
         2, "uses YAML aliases (&/*), which are not allowed: write the values out (line 2, column 21)"),
        ("settings: {form_id: f, version: '1'}\nsurvey: [{type: text, name: a, label: " + "[" * 900 + "A"
         + "]" * 900 + "}]\n", 2, "nested more than 20 deep"),
        ("settings: {form_id: f, version: '1'}\nsurvey:\n- {type: text, name: a,\n   name: b, label: A}\n",
         4, "the key 'name' appears twice in one mapping: keep one (line 4, column 4)"),
        ("settings: {form_id: f, version: '1'}\nsurvey: [{type: text, name: \"\\uD800x\", label: A}]\n",
         2, "'\\ud800x' holds an escape that stands for no character"),
    ],
    ids=["aliases", "deep", "duplicate_key", "lone_surrogate"],
)
def test_yaml_a_definition_never_needs_is_refused_and_located(tmp_path, text, line, fragment):
    questionnaire, problems = check_questionnaire(_write_yaml(tmp_path, text))
    assert questionnaire is None
    assert [(p.code, p.row) for p in problems] == [("bad_yaml", line)]
    assert fragment in problems[0].message
    problems[0].render().encode("utf-8")  # printable as it is


def test_missing_sheets_and_columns(tmp_path):
    _, problems = check_questionnaire(_write_yaml(tmp_path, "choices: []\n"))
    assert _located(problems) == {("missing_sheet", "survey", None, None), ("missing_sheet", "settings", None, None)}
    text = "settings: {form_id: f, version: '1'}\nsurvey:\n- {kind: text, name: a}\n"
    _, problems = check_questionnaire(_write_yaml(tmp_path, text, "cols.yaml"))
    assert ("missing_column", "survey", 1, "type") in _located(problems)


def test_round_trip_yaml_to_xlsx_gives_an_equal_model(tmp_path):
    path = _write_yaml(tmp_path, yaml.safe_dump(SMALL, allow_unicode=True))
    original = load_questionnaire(path)
    out = write_xlsform(path, tmp_path / "out.xlsx")
    again = load_questionnaire(out)
    assert replace(again, source=None) == replace(original, source=None)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["survey", "choices", "settings", "positions", "codes"]
    assert wb["survey"]["C1"].value == "label::English (en)"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    q = load_questionnaire(_write_xlsx(tmp_path, SMALL))
    items = list(q.items)
    items[4] = replace(items[4], labels={"en": "=1+1", "fr": "=2+2"})
    q = replace(q, items=tuple(items))
    out = write_xlsform(q, tmp_path / "formula.xlsx")
    assert load_questionnaire(out).question("staff").labels == {"en": "=1+1", "fr": "=2+2"}


def test_questionnaire_to_dict_is_json_ready(tmp_path):
    import json

    q = load_questionnaire(_write_xlsx(tmp_path, SMALL))
    data = json.loads(json.dumps(questionnaire_to_dict(q)))
    assert data["deadline"] == "2008-04-30" and data["languages"] == ["en", "fr"]
    assert data["items"][1]["choices"][0] == {"name": "yes", "labels": {"en": "Yes", "fr": "Oui"}}
    assert data["positions"][0]["choices"] == ["yes"]
    assert isinstance(q, Questionnaire)


def test_implied_default_language_and_the_documented_example(tmp_path):
    text = "settings: {form_id: f, version: '1'}\nsurvey:\n- {type: text, name: a, 'label::Français (fr)': A}\n"
    assert load_questionnaire(_write_yaml(tmp_path, text)).default_language == "fr"
    docs = (Path(__file__).resolve().parents[1] / "docs" / "questionnaires.md").read_text(encoding="utf-8")
    example = docs.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    q = load_questionnaire(_write_yaml(tmp_path, example, "example.yaml"))
    assert q.languages == ("en", "fr") and q.position("has_unit").choices == ("yes",)
