"""`migq questionnaire check|show|xlsform` through the real CLI app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from migq.cli import app
from migq.xlsform import load_questionnaire

runner = CliRunner()

BROKEN = """
settings: {version: '1'}
survey:
- {type: select_one colours, name: colour, label: Colour}
- {type: text, name: colour, label: Again, relevant: "${ghost} = 'x'"}
- {type: bogus, name: what, label: What}
"""


def _run(*args):
    return runner.invoke(app, list(args))


def test_check_bundled_is_ok():
    result = _run("questionnaire", "check")
    assert result.exit_code == 0, result.output
    assert "OK: 16 questions, 15 positions, languages en fr es" in result.output


def test_check_lists_every_mistake_in_one_table_and_fails(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = _run("questionnaire", "check", str(path))
    assert result.exit_code == 1
    out = result.output
    for fragment in ("sheet", "fix", "settings has no 'form_id'", "choice list 'colours'",
                     "used twice (first at row 2)", "names 'ghost'", "unknown question type 'bogus'"):
        assert fragment in out, fragment
    assert "Traceback" not in out


def test_texts_from_the_file_are_printed_as_they_are(tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text("settings: {form_id: f, version: '1'}\nsurvey: [{type: text, name: a, 'label::[/x]': A}]\n",
                    encoding="utf-8")
    result = _run("questionnaire", "check", str(path))
    assert result.exit_code == 0, result.output
    assert "languages [/x]" in result.output
    result = _run("questionnaire", "show", str(path))
    assert result.exit_code == 0, result.output
    assert "languages [/x]" in result.output


def test_check_lone_surrogate_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "surrogate.yaml"
    path.write_text('settings: {form_id: f, version: "1"}\nsurvey: [{type: text, name: "\\uD800x", label: a}]\n',
                    encoding="utf-8")
    result = _run("questionnaire", "check", str(path))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "stands for no character" in result.output


def test_check_missing_file_is_one_error_line(tmp_path):
    result = _run("questionnaire", "check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "Error:" in result.output and "no such file" in result.output


def test_show_outline_in_french():
    result = _run("questionnaire", "show", "--lang", "fr")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Le Forum mondial devrait-il être la seule activité de suivi" in out
    assert "good_outcome: Oui, le Forum est un bon résultat du Dialogue" in out
    assert "[select_multiple] modalities" in out and "only if selected(${modalities}, 'other')" in out
    assert "Positions" in out and "modality_ga_agenda_item" in out


def test_show_json_is_the_model():
    result = _run("questionnaire", "show", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["form_id"] == "hld-followup" and data["languages"] == ["en", "fr", "es"]
    assert len(data["positions"]) == 15


def test_show_usage_errors_exit_2():
    assert _run("questionnaire", "show", "--lang", "de").exit_code == 2
    assert _run("questionnaire", "show", "--format", "xml").exit_code == 2


def test_show_broken_definition_fails_cleanly(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = _run("questionnaire", "show", str(path))
    assert result.exit_code == 1 and "mistakes" in result.output


def test_xlsform_writes_a_workbook_that_loads_back(tmp_path):
    out = tmp_path / "hld.xlsx"
    result = _run("questionnaire", "xlsform", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    assert load_questionnaire(out).key == "hld-followup-2008"
    assert _run("questionnaire", "xlsform", "-o", str(tmp_path / "hld.txt")).exit_code == 2


def test_help_texts():
    result = _run("questionnaire", "--help")
    assert result.exit_code == 0
    for command in ("check", "show", "xlsform"):
        assert command in result.output
