"""Coding sheets out and back, validation, history, agreement and adjudication, on both backends."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import update

from migq.coding import (adjudicate, agreement_for, coding_history, coding_units, export_coding_sheet, final_codes,
                         import_coding_sheet)
from migq.coding.workbook import KEY_TABLE_ROW
from migq.questionnaire import Code, Question
from migq.registry import load_roster
from migq.store import schema
from storetools import add_reply, register_questionnaire, sample_questionnaire, send_forms

# Wikipedia's Cohen example: 50 answers, both yes 20, alice yes bob no 5, alice no bob yes 10, both no 15.
ALICE = [1] * 25 + [0] * 25
BOB = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15


def questionnaire():
    """The sample questionnaire plus a second text question with a code of its own."""
    q = sample_questionnaire()
    extra = Question("other_ideas", "text", {"en": "Other ideas", "fr": "Autres idées", "es": "Otras ideas"})
    return dataclasses.replace(q, items=q.items + (extra,),
                               codes=q.codes + (Code("funding", {"en": "Asks for funding"}, ("other_ideas",)),))


@pytest.fixture
def workspace(store):
    q = questionnaire()
    qid = register_questionnaire(store, q)
    return store, qid, q


def fill(path, decisions, note=None):
    """decisions: {iso3: {code: value}}; rows found by the ISO3 at the start of 'recipient'."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Coding"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        iso3 = row[header.index("recipient")].value.split()[0]
        for code, value in decisions.get(iso3, {}).items():
            row[header.index(code)].value = value
        if note and iso3 in note:
            row[header.index("note")].value = note[iso3]
    wb.save(path)


def test_round_trip_two_coders_known_agreement(workspace, tmp_path):
    store, qid, q = workspace
    iso3s = [r.iso3 for r in load_roster()][:50]
    for iso3 in iso3s:
        add_reply(store, qid, iso3, {"agenda": "yes", "comments": f"Text of {iso3}"}, date(2008, 4, 2))
    for coder, values in (("alice", ALICE), ("bob", BOB)):
        sheet = tmp_path / f"{coder}.xlsx"
        export_coding_sheet(store, qid, q, sheet, coder)
        fill(sheet, {iso3: {"regional": v} for iso3, v in zip(iso3s, values)})
        result = import_coding_sheet(store, sheet, coder=coder)
        assert result.ok, result.problems
        assert result.summary.added == 50 and result.rows == 50
    report = agreement_for(store, qid, q)
    regional = next(c for c in report.by_code if c.code == "regional")
    assert regional.kappa == pytest.approx(0.4)
    assert regional.agreement == pytest.approx(0.7)
    assert report.double_coded == report.answers == 50
    assert len(report.disagreements) == 15
    assert {d.iso3 for d in report.disagreements} == set(iso3s[20:35])


def test_sheet_layout_language_blind_and_no_formula(workspace, tmp_path):
    store, qid, q = workspace
    send_forms(store, qid, ["FRA", "DEU"], language="fr")
    fra = add_reply(store, qid, "FRA", {"comments": '=HYPERLINK("http://x","click")', "other_ideas": "Money"},
                    date(2008, 4, 2))
    add_reply(store, qid, "DEU", {"comments": "Regional talks", "other_ideas": "  "}, date(2008, 4, 3))
    with store.write() as conn:  # the FRA reply came back on the form issued to FRA
        issue = conn.execute(schema.dispatches.select().where(schema.dispatches.c.iso3 == "FRA")).first().issue_id
        conn.execute(update(schema.submissions).where(schema.submissions.c.id == fra).values(issue_id=issue))
    path = tmp_path / "alice.xlsx"
    done = export_coding_sheet(store, qid, q, path, "alice")
    assert done.rows == 3  # DEU's blank other_ideas is nothing to code
    wb = openpyxl.load_workbook(path)
    ws = wb["Coding"]
    header = [c.value for c in ws[1]]
    assert header == ["key", "recipient", "question", "language", "text", "regional", "funding", "note", "status"]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert {(r["recipient"], r["question"], r["language"]) for r in rows} == {
        ("FRA France", "comments", "fr"), ("FRA France", "other_ideas", "fr"), ("DEU Germany", "comments", "unknown")}
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert any(r["text"] == "'" + '=HYPERLINK("http://x","click")' for r in rows)
    validations = ws.data_validations.dataValidation
    assert validations and validations[0].formula1 == '"1,0"'
    assert wb["_migq"].sheet_state == "veryHidden"
    blind = tmp_path / "blind.xlsx"
    export_coding_sheet(store, qid, q, blind, "bob", blind=True)
    ws = openpyxl.load_workbook(blind)["Coding"]
    assert "recipient" not in [c.value for c in ws[1]]
    assert not any("FRA" in str(c.value) or "France" in str(c.value) for r in ws.iter_rows() for c in r)


