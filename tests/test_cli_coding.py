"""migq code export/import/agreement/adjudicate and migq export, through the command line."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pyreadstat
import pytest

from migq.cli import app
from migq.cli import coding_cmd  # noqa: F401  (registers 'code' and 'export' until the lead wires it)
from storetools import add_reply, register_questionnaire, sample_questionnaire


@pytest.fixture
def workspace(store, db_url):
    qid = register_questionnaire(store, sample_questionnaire())
    for iso3, text in (("FRA", "Regional consultations"), ("DEU", "=SUM(A1)"), ("ITA", "None")):
        add_reply(store, qid, iso3, {"agenda": "yes", "topics": "remit", "comments": text}, date(2008, 4, 2))
    return db_url


def code(path, values):
    wb = openpyxl.load_workbook(path)
    ws = wb["Coding"]
    for row in ws.iter_rows(min_row=2):
        row[5].value = values[row[1].value.split()[0]]
    wb.save(path)


def test_code_round_trip_agreement_and_adjudication(runner, workspace, tmp_path):
    db = ["--db", workspace]
    for coder, values in (("alice", {"FRA": 1, "DEU": 0, "ITA": 0}), ("bob", {"FRA": 1, "DEU": 1, "ITA": 0})):
        sheet = tmp_path / f"{coder}.xlsx"
        result = runner.invoke(app, ["code", "export", "--coder", coder, "-o", str(sheet), "--as-of", "2008-06-30", *db])
        assert result.exit_code == 0, result.output
        assert "3 answers" in result.output
        code(sheet, values)
        result = runner.invoke(app, ["code", "import", str(sheet), "--coder", coder, *db])
        assert result.exit_code == 0, result.output
        assert "3 new decisions" in result.output
    result = runner.invoke(app, ["code", "agreement", "--format", "json", *db])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["coders"] == ["alice", "bob"] and report["double_coded_share"] == 1.0
    assert report["disagreements"] == [{"submission_id": 2, "iso3": "DEU", "question": "comments",
                                        "code": "regional", "said": {"alice": False, "bob": True}}]
    table = runner.invoke(app, ["code", "agreement", *db])
    assert table.exit_code == 0 and "Krippendorff" in table.output and "DEU" in table.output
    result = runner.invoke(app, ["code", "adjudicate", "DEU", "comments", "regional", "--applies", "yes", *db])
    assert result.exit_code == 0, result.output
    adj = tmp_path / "adj.xlsx"
    assert runner.invoke(app, ["code", "export", "--adjudication", "-o", str(adj), *db]).exit_code == 0
    result = runner.invoke(app, ["code", "adjudicate", "--from", str(adj), *db])
    assert result.exit_code == 0, result.output


def test_import_problems_exit_1_with_a_located_table(runner, workspace, tmp_path):
    sheet = tmp_path / "alice.xlsx"
    runner.invoke(app, ["code", "export", "--coder", "alice", "-o", str(sheet), "--db", workspace])
    code(sheet, {"FRA": "perhaps", "DEU": 1, "ITA": 0})
    result = runner.invoke(app, ["code", "import", str(sheet), "--coder", "bob", "--db", workspace])
    assert result.exit_code == 1
    assert "nothing was stored" in result.output and "perhaps" in result.output and "'alice'" in result.output


def test_usage_errors_exit_2(runner, workspace, tmp_path):
    db = ["--db", workspace]
    assert runner.invoke(app, ["code", "export", "-o", str(tmp_path / "x.xlsx"), *db]).exit_code == 2  # no coder
    assert runner.invoke(app, ["code", "agreement", "--format", "xml", *db]).exit_code == 2
    result = runner.invoke(app, ["code", "export", "--coder", "a", "--question", "agenda", "-o", str(tmp_path / "x.xlsx"), *db])
    assert result.exit_code == 2 and "comments" in result.output
    assert runner.invoke(app, ["code", "adjudicate", "FRA", "comments", "regional", *db]).exit_code == 2
    assert runner.invoke(app, ["export", "-o", str(tmp_path / "x.txt"), *db]).exit_code == 2
    result = runner.invoke(app, ["code", "adjudicate", "FRA", "comments", "nope", "--applies", "no", *db])
    assert result.exit_code == 2 and "regional" in result.output


def test_export_command_every_format(runner, workspace, tmp_path):
    for fmt in ("csv", "xlsx", "parquet", "dta", "sav", "json"):  # format taken from the file name
        out = tmp_path / f"replies.{fmt}"
        result = runner.invoke(app, ["export", "-o", str(out), "--as-of", "2008-06-30", "--labels", "fr",
                                     "--db", workspace])
        assert result.exit_code == 0, result.output
        assert "3 rows" in result.output and out.exists()
    data, info = pyreadstat.read_sav(str(tmp_path / "replies.sav"), apply_value_formats=True)
    assert set(data["agenda"]) == {"Oui"} and info.column_names_to_labels["comments"] == "Observations"


def test_export_long_csv(runner, workspace, tmp_path):
    out = tmp_path / "long.csv"
    result = runner.invoke(app, ["export", "--long", "--format", "csv", "-o", str(out), "--db", workspace])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=SUM(A1)" in text and "\n=" not in text and ",=" not in text


def test_names_from_files_and_people_are_printed_as_written(runner, workspace, tmp_path):
    db = ["--db", workspace]
    sheet = tmp_path / "[red]sheet.xlsx"  # rich would read both names as markup: '[/x]' crashed after storing
    result = runner.invoke(app, ["code", "export", "--coder", "[/x]", "-o", str(sheet), *db])
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.output
    code(sheet, {"FRA": 1, "DEU": 0, "ITA": "maybe"})
    result = runner.invoke(app, ["code", "import", str(sheet), *db])
    assert result.exit_code == 1 and not isinstance(result.exception, Exception)  # a located table, no crash
    assert "Problems in [red]sheet.xlsx" in result.output
    code(sheet, {"FRA": 1, "DEU": 0, "ITA": 0})
    result = runner.invoke(app, ["code", "import", str(sheet), *db])
    assert result.exit_code == 0, result.output
    assert "[red]sheet.xlsx: 3 coded answers from [/x];" in result.output
    bob = tmp_path / "bob.xlsx"
    runner.invoke(app, ["code", "export", "--coder", "bob", "-o", str(bob), *db])
    code(bob, {"FRA": 0, "DEU": 0, "ITA": 0})
    assert runner.invoke(app, ["code", "import", str(bob), *db]).exit_code == 0
    result = runner.invoke(app, ["code", "agreement", *db])
    assert result.exit_code == 0, result.output
    assert "Coders: [/x], bob." in result.output and "[/x]" in result.output.split("Disagreements")[1]


def test_a_coders_sheet_relabelled_final_is_not_adjudication(runner, workspace, tmp_path):
    db = ["--db", workspace]
    sheet = tmp_path / "alice.xlsx"
    runner.invoke(app, ["code", "export", "--coder", "alice", "-o", str(sheet), *db])
    code(sheet, {"FRA": 1, "DEU": 0, "ITA": 0})
    wb = openpyxl.load_workbook(sheet)
    wb["_migq"]["B3"] = "final"
    wb.save(sheet)
    result = runner.invoke(app, ["code", "adjudicate", "--from", str(sheet), *db])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "alice.xlsx" in result.output and "was altered" in result.output and "role" in result.output
    result = runner.invoke(app, ["code", "export", "--adjudication", "-o", str(tmp_path / "adj.xlsx"), *db])
    assert result.exit_code == 1 and "no disagreement or coded answer" in result.output  # nothing was stored
