"""`migq report` and `migq map` through the real CLI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import json

import pytest
from typer.testing import CliRunner

from migq.cli import app
from storetools import send_three_with_two_replies

runner = CliRunner()


@pytest.fixture
def workspace(store, db_url):
    send_three_with_two_replies(store)
    return db_url


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_report_table_is_the_default(workspace):
    result = invoke("report", "--as-of", "2008-07-15", "--db", workspace)
    assert result.exit_code == 0, result.output
    assert "As at 15 July 2008, one Member State (1% of 193) had replied to the questionnaire." in result.output
    assert "Positions" in result.output


def test_report_json_to_stdout_and_as_of(workspace):
    result = invoke("report", "--as-of", "2008-07-16", "--format", "json", "--db", workspace, "--lang", "fr")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["respondents"]["total"] == 2 and data["lang"] == "fr"
    assert data["questionnaire"]["form_id"] == "hld-followup"


CHECKS = {
    "r.xlsx": lambda p: p.read_bytes()[:2] == b"PK",
    "r.docx": lambda p: p.read_bytes()[:2] == b"PK",
    "r.md": lambda p: p.read_text(encoding="utf-8").startswith("# "),
    "r.html": lambda p: "<!DOCTYPE html>" in p.read_text(encoding="utf-8"),
    "r.csv": lambda p: p.read_text(encoding="utf-8-sig").startswith("table,title"),
    "r.json": lambda p: json.loads(p.read_text(encoding="utf-8"))["as_of"] == "2008-07-15",
    "r.txt": lambda p: "As at 15 July 2008" in p.read_text(encoding="utf-8"),
}


def test_format_inferred_from_the_output_suffix(workspace, tmp_path, monkeypatch):
    import migq.render.cells as cells

    # The map is exercised in test_render; here only the file format matters.
    monkeypatch.setattr(cells, "response_map", lambda report, fmt="svg": (None, "skipped in this test."))
    for module in ("migq.render.html", "migq.render.docx"):
        monkeypatch.setattr(importlib.import_module(module), "response_map", cells.response_map)
    for name, check in CHECKS.items():
        out = tmp_path / name
        result = invoke("report", "--as-of", "2008-07-15", "-o", str(out), "--by", "group", "--db", workspace)
        assert result.exit_code == 0, result.output
        assert check(out), name


def test_usage_errors_exit_2(workspace, tmp_path):
    result = invoke("report", "--format", "xlsx", "--db", workspace)
    assert result.exit_code == 2 and "-o report.xlsx" in result.output
    assert invoke("report", "--format", "pdf", "--db", workspace).exit_code == 2
    assert invoke("report", "-o", str(tmp_path / "r.pdf"), "--db", workspace).exit_code == 2
    assert invoke("report", "--as-of", "15/07/2008", "--db", workspace).exit_code == 2
    assert invoke("report", "--lang", "de", "--db", workspace).exit_code == 2
    bad_by = invoke("report", "--by", "colour", "--db", workspace)
    assert bad_by.exit_code == 2 and "--by colour" in bad_by.output


def test_unknown_questionnaire_is_one_error_line(workspace):
    result = invoke("report", "--questionnaire", "nope:1", "--db", workspace)
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output


def test_map_command_writes_svg(workspace, tmp_path):
    pytest.importorskip("migq.render.map")
    out = tmp_path / "map.svg"
    result = invoke("map", "--as-of", "2008-07-15", "-o", str(out), "--replied-color", "#777777",
                    "--db", workspace)
    assert result.exit_code == 0, result.output
    assert "1 recipients had replied" in result.output
    svg = out.read_text(encoding="utf-8")
    assert 'id="FRA"' in svg and "#777777" in svg
    assert invoke("map", "-o", str(out), "--replied-color", "notacolour", "--db", workspace).exit_code == 2


def test_send_fill_ingest_report_end_to_end(runner, db_url, tmp_path):
    """The whole chain on real files: the report counts what the ingest stored."""
    from formtools import fill_form

    out, inbox = tmp_path / "outbox", tmp_path / "responses"
    sent = invoke("send", "--db", db_url, "-o", str(out), "--sent-on", "2008-03-18", "--to", "FRA,MEX,DEU")
    assert sent.exit_code == 0, sent.output
    inbox.mkdir()
    good = {"gfmd_outcome": "good_outcome", "gfmd_sole_followup": "no", "followup_within_un": "Yes",
            "gfmd_un_link": "more_time", "reply_date": "2008-04-20"}
    for iso3 in ("FRA", "MEX"):
        form = (out / f"{iso3}-hld-followup-2008.xlsx").read_bytes()
        (inbox / f"{iso3}.xlsx").write_bytes(fill_form(form, good))
    ingested = invoke("ingest", str(inbox), "--db", db_url, "--received-on", "2008-04-21")
    assert "Traceback" not in ingested.output
    result = invoke("report", "--as-of", "2008-07-15", "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sent"] == 3 and data["respondents"]["total"] == 2
    outcome = next(p for p in data["positions"] if p["question"] == "gfmd_outcome")
    assert (outcome["count"], outcome["base"]) == (2, 2)
    assert outcome["sentence"].startswith("All States (2 of 2 respondents) considered")
