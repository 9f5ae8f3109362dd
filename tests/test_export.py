"""The statistician's export: every format written and read back with its own reader."""

from __future__ import annotations

import csv
import json
from datetime import date

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from migq.export import build_export, build_export_frame, neutralise, stata_name, write_export
from storetools import add_reply, register_questionnaire, sample_questionnaire, send_forms

FORMULA = "=HYPERLINK(\"http://evil\",\"x\")"


@pytest.fixture
def exported(store):
    q = sample_questionnaire()
    qid = register_questionnaire(store, q)
    send_forms(store, qid, ["FRA", "DEU", "ITA", "VAT"])
    add_reply(store, qid, "FRA", {"agenda": "yes", "topics": "remit rights", "comments": FORMULA}, date(2008, 4, 2))
    add_reply(store, qid, "DEU", {"agenda": "no", "topics": "brain", "comments": "+Regional talks"},
              date(2008, 5, 9), valid={"topics": False})
    add_reply(store, qid, "VAT", {"agenda": "yes", "topics": "", "comments": None}, date(2008, 4, 20))
    add_reply(store, qid, "ITA", {"agenda": "no"}, date(2008, 7, 1))  # after the as-of date
    return store, qid


def test_wide_frame(exported):
    store, qid = exported
    frame = build_export_frame(store, qid, date(2008, 6, 30))
    assert list(frame["iso3"]) == ["DEU", "FRA", "VAT"]
    assert list(frame.columns[:11]) == ["iso3", "m49", "name", "region", "subregion", "group", "status",
                                        "version", "received_on", "late", "n_invalid"]
    by = frame.set_index("iso3")
    assert by.at["FRA", "agenda"] == "yes" and by.at["FRA", "topics__remit"] == 1 and by.at["FRA", "topics__brain"] == 0
    assert pd.isna(by.at["DEU", "topics__remit"]) and by.at["DEU", "n_invalid"] == 1  # set aside: blank
    assert by.at["DEU", "late"] and not by.at["FRA", "late"]
    assert by.at["VAT", "status"] == "observer" and by.at["VAT", "m49"] == 336
    assert by.at["FRA", "received_on"] == date(2008, 4, 2)
    french = build_export_frame(store, qid, date(2008, 6, 30), labels="fr").set_index("iso3")
    assert french.at["FRA", "agenda"] == "Oui" and french.at["DEU", "name"] == "Allemagne"


def test_long_frame(exported):
    store, qid = exported
    frame = build_export_frame(store, qid, date(2008, 6, 30), long=True)
    fra = frame[frame["iso3"] == "FRA"].set_index("question")
    assert list(fra.index) == ["agenda", "topics", "comments"]  # questionnaire order
    assert fra.at["topics", "value"] == "remit rights"
    deu = frame[frame["iso3"] == "DEU"].set_index("question")
    assert deu.at["topics", "value"] is None and not deu.at["topics", "valid"]
    labelled = build_export_frame(store, qid, date(2008, 6, 30), long=True, labels="es")
    assert "Remesas; Derechos" in set(labelled["value"])


def test_every_format_reads_back_with_labels(exported, tmp_path):
    store, qid = exported
    frame, meta = build_export(store, qid, date(2008, 6, 30))
    paths = {fmt: write_export(frame, meta, tmp_path / f"out.{fmt}", fmt)
             for fmt in ("csv", "xlsx", "parquet", "dta", "sav", "json")}
    assert list(pd.read_csv(paths["csv"])["iso3"]) == ["DEU", "FRA", "VAT"]
    assert list(pd.read_excel(paths["xlsx"], sheet_name="data", engine="openpyxl")["agenda"]) == ["no", "yes", "yes"]
    variables = pd.read_excel(paths["xlsx"], sheet_name="variables", engine="openpyxl").set_index("variable")["label"]
    assert variables["topics__remit"] == "Remittances (Topics)"
    parquet = pd.read_parquet(paths["parquet"])
    assert list(parquet["topics__brain"].astype("Float64").fillna(-1)) == [-1, 0, 0]
    records = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert records[1]["iso3"] == "FRA" and records[1]["received_on"] == "2008-04-02"
    assert pd.read_json(paths["json"]).shape == frame.shape
    for reader, path in ((pyreadstat.read_dta, paths["dta"]), (pyreadstat.read_sav, paths["sav"])):
        data, info = reader(str(path))
        assert list(data["iso3"]) == ["DEU", "FRA", "VAT"]
        assert info.column_names_to_labels["agenda"] == "Should the Forum continue?"
        assert info.column_names_to_labels["topics__remit"] == "Remittances (Topics)"
        labels = {float(k): v for k, v in info.variable_value_labels["agenda"].items()}
        assert labels == {1.0: "Yes", 2.0: "No"}
        assert list(data["agenda"]) == [2, 1, 1]
        assert {float(k): v for k, v in info.variable_value_labels["topics__rights"].items()} == {
            0.0: "not selected", 1.0: "selected"}
        assert data["comments"].iloc[1] == FORMULA  # statistical files keep the text as it came
    data, info = pyreadstat.read_dta(str(paths["dta"]), apply_value_formats=True)
    assert list(data["agenda"]) == ["No", "Yes", "Yes"]


