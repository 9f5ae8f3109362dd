"""The README's first command: `migq demo` replays 2008 and reproduces the published figures."""

from __future__ import annotations

import json

import pytest

from migq.cli import app


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("demo") / "ws"
    result = CliRunner().invoke(app, ["demo", "--folder", str(folder)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_demo_report_equals_the_published_figures(demo_folder, runner):
    folder, output = demo_folder
    report = runner.invoke(app, ["report", "--db", str(folder / "migq.db"), "--as-of", "2008-07-15", "--format", "json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["respondents"]["member_states"] == 64 and data["respondents"]["observers"] == 0
    positions = {p["name"]: p for p in data["positions"]}
    assert positions["gfmd_no_position_or_not_formal"]["count"] == 3
    assert positions["gfmd_good_outcome"]["count"] == 61
    assert positions["gfmd_sole_followup"]["count"] == 11
    assert positions["gfmd_sole_followup"]["sentence"].startswith("One State in six (11 of 64")
    assert positions["followup_within_un"]["count"] > 32
    assert "Almost all States (61 of 64 respondents)" in output
    assert "Only three States (3 of 64 respondents)" in output


def test_demo_replays_the_accidents_of_real_life(demo_folder, runner):
    folder, output = demo_folder
    assert "1 duplicate" in output and "1 revision accepted" in output and "1 rejected" in output
    assert "rejected as expected" in output and "unknown-sender-broken.xlsx" in output
    by_map_date = runner.invoke(app, ["report", "--db", str(folder / "migq.db"), "--as-of", "2008-06-30", "--format", "json"])
    data = json.loads(by_map_date.output)
    assert 0 < data["respondents"]["total"] < 64, "fewer replies by the 30 June map date"
    assert data["late"] > 0
    png = folder / "map-2008-06-30.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_refuses_a_folder_in_use(tmp_path, runner):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["demo", "--folder", str(tmp_path)])
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