def test_import_problems_are_located_and_nothing_is_stored(workspace, tmp_path):
    store, qid, q = workspace
    add_reply(store, qid, "FRA", {"comments": "Regional", "other_ideas": "Money"}, date(2008, 4, 2))
    path = tmp_path / "alice.xlsx"
    export_coding_sheet(store, qid, q, path, "alice")
    wb = openpyxl.load_workbook(path)
    ws = wb["Coding"]
    header = [c.value for c in ws[1]]
    ws.cell(1, header.index("funding") + 1).value = "fundign"  # a typo in a code header
    by_question = {ws.cell(r, 3).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(by_question["comments"], header.index("regional") + 1).value = "maybe"
    ws.cell(by_question["other_ideas"], header.index("regional") + 1).value = 1  # a grey cell
    ws.append(["R9999", "XXX", "comments", "en", "forged", 1])
    wb.save(path)
    result = import_coding_sheet(store, path, coder="bob")
    assert not result.ok and result.summary is None
    found = {(p.code, p.sheet, p.row, p.column) for p in result.problems}
    assert ("coding_unknown_code", "Coding", 1, "G") in found
    assert ("coding_bad_value", "Coding", by_question["comments"], "F") in found
    assert ("coding_code_not_applicable", "Coding", by_question["other_ideas"], "F") in found
    assert ("coding_unknown_row", "Coding", ws.max_row, "A") in found
    assert ("coding_coder_mismatch", "_migq", 2, None) in found
    assert all(p.file == "alice.xlsx" and p.hint for p in result.problems)
    assert final_codes(store, qid).empty
    with store.read() as conn:
        assert conn.execute(schema.codings.select()).first() is None


def test_sheet_from_another_workspace_is_refused(workspace, tmp_path):
    from migq.store.db import open_store

    store, qid, q = workspace
    add_reply(store, qid, "FRA", {"comments": "Regional"}, date(2008, 4, 2))
    with open_store(tmp_path / "other.db") as other:
        other_id = register_questionnaire(other, q)
        add_reply(other, other_id, "FRA", {"comments": "Regional"}, date(2008, 4, 2))
        export_coding_sheet(other, other_id, q, tmp_path / "other.xlsx", "alice")
    fill(tmp_path / "other.xlsx", {"FRA": {"regional": 1}})
    result = import_coding_sheet(store, tmp_path / "other.xlsx")
    assert [p.code for p in result.problems] == ["coding_unknown_export"]
    assert result.problems[0].sheet == "_migq"


def test_reimport_supersedes_and_keeps_history(workspace, tmp_path):
    store, qid, q = workspace
    fra = add_reply(store, qid, "FRA", {"comments": "Regional"}, date(2008, 4, 2))
    path = tmp_path / "alice.xlsx"
    export_coding_sheet(store, qid, q, path, "alice")
    fill(path, {"FRA": {"regional": 1}})
    assert import_coding_sheet(store, path).summary.added == 1
    assert import_coding_sheet(store, path).summary.unchanged == 1  # the same file twice: no new rows
    again = tmp_path / "again.xlsx"
    done = export_coding_sheet(store, qid, q, again, "alice")
    assert done.prefilled == 1
    ws = openpyxl.load_workbook(again)["Coding"]
    row = dict(zip((c.value for c in ws[1]), (c.value for c in ws[2])))
    assert row["regional"] == 1 and row["status"].startswith("coded ")
    fill(again, {"FRA": {"regional": 0}}, note={"FRA": "on second reading"})
    summary = import_coding_sheet(store, again).summary
    assert (summary.added, summary.changed) == (0, 1)
    history = coding_history(store, fra, "comments")
    assert list(history["applies"].astype(bool)) == [True, False]
    assert history["superseded_by"].iloc[0] == history["id"].iloc[1]
    assert history["note"].iloc[1] == "on second reading"


def test_adjudication_sheet_and_single_decisions(workspace, tmp_path):
    store, qid, q = workspace
    ids = {iso3: add_reply(store, qid, iso3, {"comments": f"About {iso3}"}, date(2008, 4, 2))
           for iso3 in ("FRA", "DEU", "ITA")}
    for coder, values in (("alice", {"FRA": 1, "DEU": 1, "ITA": 0}), ("bob", {"FRA": 0, "DEU": 1, "ITA": 0})):
        export_coding_sheet(store, qid, q, tmp_path / f"{coder}.xlsx", coder)
        fill(tmp_path / f"{coder}.xlsx", {k: {"regional": v} for k, v in values.items()})
        assert import_coding_sheet(store, tmp_path / f"{coder}.xlsx").ok
    adj = tmp_path / "adj.xlsx"
    export_coding_sheet(store, qid, q, adj, "judge", adjudication=True)
    ws = openpyxl.load_workbook(adj)["Coding"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert rows[0]["recipient"].startswith("FRA") and rows[0]["status"] == "disagreement"
    assert rows[0]["coders_said"] == "alice: regional=1; bob: regional=0"
    assert rows[0]["regional"] is None and {r["regional"] for r in rows[1:]} == {0, 1}  # agreed ones prefilled
    # A coder's sheet is not an adjudication sheet.
    assert [p.code for p in import_coding_sheet(store, tmp_path / "alice.xlsx", role="final").problems] == [
        "coding_wrong_role"]
    fill(adj, {"FRA": {"regional": 1}})
    result = import_coding_sheet(store, adj, role="final")
    assert result.ok and result.summary.added == 3
    finals = final_codes(store, qid).set_index("submission_id")["applies"].to_dict()
    assert finals == {ids["FRA"]: True, ids["DEU"]: True, ids["ITA"]: False}
    summary = adjudicate(store, qid, q, "ITA", "comments", "regional", True, note="see para. 2")
    assert summary.changed == 1
    assert final_codes(store, qid).set_index("submission_id")["applies"][ids["ITA"]]
    assert list(final_codes(store, qid).columns) == ["submission_id", "question", "code", "applies"]


def test_units_follow_the_counted_version_as_of_a_date(workspace):
    store, qid, q = workspace
    add_reply(store, qid, "FRA", {"comments": "first"}, date(2008, 4, 2), status="superseded")
    add_reply(store, qid, "FRA", {"comments": "second"}, date(2008, 5, 20), version_no=2)
    add_reply(store, qid, "DEU", {"comments": "pending"}, date(2008, 4, 2), status="revision_pending")
    assert list(coding_units(store, qid, q, date(2008, 4, 30))["text"]) == ["first"]
    assert list(coding_units(store, qid, q, date(2008, 6, 30))["text"]) == ["second"]
    assert coding_units(store, qid, q, date(2008, 6, 30), questions=["other_ideas"]).empty


def _edit_meta(path, cells):
    """Overwrite cells of the very hidden '_migq' sheet, as a tool (or a curious coder) could."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb["_migq"][ref] = value
    wb.save(path)


def _nothing_stored(store):
    with store.read() as conn:
        return conn.execute(schema.codings.select()).first() is None


@pytest.fixture
def coded_sheet(workspace, tmp_path):
    """alice's sheet coding the comments of FRA and DEU, ready to import."""
    store, qid, q = workspace
    ids = {iso3: add_reply(store, qid, iso3, {"comments": f"About {iso3}"}, date(2008, 4, 2))
           for iso3 in ("FRA", "DEU")}
    path = tmp_path / "alice.xlsx"
    export_coding_sheet(store, qid, q, path, "alice")
    fill(path, {"FRA": {"regional": 1}, "DEU": {"regional": 0}})
    return store, path, ids


@pytest.mark.parametrize("bad_id", ["abc", None, datetime(2008, 4, 2), str(2 ** 70), 2 ** 70, 2.5, -3])
def test_a_key_table_id_that_is_no_submission_id_is_located(coded_sheet, bad_id):
    store, path, _ = coded_sheet
    first_key_row = KEY_TABLE_ROW + 1
    _edit_meta(path, {f"B{first_key_row}": bad_id})
    result = import_coding_sheet(store, path)
    assert [(p.code, p.sheet, p.row, p.column) for p in result.problems] == [
        ("coding_answer_missing", "_migq", first_key_row, "B")]
    assert result.summary is None and _nothing_stored(store)


@pytest.mark.parametrize("sheet", ["Coding", "_migq"])
def test_a_chart_in_place_of_a_sheet_is_refused(coded_sheet, sheet):
    from openpyxl.chart import BarChart

    from migq.errors import MigqError

    store, path, _ = coded_sheet
    wb = openpyxl.load_workbook(path)
    wb.remove(wb[sheet])
    wb.create_chartsheet(sheet).add_chart(BarChart())
    wb.save(path)
    with pytest.raises(MigqError, match=f"'{sheet}' sheet is a chart"):
        import_coding_sheet(store, path)
    assert _nothing_stored(store)


def test_the_export_id_is_matched_exactly_not_as_a_pattern(coded_sheet):
    store, path, _ = coded_sheet
    export_id = openpyxl.load_workbook(path)["_migq"]["B1"].value
    for forged in ("%", "_" * len(export_id), export_id[:-1] + "_", export_id[:8]):
        _edit_meta(path, {"B1": forged})
        result = import_coding_sheet(store, path)
        assert [(p.code, p.sheet, p.row) for p in result.problems] == [("coding_unknown_export", "_migq", 1)], forged
    assert _nothing_stored(store)
    _edit_meta(path, {"B1": export_id})
    assert import_coding_sheet(store, path).summary.added == 2  # the sheet as exported is accepted


@pytest.mark.parametrize("cells, role, altered", [
    ({"B2": None}, None, "coder"),  # a blank coder would be stored as ''
    ({"B2": "bob"}, None, "coder"),
    ({"B3": "final"}, "final", "role"),  # a coder's sheet passed off as the adjudication sheet
    ({"B3": None}, None, "role"),
    ({"B4": "other-form"}, None, "form_id"),
    ({"B5": None}, None, "version"),
    ({f"B{KEY_TABLE_ROW + 1}": "swap"}, None, "key table"),  # a key pointed at another (real) answer
    ({f"A{KEY_TABLE_ROW + 2}": None}, None, "key table"),  # a row of the key table deleted
])
def test_metadata_that_differs_from_the_export_record_is_refused(coded_sheet, cells, role, altered):
    from migq.errors import MigqError

    store, path, ids = coded_sheet
    first_id = f"B{KEY_TABLE_ROW + 1}"
    if cells.get(first_id) == "swap":
        sid = openpyxl.load_workbook(path)["_migq"][first_id].value
        cells = {first_id: next(i for i in ids.values() if i != sid)}
    _edit_meta(path, cells)
    with pytest.raises(MigqError, match=f"was altered.*{altered}.*[Ee]xport a fresh sheet"):
        import_coding_sheet(store, path, role=role)
    assert _nothing_stored(store)


def test_a_blank_coder_is_refused_at_export(workspace, tmp_path):
    from migq.errors import UsageError

    store, qid, q = workspace
    add_reply(store, qid, "FRA", {"comments": "Regional"}, date(2008, 4, 2))
    with pytest.raises(UsageError, match="coder"):
        export_coding_sheet(store, qid, q, tmp_path / "nobody.xlsx", "  ")


def test_a_code_column_twice_is_located(coded_sheet):
    store, path, _ = coded_sheet
    wb = openpyxl.load_workbook(path)
    ws = wb["Coding"]
    header = [c.value for c in ws[1]]
    ws.cell(1, header.index("note") + 1).value = "regional"  # which of the two would count?
    wb.save(path)
    result = import_coding_sheet(store, path)
    assert [(p.code, p.sheet, p.row, p.column) for p in result.problems] == [
        ("duplicate_column", "Coding", 1, "regional")]
    assert _nothing_stored(store)
