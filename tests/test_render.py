"""Every output format written from one report and opened back with the tool people use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from migq.questionnaire import Choice
from migq.render import csvjson, html, markdown, table, xlsx
from migq.render import docx as docx_render
from migq.report import build_report
from migq.store import open_store
from storetools import add_coding, add_reply, register_questionnaire, sample_questionnaire, send_forms

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE = "=HYPERLINK(\"http://x\")"


def _questionnaire():
    """The sample, with a choice label a spreadsheet would run as a formula."""
    q = sample_questionnaire()
    agenda = q.question("agenda")
    hostile = replace(agenda, choices=(agenda.choices[0], Choice("no", {"en": HOSTILE, "fr": "Non", "es": "No"})))
    return replace(q, items=tuple(hostile if i.name == "agenda" else i for i in q.items))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    db = tmp_path_factory.mktemp("render") / "migq.db"
    with open_store(db) as store:
        q = _questionnaire()
        qid = register_questionnaire(store, q)
        send_forms(store, qid, ["FRA", "DEU", "VAT", "BRA", "KEN"])
        fra = add_reply(store, qid, "FRA", {"agenda": "yes", "topics": "remit rights"}, date(2008, 4, 2))
        add_coding(store, fra, "comments", "regional")
        add_reply(store, qid, "DEU", {"agenda": "no", "topics": "remit"}, date(2008, 4, 3))
        add_reply(store, qid, "VAT", {"agenda": "bad"}, date(2008, 5, 2), valid={"agenda": False})
        add_reply(store, qid, "KEN", {"agenda": "yes", "topics": "brain"}, date(2008, 4, 29))
        return build_report(store, q, date(2008, 7, 15), by="region", min_cell=2)


def _map_available() -> bool:
    try:
        import migq.render.map  # noqa: F401
    except ImportError:
        return False
    return True


def test_markdown_contains_the_sentences_and_tables(report):
    text = markdown.to_markdown(report)
    assert text.startswith("# Replies to the questionnaire as at 15 July 2008")
    assert report.response_sentence in text
    for p in report.positions:
        assert p.sentence in text
    assert "| Position | Count | Base | Out of | Share | Set aside |" in text
    assert "### Positions by M49 region" in text
    assert "| <2 |" in text


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, int] = {}
        self.tables: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append(attrs.get("data-table"))
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_page(report, tmp_path):
    page = html.to_html(report)
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.tags["style"] >= 1 and "@media print" in page  # the SVG map brings its own
    assert "link" not in parsed.tags and "script" not in parsed.tags and parsed.external == []
    assert parsed.tables[:2] == ["response", "positions"]
    assert "by:question:topics" in parsed.tables
    body = " ".join(parsed.text)
    assert report.positions[0].sentence in body
    if _map_available():
        assert parsed.tags.get("svg") == 1
    else:
        assert "The map is not available" in body
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.html").write_text(page, encoding="utf-8")


def test_html_without_the_map_says_why(report, monkeypatch):
    import migq.render.cells as cells

    monkeypatch.setattr(cells, "response_map", lambda report, fmt="svg": (None, "no map module."))
    monkeypatch.setattr(html, "response_map", cells.response_map)
    page = html.to_html(report)
    assert "<svg" not in page and "The map is not available: no map module." in page


def test_xlsx_one_formatted_sheet_per_table(report, tmp_path):
    from openpyxl import load_workbook

    path = xlsx.write_xlsx(report, tmp_path / "report.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["Summary", "Response", "Positions"]
    assert len(wb.sheetnames) == 1 + len(report.tables())
    assert wb["Summary"]["D1"].value is None and wb["Summary"]["A4"].value == report.response_sentence
    ws = wb["Positions"]
    assert ws.freeze_panes == "A3"
    assert ws["A2"].value == "Position" and ws["A2"].font.bold
    assert ws["E3"].number_format == "0%" and isinstance(ws["E3"].value, float)
    assert isinstance(ws["B3"].value, int)
    assert ws.column_dimensions["A"].width > 20
    question = wb["Q agenda"]
    labels = [c.value for c in question["A"]]
    assert "'" + HOSTILE in labels  # neutralised, so Excel shows text, not a formula
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in question.values for v in row)


def test_docx_headings_sentences_and_tables(report, tmp_path):
    import docx

    path = docx_render.write_docx(report, tmp_path / "report.docx", with_map=_map_available())
    doc = docx.Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == report.heading
    assert report.response_sentence in paragraphs
    assert any(p.startswith(report.positions[0].sentence) for p in paragraphs)
    assert len(doc.tables) == len(report.tables())
    positions = doc.tables[1]
    assert positions.rows[0].cells[0].text == "Position"
    assert positions.rows[1].cells[4].text.endswith("%")
    assert len(doc.inline_shapes) == (1 if _map_available() else 0)


def test_csv_long_format_reads_back_with_pandas(report, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(csvjson.to_csv(report), encoding="utf-8")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(df.columns) == ["table", "title", "row_no", "row", "column", "value"]
    replied = df[(df["table"] == "response") & (df["row_no"] == "5") & (df["column"] == "Number")]
    assert replied["value"].tolist() == [str(report.response.replied)]
    assert set(df["table"]) == {t.key for t in report.tables()}
    assert "'" + HOSTILE in set(df["row"])
    assert not any(v.startswith(("=", "+", "@")) for col in ("row", "value") for v in df[col])


def test_json_round_trips(report):
    d = json.loads(csvjson.to_json(report))
    assert d["respondents"]["total"] == 4 and d["breakdown"]["by"] == "region"


def test_rich_table_text(report):
    text = table.to_text(report)
    assert report.response_sentence in text and "Positions by M49 region" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium is not on PATH (CI installs it)")
def test_html_screenshot_in_headless_chromium(report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.to_html(report), encoding="utf-8")
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
         "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert shot.exists() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    console_errors = [line for line in run.stderr.splitlines()
                      if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
    assert console_errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
