"""A filled form re-saved by LibreOffice (xlsx) and converted to .xls and .ods reads back to
exactly the answers of the original, identity intact. Conversions run once per module."""

from __future__ import annotations

from datetime import date

import pytest

from formtools import fill_form, libreoffice_convert, make_form, soffice
from migq.forms.reader import read_form
from migq.questionnaire import Choice, Question, Questionnaire


def L(en, fr):
    return {"en": en, "fr": fr}


YN = (Choice("yes", L("Yes", "Oui")), Choice("no", L("No", "Non")), Choice("no_position", L("No position", "Sans position")))
Q = Questionnaire(
    form_id="hld-lo", version="2008", titles=L("Questionnaire", "Questionnaire"), default_language="en",
    languages=("en", "fr"),
    items=(
        Question("sole", "select_one", L("Sole?", "Seul ?"), required=True, list_name="yn", choices=YN),
        Question("modalities", "select_multiple", L("Mods", "Modalités"), list_name="m",
                 choices=(Choice("a", L("A", "A")), Choice("b", L("B", "B")), Choice("other", L("Other", "Autre")))),
        Question("modalities_other", "text", L("Other", "Autre"), relevant="selected(${modalities}, 'other')"),
        Question("n", "integer", L("N", "N")),
        Question("share", "decimal", L("Share", "Part")),
        Question("reply_date", "date", L("Date", "Date")),
        Question("q1", "text", L("Comments", "Observations")),
    ),
    deadline=date(2008, 4, 30),
)
ANSWERS = {"sole": "Sans position", "modalities_other": "Consultations bilatérales — « ad hoc »\nsecond line",
           "n": 1234, "share": 2.75, "reply_date": date(2008, 5, 2), "q1": "Côte d'Ivoire"}
TICKS = {"modalities": ["a", "other"]}


@pytest.fixture(scope="module")
def original():
    soffice()
    return fill_form(make_form(Q, iso3="CIV", lang="fr", issue_id="CIV-0123456789ab"), ANSWERS, TICKS)


@pytest.fixture(scope="module")
def converted(original):
    from concurrent.futures import ThreadPoolExecutor

    kinds = ("xlsx", "xls", "ods")
    with ThreadPoolExecutor(len(kinds)) as pool:  # each conversion has its own LibreOffice profile
        return dict(zip(kinds, pool.map(lambda to: libreoffice_convert(original, to), kinds)))


def _summary(result):
    return {k: (a.value, a.valid) for k, a in result.answers.items()}


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_libreoffice_copy_reads_like_the_original(original, converted, kind):
    expected = read_form(original, "xlsx", "CIV.xlsx", [Q])
    assert expected.problems == []
    assert _summary(expected)["modalities"] == ("a other", True)
    got = read_form(converted[kind], kind, f"CIV.{kind}", [Q])
    assert _summary(got) == _summary(expected)
    assert got.problems == []
    assert got.identity == expected.identity and got.identity["iso3"] == "CIV"
    assert got.identity_source == "sheet" and got.questionnaire_key == ("hld-lo", "2008")
    assert got.printed_country == "Côte d'Ivoire"
    assert {k: a.cell for k, a in got.answers.items()} == {k: a.cell for k, a in expected.answers.items()}


def test_properties_survive_a_libreoffice_copy(converted):
    from formtools import strip_metadata

    got = read_form(strip_metadata(converted["xlsx"], sheet=True, properties=False), "xlsx", "CIV.xlsx", [Q])
    assert got.identity_source == "properties" and got.identity["issue_id"] == "CIV-0123456789ab"


def test_formula_in_an_ods_answer_cell_is_not_trusted(converted):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(converted["ods"])) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "content.xml":
                assert body.count(b'office:value="1234"') == 1
                body = body.replace(b'office:value="1234"', b'office:value="1234" table:formula="of:=1000+234"')
            zout.writestr(info, body)
    got = read_form(out.getvalue(), "ods", "CIV.ods", [Q])
    assert [(p.code, p.question) for p in got.problems] == [("formula_in_answer", "n")]
    assert got.answers["n"].value is None and not got.answers["n"].valid
