"""The roster of recipients and the contacts reader."""

from __future__ import annotations

import csv
import importlib.util
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from migq.contacts_file import split_addresses
from migq.errors import MigqError, UsageError
from migq.registry import (
    GROUPS, ROSTER_COLUMNS, Contact, correspondence_language, load_roster, read_contacts,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def roster():
    return load_roster()


# --- the roster ---------------------------------------------------------------------------


def test_193_members_and_2_observers(roster):
    assert len(roster) == 195
    assert Counter(r.status for r in roster) == {"member": 193, "observer": 2}
    assert {r.iso3 for r in roster if not r.is_member} == {"VAT", "PSE"}
    assert [r.iso3 for r in roster.recipients] == sorted(r.iso3 for r in roster)
    assert len({r.m49 for r in roster}) == 195


def test_sample_facts(roster):
    fra = roster.get("FRA")
    assert (fra.m49, fra.group, fra.language, fra.region) == (250, "Western European and others", "fr", "Europe")
    mex = roster.get("mex")
    assert (mex.m49, mex.language, mex.group) == (484, "es", "Latin American and Caribbean")
    assert roster.get("CHN").name("zh") == "中国"
    assert roster.get("FRA").name("es") == "Francia"
    assert roster.get("VAT").status == "observer" and roster.get("VAT").group is None
    assert roster.get("PSE").status == "observer" and roster.get("PSE").group == "Asia-Pacific"
    ssd = roster.get("SSD")
    assert (ssd.region, ssd.intermediate_region) == ("Africa", "Eastern Africa")
    assert roster.get("NRU").name() == "Nauru"
    assert roster.get("USA").group is None and "observer" in roster.get("USA").group_note
    assert "2010" in roster.get("KIR").group_note and roster.get("KIR").group == "Asia-Pacific"
    assert roster.get("TUR").group == "Western European and others"


def test_names_in_six_languages_and_regions_for_all(roster):
    for r in roster:
        assert set(r.names) == {"ar", "zh", "en", "fr", "ru", "es"}
        assert all(name.strip() for name in r.names.values()), r.iso3
        assert r.region in {"Africa", "Americas", "Asia", "Europe", "Oceania"}
        assert r.language in {"en", "fr", "es"}


def test_regional_group_counts(roster):
    members = Counter(r.group for r in roster if r.is_member)
    assert members == {
        "African": 54, "Asia-Pacific": 54, "Eastern European": 23,
        "Latin American and Caribbean": 33, "Western European and others": 28, None: 1,
    }
    assert set(GROUPS) == {g for g in members if g}


def test_language_rule(roster):
    spanish = {r.iso3 for r in roster if r.language == "es"}
    assert {"ESP", "GNQ", "ARG", "CUB"} <= spanish and "BRA" not in spanish
    french = {r.iso3 for r in roster if r.language == "fr"}
    assert {"FRA", "SEN", "HTI", "COD", "LUX", "MCO"} <= french and "CAN" not in french


def test_get_unknown_code_suggests(roster):
    with pytest.raises(MigqError) as err:
        roster.get("FRN")
    assert "'FRN' is not the ISO3 code of a recipient" in str(err.value)
    assert "migq recipients list" in str(err.value) and "FRA (France)" in str(err.value)
    with pytest.raises(MigqError, match="FRA"):
        roster.get("France")


@pytest.mark.parametrize("text, iso3", [
    ("fra", "FRA"), ("250", "FRA"), ("france", "FRA"), ("Francia", "FRA"), ("法国", "FRA"),
    ("cote d’ivoire", "CIV"), ("Côte d'Ivoire", "CIV"), ("MEXICO", "MEX"), ("the Holy See", "VAT"),
    ("Turkey", "TUR"), ("Türkiye", "TUR"), ("État de Palestine", "PSE"), ("Германия", "DEU"),
])
def test_find_is_tolerant(roster, text, iso3):
    assert roster.find(text).iso3 == iso3


def test_find_unknown_is_none(roster):
    assert roster.find("Atlantis") is None and roster.find("999") is None and roster.find(None) is None


def test_filter(roster):
    assert len(roster.filter(region="africa")) == 54
    assert len(roster.filter(region="Western Africa")) == 16
    assert len(roster.filter(group="weog")) == 28
    assert len(roster.filter(group="GRULAC")) == 33
    assert len(roster.filter(group="asia-pacific")) == 55  # 54 members + State of Palestine
    assert [r.iso3 for r in roster.filter(group="apg", status="observer")] == ["PSE"]
    assert len(roster.filter(region="Europe", group="Eastern European")) == 20
    with pytest.raises(UsageError, match="not a UN regional group"):
        roster.filter(group="Nordic")
    with pytest.raises(UsageError, match="not an M49 region"):
        roster.filter(region="Atlantis")
    with pytest.raises(UsageError, match="member or observer"):
        roster.filter(status="guest")


def test_to_rows_are_flat_with_stable_columns(roster):
    rows = roster.to_rows()
    assert len(rows) == 195 and all(tuple(r) == ROSTER_COLUMNS for r in rows)
    fra = next(r for r in rows if r["iso3"] == "FRA")
    assert fra["m49"] == 250 and fra["name_fr"] == "France" and fra["group"] == "Western European and others"


def test_load_roster_is_cached():
    assert load_roster() is load_roster()


def _build_module():
    # find_spec of a submodule raises when the parent package is absent: ask for the parent first.
    if importlib.util.find_spec("hdx") is None or importlib.util.find_spec("hdx.location") is None:
        pytest.skip("hdx-python-country is not installed (pip install 'migq[roster]')")
    spec = importlib.util.spec_from_file_location("build_roster", ROOT / "scripts" / "build_roster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_roster_csv_regenerates_identically(tmp_path):
    build = _build_module()
    out = tmp_path / "roster.csv"
    assert build.write_roster(out) == 195
    shipped = ROOT / "migq" / "data" / "roster.csv"
    assert out.read_bytes() == shipped.read_bytes(), "run: python scripts/build_roster.py"
    assert tuple(build.ROSTER_COLUMNS) == ROSTER_COLUMNS


# --- contacts -----------------------------------------------------------------------------


def _write_csv(path: Path, rows, delimiter=",", encoding="utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def test_read_contacts_csv(tmp_path):
    path = _write_csv(tmp_path / "contacts.csv", [
        ["ISO3", "Mission_Email", "focal point email", "CC", "Language", "note"],
        ["fra", "mission@france.example; Desk <desk@france.example>", "", "", "", "whatever"],
        ["", "", "", "", "", ""],
        ["MEX", "onu@mexico.example", "a@sre.example, b@sre.example", "cc@un.example", "English", ""],
    ], encoding="utf-8-sig")
    contacts, problems = read_contacts(path)
    assert problems == []
    assert contacts == [
        Contact("FRA", ("mission@france.example", "Desk <desk@france.example>"), (), (), None),
        Contact("MEX", ("onu@mexico.example",), ("a@sre.example", "b@sre.example"), ("cc@un.example",), "en"),
    ]
    roster = load_roster()
    assert correspondence_language(roster.get("MEX"), contacts[1]) == "en"
    assert correspondence_language(roster.get("FRA"), contacts[0]) == "fr"


def test_read_contacts_semicolon_delimiter(tmp_path):
    path = _write_csv(tmp_path / "c.csv", [["iso3", "mission_email", "language"],
                                           ["SEN", "a@b.sn", "fr"]], delimiter=";")
    contacts, problems = read_contacts(path)
    assert problems == [] and contacts[0].iso3 == "SEN" and contacts[0].language == "fr"


def test_contacts_problems_are_located(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", [
        ["iso3", "mission_email", "focal_point_email", "language"],
        ["FRN", "ok@example.org", "", ""],
        ["DEU", "not an address", "x@y", "de"],
        ["ITA", "a@b.it", "", ""],
        ["ita", "c@d.it", "", ""],
    ])
    contacts, problems = read_contacts(path)
    found = [(p.code, p.file, p.row, p.column) for p in problems]
    assert found == [
        ("unknown_iso3", "bad.csv", 2, "iso3"),
        ("bad_email", "bad.csv", 3, "mission_email"),
        ("bad_email", "bad.csv", 3, "focal_point_email"),
        ("bad_language_code", "bad.csv", 3, "language"),
        ("duplicate_iso3", "bad.csv", 5, "iso3"),
    ]
    assert "FRA (France)" in problems[0].hint
    assert "first at row 4" in problems[-1].message
    assert [c.iso3 for c in contacts] == ["ITA"]


def test_read_contacts_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Iso3", "Mission email", "Language"])
    ws.append(["BRA", "distri@brazil.example", None])
    ws.append(["XXX", "ok@example.org", "pt"])
    wb.save(tmp_path / "contacts.xlsx")
    contacts, problems = read_contacts(tmp_path / "contacts.xlsx")
    assert [c.iso3 for c in contacts] == ["BRA"]
    assert [(p.code, p.row, p.column) for p in problems] == [
        ("unknown_iso3", 3, "Iso3"), ("bad_language_code", 3, "Language")]


def test_contacts_file_that_cannot_be_used(tmp_path):
    no_iso3 = _write_csv(tmp_path / "noiso.csv", [["country", "mission_email"], ["France", "a@b.fr"]])
    with pytest.raises(MigqError, match="no 'iso3' column") as err:
        read_contacts(no_iso3)
    assert "noiso.csv" in str(err.value)
    (tmp_path / "c.txt").write_text("iso3\nFRA\n")
    with pytest.raises(MigqError, match=r"\.csv or \.xlsx"):
        read_contacts(tmp_path / "c.txt")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(MigqError, match="broken.xlsx"):
        read_contacts(tmp_path / "broken.xlsx")
    (tmp_path / "latin1.csv").write_bytes("iso3,cc\nFRA,é\n".encode("latin-1"))
    with pytest.raises(MigqError, match="UTF-8"):
        read_contacts(tmp_path / "latin1.csv")
    with pytest.raises(MigqError, match="no such"):
        read_contacts(tmp_path / "missing.csv")


# --- hostile contacts files: each ends in located problems or one clear error --------------


def test_digit_like_text_is_no_m49_code(roster):
    # '²' passes str.isdigit() but int() refuses it; int() of 5,000 digits raises too.
    for text in ("²", "³²", "9" * 5000, "0" * 5000, "12345"):
        assert roster.find(text) is None
        assert roster.suggest(text) == ""
    assert roster.find("004").iso3 == "AFG" and roster.find("250").iso3 == "FRA"
    assert roster.find("٢٥٠").iso3 == "FRA"  # Arabic-Indic digits are still an M49 code


def test_contacts_with_digit_like_codes_are_problems(tmp_path):
    path = _write_csv(tmp_path / "c.csv", [["iso3", "mission_email"],
                                           ["²", "a@b.example"], ["9" * 5000, "a@b.example"]])
    contacts, problems = read_contacts(path)
    assert contacts == []
    assert [(p.code, p.row, p.column) for p in problems] == [("unknown_iso3", 2, "iso3"),
                                                             ("unknown_iso3", 3, "iso3")]
    assert "(5,000 characters)" in problems[1].message and len(problems[1].message) < 200


def _xlsx_with_damaged_sheet(path: Path) -> Path:
    """A workbook that opens, but whose sheet has a cell pointing to a missing shared string."""
    import io
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["iso3", "mission_email"])
    wb.active.append(["FRA", "a@b.example"])
    good = io.BytesIO()
    wb.save(good)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>",
                                    b'<row r="7"><c r="A7" t="s"><v>999</v></c></row></sheetData>')
            zout.writestr(name, data)
    return path


