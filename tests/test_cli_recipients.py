"""`migq recipients list` and `migq recipients import`, through the real CLI app."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migq.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_list_table_has_all_recipients_and_a_count():
    result = run("recipients", "list")
    assert result.exit_code == 0, result.output
    assert "195 recipients (193 members, 2 observers)" in result.output
    assert "France" in result.output and "Holy See" in result.output


def test_list_filters_are_case_insensitive_and_accept_aliases():
    result = run("recipients", "list", "--group", "weog")
    assert result.exit_code == 0 and "28 recipients" in result.output
    assert "Germany" in result.output and "Brazil" not in result.output
    result = run("recipients", "list", "--region", "africa", "--lang", "fr")
    assert "54 recipients" in result.output and "Sénégal" in result.output
    result = run("recipients", "list", "--status", "observer")
    assert "2 recipients (0 members, 2 observers)" in result.output


def test_list_csv_to_stdout():
    result = run("recipients", "list", "--group", "GRULAC", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert len(rows) == 33 and rows[0]["iso3"] == "ARG"
    mex = next(r for r in rows if r["iso3"] == "MEX")
    assert (mex["m49"], mex["language"], mex["name_es"]) == ("484", "es", "México")


def test_list_json_to_stdout():
    result = run("recipients", "list", "--status", "observer", "--format", "json")
    rows = json.loads(result.stdout)
    assert [(r["iso3"], r["status"], r["m49"]) for r in rows] == [("PSE", "observer", 275), ("VAT", "observer", 336)]
    assert rows[1]["name_zh"] and rows[0]["group"] == "Asia-Pacific"


@pytest.mark.parametrize("args, option", [
    (("--group", "Nordic"), "--group"), (("--region", "Atlantis"), "--region"),
    (("--status", "guest"), "--status"), (("--format", "pdf"), "--format"), (("--lang", "de"), "--lang"),
])
def test_list_bad_option_is_a_usage_error(args, option):
    result = run("recipients", "list", *args)
    assert result.exit_code == 2
    assert option in result.output


def _contacts_csv(tmp_path: Path, rows) -> Path:
    path = tmp_path / "contacts.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_import_with_problems_lists_them_and_stores_nothing(tmp_path):
    db = tmp_path / "migq.db"
    path = _contacts_csv(tmp_path, [["iso3", "mission_email"], ["FRN", "a@b.fr"], ["DEU", "nope"]])
    result = run("recipients", "import", str(path), "--db", str(db))
    assert result.exit_code == 1
    assert "FRN" in result.output and "nope" in result.output and "mission_email" in result.output
    assert "nothing imported" in result.output
    assert not db.exists()


def test_import_lists_the_first_problems_and_counts_the_rest(tmp_path):
    from migq.contacts_file import PROBLEMS_KEPT

    db = tmp_path / "migq.db"
    path = _contacts_csv(tmp_path, [["iso3", "mission_email"]] + [["ZZZ", "a@b.example"]] * (PROBLEMS_KEPT + 7))
    result = run("recipients", "import", str(path), "--db", str(db))
    assert result.exit_code == 1
    assert result.output.count("ZZZ") == PROBLEMS_KEPT
    assert "and 7 more problem(s) not shown" in result.output
    assert f"{PROBLEMS_KEPT + 7} problem(s); nothing imported" in result.output
    assert not db.exists()


def test_import_unusable_file_is_one_error_line(tmp_path):
    (tmp_path / "contacts.txt").write_text("iso3\nFRA\n")
    result = run("recipients", "import", str(tmp_path / "contacts.txt"), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 1
    assert "Error:" in result.output and "contacts.txt" in result.output and "Traceback" not in result.output


def test_import_stores_contacts(tmp_path):
    pytest.importorskip("migq.store.contacts")
    from migq.store import open_store
    from migq.store.contacts import load_contacts

    db = tmp_path / "migq.db"
    path = _contacts_csv(tmp_path, [
        ["iso3", "mission_email", "focal_point_email", "language"],
        ["FRA", "mission@france.example", "a@france.example; b@france.example", ""],
        ["MEX", "onu@mexico.example", "", "en"],
    ])
    result = run("recipients", "import", str(path), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "Imported 2 contacts" in result.output
    with open_store(str(db)) as store:
        stored = load_contacts(store)
    assert stored["FRA"].focal_point_emails == ("a@france.example", "b@france.example")
    assert stored["MEX"].language == "en" and stored["FRA"].language is None