def test_no_live_formula_in_csv_or_xlsx(exported, tmp_path):
    store, qid = exported
    frame, meta = build_export(store, qid, date(2008, 6, 30))
    write_export(frame, meta, tmp_path / "out.csv", "csv")
    write_export(frame, meta, tmp_path / "out.xlsx", "xlsx")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'" + FORMULA in cells and "'+Regional talks" in cells
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + FORMULA in {c.value for c in cells}


def test_neutralise_rule():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-3") == "'-3" and neutralise("@x") == "'@x" and neutralise("\tx") == "'\tx"
    assert neutralise("Regional") == "Regional" and neutralise(-3) == -3 and neutralise(None) is None


def test_stata_names_are_short_valid_and_deterministic(tmp_path):
    long_a = "modalities__multilateral_system_activities"
    long_b = "modalities__multilateral_system_activities_2"
    assert stata_name("modalities__ga_agenda_item") == "modalities__ga_agenda_item"
    short_a, short_b = stata_name(long_a), stata_name(long_b)
    assert len(short_a) == 32 and short_a.startswith("modalities__multilatera_") and short_a != short_b
    assert stata_name(long_a) == short_a and stata_name("2nd-part") == "_2nd_part"
    from migq.export import ExportMeta

    frame = pd.DataFrame({long_a: [1, 0], "iso3": ["FRA", "DEU"]})
    meta = ExportMeta("f", "1", "2008-06-30", None, variable_labels={long_a: "Multilateral system"},
                      value_labels={long_a: {0: "not selected", 1: "selected"}})
    write_export(frame, meta, tmp_path / "x.dta", "dta")
    data, info = pyreadstat.read_dta(str(tmp_path / "x.dta"))
    assert list(data.columns) == [short_a, "iso3"]
    assert info.column_names_to_labels[short_a] == f"{long_a}: Multilateral system"
    assert info.variable_value_labels[short_a] == {0: "not selected", 1: "selected"}


def test_unknown_label_language_is_a_usage_error(exported):
    from migq.errors import UsageError

    store, qid = exported
    with pytest.raises(UsageError, match="--labels"):
        build_export_frame(store, qid, date(2008, 6, 30), labels="ru")


def test_bundled_questionnaire_to_stata_and_spss(store, tmp_path):
    """Real names (42-character option columns), many value-label sets, a date, long text."""
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    loaded = load_questionnaire(bundled_questionnaire_path())
    q = loaded[0] if isinstance(loaded, tuple) else loaded
    qid = register_questionnaire(store, q)
    add_reply(store, qid, "FRA", {"gfmd_outcome": "good_outcome", "reply_date": "2008-04-20",
                                  "modalities": "ga_agenda_item multilateral_system_activities",
                                  "modalities_comment": "Long text." * 350}, date(2008, 4, 22))
    frame, meta = build_export(store, qid, date(2008, 6, 30))
    data, info = None, None
    for fmt, reader in (("dta", pyreadstat.read_dta), ("sav", pyreadstat.read_sav)):
        write_export(frame, meta, tmp_path / f"hld.{fmt}", fmt)
        data, info = reader(str(tmp_path / f"hld.{fmt}"))
        assert data["reply_date"].iloc[0] == date(2008, 4, 20)
        assert len(data["modalities_comment"].iloc[0]) == len("Long text." * 350)
        assert info.variable_value_labels["gfmd_outcome"][1] == "Yes, the Forum is a good outcome of the Dialogue"
    data, info = pyreadstat.read_dta(str(tmp_path / "hld.dta"))
    short = stata_name("modalities__multilateral_system_activities")
    assert len(short) == 32 and data[short].iloc[0] == 1
    assert info.column_names_to_labels[short].startswith("modalities__multilateral_system_activities: Take")
    assert all(len(c) <= 32 for c in data.columns)