def test_xlsx_without_worksheet_or_with_damaged_sheet_is_one_error(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.chart import BarChart

    wb = openpyxl.Workbook()
    wb.create_chartsheet("Chart").add_chart(BarChart())
    wb.remove(wb["Sheet"])
    wb.save(tmp_path / "chart_only.xlsx")
    with pytest.raises(MigqError, match="no worksheet") as err:
        read_contacts(tmp_path / "chart_only.xlsx")
    assert "chart_only.xlsx" in str(err.value)
    # read-only sheets are parsed after load_workbook(), so the damage shows only then
    with pytest.raises(MigqError, match="cannot open this workbook") as err:
        read_contacts(_xlsx_with_damaged_sheet(tmp_path / "damaged.xlsx"))
    assert "damaged.xlsx" in str(err.value)


# The former splitter: right, but its look-ahead rescanned the rest of the cell for every
# separator (a 130,000-character cell took minutes). The new one must split the same way.
LOOKAHEAD_SEPARATOR_RE = re.compile(r'[;,](?=(?:[^"]*"[^"]*")*[^"]*$)')


def test_address_splitting_is_unchanged_and_linear():
    from migq.contacts_file import _split_outside_quotes

    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice('a;,"< >@.') for _ in range(rng.randrange(0, 14)))
        assert _split_outside_quotes(text) == LOOKAHEAD_SEPARATOR_RE.split(text), text
    long_cell = ',"' * 4900  # every other ',' stands between a pair of quotes
    assert _split_outside_quotes(long_cell) == [""] + ['","'] * 2450
    assert split_addresses('"Desk, Mission" <desk@x.org>; a@y.org') == (
        ('"Desk, Mission" <desk@x.org>', "a@y.org"), [])
    # nested comments or groups make the standard e-mail parser recurse too deep
    assert split_addresses("(" * 3000) == ((), ["(" * 3000])
    assert split_addresses("a:" * 3000) == ((), ["a:" * 3000])


