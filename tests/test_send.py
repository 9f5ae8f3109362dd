"""migq send end to end: real workbooks written, opened back, verified against the register."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

from migq.cli import app
from migq.forms.contract import META_SHEET, PROPERTY_PREFIX, QUESTIONNAIRE_SHEET, RECIPIENT_NAME, FormIdentity, answer_name


def _send(runner, db_url, out: Path, *args):
    return runner.invoke(app, ["send", "--db", db_url, "-o", str(out), "--sent-on", "2008-03-18", *args])


def _identity(path: Path) -> dict:
    wb = load_workbook(path)
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(min_row=1, max_col=2)}
    return meta, wb


def test_send_writes_signed_protected_forms_in_each_language(runner, db_url, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("iso3,mission_email,focal_point_email,cc\n"
                        "FRA,mission.fra@example.org,fp1@example.fr;fp2@example.fr,desk@example.org\n"
                        "MEX,mision@example.mx,,\n", encoding="utf-8")
    assert runner.invoke(app, ["recipients", "import", str(contacts), "--db", db_url]).exit_code == 0
    out = tmp_path / "out"
    result = _send(runner, db_url, out, "--to", "FRA,MEX,GBR")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.xlsx")) == [
        "FRA-hld-followup-2008.xlsx", "GBR-hld-followup-2008.xlsx", "MEX-hld-followup-2008.xlsx"]

    from migq.store import open_store
    from migq.store.keys import all_keys
    from migq.store.register import all_dispatches

    with open_store(db_url) as store:
        keys = all_keys(store)
        register = {d.iso3: d for d in all_dispatches(store)}
    assert set(register) == {"FRA", "MEX", "GBR"}

    expected = {"FRA": ("fr", "France"), "MEX": ("es", "México"), "GBR": ("en", "United Kingdom")}
    for iso3, (lang, printed) in expected.items():
        path = out / f"{iso3}-hld-followup-2008.xlsx"
        meta, wb = _identity(path)
        ident = FormIdentity(**{k: str(meta[k]) for k in FormIdentity.__dataclass_fields__})
        assert ident.iso3 == iso3 and ident.language == lang and ident.verify(keys[ident.key_id])
        assert ident.issue_id == register[iso3].issue_id
        props = {p.name: p.value for p in wb.custom_doc_props}
        assert props[PROPERTY_PREFIX + "signature"] == ident.signature
        assert wb[META_SHEET].sheet_state == "veryHidden"
        sheet, coord = next(iter(wb.defined_names[RECIPIENT_NAME].destinations))
        cell = wb[sheet][coord.replace("$", "")]
        assert printed in cell.value and cell.protection.locked
        ws = wb[QUESTIONNAIRE_SHEET]
        assert ws.protection.sheet and not ws.protection.password
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
        for name in ("gfmd_outcome", "gfmd_sole_followup", "modalities_other", "reply_date"):
            sheet, coord = next(iter(wb.defined_names[answer_name(name)].destinations))
            assert not wb[sheet][coord.replace("$", "")].protection.locked
        assert answer_name("modalities", "ga_agenda_item") in wb.defined_names
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        assert lists, "single-choice questions have dropdowns"
        import hashlib

        assert hashlib.sha256(path.read_bytes()).hexdigest() == register[iso3].file_sha256

    draft = email.message_from_bytes((out / "email" / "FRA-hld-followup-2008.eml").read_bytes(), policy=email.policy.default)
    assert draft["To"] == "mission.fra@example.org"
    assert "fp1@example.fr" in draft["Cc"] and "desk@example.org" in draft["Cc"]
    assert "Questionnaire" in draft["Subject"] and "30 avril 2008" in draft["Subject"]
    attachment = next(draft.iter_attachments())
    assert attachment.get_payload(decode=True) == (out / "FRA-hld-followup-2008.xlsx").read_bytes()
    assert not (out / "email" / "GBR-hld-followup-2008.eml").exists(), "no contacts, no draft"


def test_sending_again_reissues_nothing_unless_asked(runner, db_url, tmp_path):
    out = tmp_path / "out"
    assert _send(runner, db_url, out, "--to", "FRA").exit_code == 0
    first = (out / "FRA-hld-followup-2008.xlsx").read_bytes()
    again = _send(runner, db_url, out, "--to", "FRA")
    assert again.exit_code == 0 and "already have" in again.output and "No forms written" in again.output
    assert (out / "FRA-hld-followup-2008.xlsx").read_bytes() == first
    reissued = _send(runner, db_url, out, "--to", "FRA", "--reissue", "--lang", "es")
    assert reissued.exit_code == 0 and "re-issued" in reissued.output
    from migq.store import open_store
    from migq.store.register import all_dispatches

    with open_store(db_url) as store:
        rows = all_dispatches(store)
    assert len(rows) == 2 and sum(1 for d in rows if d.replaced_by is None) == 1
    assert {d.language for d in rows} == {"fr", "es"}


@pytest.mark.parametrize("args,needle", [
    (["--to", "XXX"], "'XXX' is not the ISO3 code"),
    (["--lang", "de"], "no 'de' version"),
    (["--sent-on", "yesterday"], "YYYY-MM-DD"),
])
def test_send_usage_errors_are_one_line(runner, db_url, tmp_path, args, needle):
    result = _send(runner, db_url, tmp_path / "out", *args)
    assert result.exit_code in (1, 2)
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "out").glob("*.xlsx"))


def test_all_195_forms_on_the_bundled_defaults(runner, tmp_path):
    db = str(tmp_path / "m.db")
    result = _send(runner, db, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 195
    assert "145 en" in result.output and "30 fr" in result.output and "20 es" in result.output