def test_overlong_address_cell_is_a_located_problem(tmp_path):
    path = _write_csv(tmp_path / "c.csv", [["iso3", "mission_email", "cc"],
                                           ["FRA", "a@b.example", ',"' * 6000]])
    contacts, problems = read_contacts(path)
    assert contacts == []
    assert [(p.code, p.row, p.column) for p in problems] == [("bad_email", 2, "cc")]
    assert "12,000 characters" in problems[0].message and "at most 10,000" in problems[0].hint


def test_many_bad_rows_keep_the_first_problems_and_count_the_rest(tmp_path, monkeypatch):
    from migq.contacts_file import PROBLEMS_KEPT
    from migq.registry import Roster

    suggest = Roster.suggest
    calls = []
    monkeypatch.setattr(Roster, "suggest", lambda self, text: calls.append(text) or suggest(self, text))
    path = _write_csv(tmp_path / "c.csv", [["iso3", "mission_email"]]
                      + [["FRN", "a@b.example"]] * (PROBLEMS_KEPT + 50))
    contacts, problems = read_contacts(path)
    assert contacts == [] and len(problems) == PROBLEMS_KEPT and problems.left_out == 50
    assert len(calls) == PROBLEMS_KEPT  # no difflib for problems nobody will see
    assert "FRA (France)" in problems[-1].hint
