"""The reader: real forms written by the writer, filled through defined names, read back."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest

from formtools import edit_part, fill_form, make_form, strip_metadata
from migq.errors import MigqError, Severity
from migq.forms.contract import answer_name
from migq.forms.reader import read_form
from migq.questionnaire import Choice, Question, Questionnaire


def ch(name, en, fr, es):
    return Choice(name, {"en": en, "fr": fr, "es": es})


YN = (ch("yes", "Yes", "Oui", "Sí"), ch("no", "No", "Non", "No"), ch("no_position", "No position", "Sans position", "Sin posición"))
MODS = (ch("a", "Regional consultations", "Consultations régionales", "Consultas regionales"), ch("other", "Other", "Autre", "Otro"))


def L(en, fr=None, es=None):
    return {"en": en, "fr": fr or en, "es": es or en}


Q = Questionnaire(
    form_id="hld-test", version="2008", titles=L("Questionnaire"), default_language="en", languages=("en", "fr", "es"),
    items=(
        Question("g1", "begin_group", L("Section")),
        Question("sole", "select_one", L("Sole?"), required=True, list_name="yn", choices=YN),
        Question("modalities", "select_multiple", L("Mods"), list_name="m", choices=MODS),
        Question("modalities_other", "text", L("Other"), relevant="selected(${modalities}, 'other')"),
        Question("n", "integer", L("N"), constraint=". >= 0", constraint_messages=L("Enter a count.")),
        Question("share", "decimal", L("Share")),
        Question("reply_date", "date", L("Date")),
        Question("q1", "text", L("Looks like a cell")),
        Question("g1e", "end_group"),
        Question("g2", "begin_group", L("Only if yes"), relevant="${sole} = 'yes'"),
        Question("why", "text", L("Why?"), required=True),
        Question("g2e", "end_group"),
    ),
    deadline=date(2008, 4, 30),
)
OTHER = Questionnaire(
    form_id="other", version="1", titles=L("Other"), default_language="en", languages=("en",),
    items=(Question("colour", "text", L("Colour")),),
)


@pytest.fixture(scope="module")
def blank():
    return {lang: make_form(Q, lang=lang) for lang in ("en", "fr", "es")}


def read(data, kind="xlsx", name="FRA.xlsx", qs=(Q, OTHER)):
    result = read_form(data, kind, name, list(qs))
    if kind in ("xlsx", "xlsm"):
        # In ingest the guard hands the reader the parts it already inflated: same result.
        from migq.forms.guard import GuardLimits, RejectedFile, inspect_file

        try:
            package = inspect_file(Path(name), data, GuardLimits()).package
        except RejectedFile:
            return result
        from dataclasses import replace

        # The guard's uncompressed rebuild of the package, or (too large to hold) the file itself.
        for given in (package, replace(package, unpacked=None)):
            guarded = read_form(data, kind, name, list(qs), given)
            assert (guarded.identity, guarded.answers, guarded.problems) == (result.identity, result.answers, result.problems)
    return result


def codes(result):
    return {p.code for p in result.problems}


def test_filled_form_reads_back_exact_answers_and_identity(blank):
    data = fill_form(blank["en"], {"sole": "Yes", "modalities_other": "Bilateral talks\nand more  ", "n": 12,
                                   "share": 3.5, "reply_date": date(2008, 5, 2), "q1": "cell-like", "why": "Because"},
                     ticks={"modalities": ["other", "a"]})
    r = read(data)
    values = {k: a.value for k, a in r.answers.items()}
    assert values == {"sole": "yes", "modalities": "a other", "modalities_other": "Bilateral talks\nand more",
                      "n": "12", "share": "3.5", "reply_date": "2008-05-02", "q1": "cell-like", "why": "Because"}
    assert all(a.valid for a in r.answers.values())
    assert r.problems == []
    assert r.kind == "xlsx" and r.identity_source == "sheet" and r.questionnaire_key == ("hld-test", "2008")
    assert r.identity["iso3"] == "FRA" and r.identity["issue_id"] == "FRA-test" and len(r.identity["signature"]) == 64
    assert r.printed_country == "France"
    assert r.answers["sole"].raw == "Yes" and r.answers["sole"].cell.startswith("Questionnaire!C")
    assert r.answers["modalities"].cell == "Questionnaire!" + r.answers["modalities"].cell.split("!")[1]


def test_cell_reference_like_names_carry_an_underscore(blank):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(blank["en"]))
    assert answer_name("q1") == "_q1" and "_q1" in wb.defined_names and "q1" not in wb.defined_names


@pytest.mark.parametrize("typed, code", [
    ("Oui", "yes"), ("yes ", "yes"), ("SÍ", "yes"), ("si", "yes"), ("No position", "no_position"),
    ("sans   position", "no_position"), ("SIN POSICION", "no_position"), ("no_position", "no_position"),
    ("\u00a0Non\u00a0", "no"), ("Ｙｅｓ", "yes"),
])
def test_choice_labels_in_any_language_and_odd_spellings(blank, typed, code):
    r = read(fill_form(blank["en"], {"sole": typed}))
    assert r.answers["sole"].value == code and r.answers["sole"].valid


def test_typographic_variants_of_labels_match():
    q = Questionnaire(form_id="t", version="1", titles=L("T"), default_language="fr", languages=("fr",),
                      items=(Question("s", "select_one", L("S"), list_name="l",
                                      choices=(Choice("ci", {"fr": "Côte d'Ivoire – État"}),)),))
    r = read_form(fill_form(make_form(q, lang="fr"), {"s": "cote d’ivoire - etat"}), "xlsx", "x.xlsx", [q])
    assert r.answers["s"].value == "ci"


def test_unknown_choice_lists_the_labels_of_the_forms_language(blank):
    r = read(fill_form(blank["fr"], {"sole": "Peut-être"}))
    [p] = r.problems
    assert p.code == "unknown_choice" and p.severity == Severity.ERROR and p.question == "sole"
    assert "'Oui', 'Non', 'Sans position'" in p.hint and p.sheet == "Questionnaire" and p.cell
    assert r.answers["sole"].value is None and not r.answers["sole"].valid and r.answers["sole"].raw == "Peut-être"


def test_ticks_accept_tick_words_and_reject_others(blank):
    data = fill_form(blank["en"], {answer_name("modalities", "a"): "Oui", answer_name("modalities", "other"): "maybe"})
    r = read(data)
    assert r.answers["modalities"].value == "a" and not r.answers["modalities"].valid
    [p] = [p for p in r.problems if p.code == "tick_not_understood"]
    first = r.answers["modalities"].cell.split("!")[1]  # the tick cell of 'a'; 'other' is below it
    assert p.cell == f"C{int(first[1:]) + 1}" and "'maybe'" in p.message
    r = read(fill_form(blank["en"], {answer_name("modalities", "a"): "0", answer_name("modalities", "other"): "✓", "sole": "no"}))
    assert r.answers["modalities"].value == "other" and r.problems == []


@pytest.mark.parametrize("lang, field, typed, value", [
    ("en", "n", "1 234", "1234"), ("en", "n", "1,234", "1234"), ("en", "n", 7.0, "7"), ("fr", "share", "1,5", "1.5"),
    ("es", "share", "1.234,5", "1234.5"), ("en", "share", 0.1, "0.1"), ("en", "n", "-3", None),
    ("en", "reply_date", "2008-05-02", "2008-05-02"), ("en", "reply_date", "02/05/2008", "2008-05-02"),
    ("en", "reply_date", 39570, "2008-05-02"), ("en", "reply_date", datetime(2008, 5, 2, 13, 5), "2008-05-02"),
])
def test_numbers_and_dates_are_normalised(blank, lang, field, typed, value):
    r = read(fill_form(blank[lang], {field: typed}))
    assert r.answers[field].value == (value if value is not None else "-3")


@pytest.mark.parametrize("field, typed, code", [
    ("n", "twelve", "not_a_number"), ("n", 2.5, "not_an_integer"), ("n", "1e30", "integer_too_big"),
    ("share", "NaN", "number_not_finite"), ("share", "inf", "number_not_finite"), ("share", "abc", "not_a_number"),
    ("reply_date", "next week", "not_a_date"), ("reply_date", "31/02/2008", "not_a_date"),
    ("reply_date", "1850-01-01", "impossible_date"), ("reply_date", date(2150, 1, 1), "impossible_date"),
    ("n", -1, "constraint_failed"),
])
def test_bad_values_are_located_errors(blank, field, typed, code):
    r = read(fill_form(blank["en"], {field: typed, "sole": "No"}))
    [p] = r.problems
    assert p.code == code and p.severity == Severity.ERROR and p.question == field and p.file == "FRA.xlsx"
    assert p.sheet == "Questionnaire" and p.cell == r.answers[field].cell.split("!")[1]
    assert not r.answers[field].valid


def test_constraint_message_in_the_forms_language(blank):
    r = read(fill_form(blank["en"], {"n": -1, "sole": "No"}))
    assert r.problems[0].hint == "Enter a count."


def test_required_relevance_and_groups(blank):
    r = read(fill_form(blank["en"], {}))
    assert [(p.code, p.question, p.severity) for p in r.problems] == [("required_missing", "sole", Severity.WARNING)]
    r = read(fill_form(blank["en"], {"sole": "Yes"}))
    assert [(p.code, p.question) for p in r.problems] == [("required_missing", "why")]
    r = read(fill_form(blank["en"], {"sole": "No", "why": "Still explained", "modalities_other": "text"}))
    assert sorted((p.code, p.question, p.severity) for p in r.problems) == [
        ("answer_not_relevant", "modalities_other", Severity.WARNING), ("answer_not_relevant", "why", Severity.WARNING)]
    assert r.answers["why"].value == "Still explained" and not r.answers["why"].valid


def test_text_is_cleaned_and_an_overlong_text_is_cut_and_kept(blank):
    r = read(fill_form(blank["en"], {"q1": "a\tb\r\nc  \n"}))
    assert r.answers["q1"].value == "a\tb\nc"
    data = fill_form(blank["en"], {"q1": "x" * 32_767, "sole": "no"})  # openpyxl cuts at the limit itself
    data = edit_part(data, "xl/worksheets/sheet2.xml", lambda b: b.replace(b"x" * 32_767, b"x" * 40_000))
    r = read(data)
    [p] = r.problems
    assert p.code == "text_too_long" and p.severity == Severity.WARNING
    assert r.answers["q1"].value == "x" * 32_767 and r.answers["q1"].valid


def test_formula_in_an_answer_cell_is_not_trusted(blank):
    data = fill_form(blank["en"], {"n": "=2+3", "sole": "No"})
    r = read(data)
    [p] = r.problems
    assert p.code == "formula_in_answer" and p.severity == Severity.WARNING and "=2+3" in p.message
    assert r.answers["n"].value is None and not r.answers["n"].valid


def test_formula_with_a_cached_value_in_a_namespaced_sheet_is_caught(blank):
    """A formula written with an XML prefix and a cached value: the value is still not trusted."""
    data = fill_form(blank["en"], {"n": "=2+3", "sole": "No"})
    sheet = "xl/worksheets/sheet2.xml"
    data = edit_part(data, sheet, lambda b: b.replace(b"<f>2+3</f><v></v>", b"<x:f xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">2+3</x:f><v>5</v>"))
    r = read(data)
    assert [p.code for p in r.problems] == ["formula_in_answer"] and r.answers["n"].value is None


@pytest.mark.parametrize("part, edit", [  # each with an unbound XML prefix
    ("docProps/custom.xml", lambda b: b.replace(b"<vt:lpwstr", b"<zz:lpwstr", 1)),
    ("xl/worksheets/sheet2.xml", lambda b: b.replace(b"<f>2+3</f>", b"<zz:f>2+3</zz:f>")),
])
def test_damage_met_after_opening_is_a_plain_error(blank, part, edit):
    """Found by fuzzing: parts read late (the custom properties when the metadata sheet is
    gone, a sheet's formulas) raised the XML parser's own errors, worded for programmers."""
    filled = strip_metadata(fill_form(blank["en"], {"n": "=2+3", "sole": "No"}), sheet=True, properties=False)
    data = edit_part(filled, part, edit)
    with pytest.raises(MigqError, match="FRA.xlsx cannot be opened as a workbook .*ask the sender"):
        read_form(data, "xlsx", "FRA.xlsx", [Q, OTHER])


def test_moved_answer_cells_are_found_through_their_names(blank):
    """Rows inserted above the answers, as Excel does it: cells move and names follow."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fill_form(blank["en"], {"sole": "No", "n": 4}, ticks={"modalities": ["a"]})))
    ws = wb["Questionnaire"]
    ws.title = "Réponses du gouvernement"
    moves = {}
    for name, dn in list(wb.defined_names.items()):
        sheet, coord = next(iter(dn.destinations))
        cell = ws[coord.replace("$", "")]
        target = ws.cell(row=cell.row + 5, column=cell.column + 1)
        moves[name] = (cell, target)
    for name, (cell, target) in moves.items():
        target.value, cell.value = cell.value, None
        wb.defined_names[name].attr_text = f"'Réponses du gouvernement'!${target.column_letter}${target.row}"
    out = io.BytesIO()
    wb.save(out)
    r = read(out.getvalue())
    assert (r.answers["sole"].value, r.answers["n"].value, r.answers["modalities"].value) == ("no", "4", "a")
    assert r.answers["sole"].cell.startswith("Réponses du gouvernement!D") and r.printed_country == "France"


def test_a_workbook_part_seen_before_is_not_parsed_again_and_books_do_not_share_it(blank, monkeypatch):
    from migq.forms import cells

    data = fill_form(blank["en"], {"sole": "Yes"})
    first = cells.open_book(data, "xlsx", "a.xlsx")
    parsed = []
    monkeypatch.setattr(cells.XlsxBook, "_parse_workbook", lambda self: parsed.append(1) or ({}, {}, {}))
    second = cells.open_book(data, "xlsx", "b.xlsx")
    assert parsed == [] and second.names == first.names and second.names is not first.names
    second.names.clear()  # one book's names are its own
    assert cells.open_book(data, "xlsx", "c.xlsx").names == first.names
    monkeypatch.setattr(cells, "_WORKBOOKS_KEPT", 0)  # a full memo is emptied, not grown
    cells.open_book(make_form(OTHER), "xlsx", "d.xlsx")  # another form: another workbook part
    assert parsed == [1] and len(cells._WORKBOOKS) == 1


def test_identity_falls_back_to_properties_then_to_none(blank):
    data = fill_form(blank["en"], {"sole": "Oui"})
    r = read(strip_metadata(data, sheet=True, properties=False))
    assert r.identity_source == "properties" and r.identity["iso3"] == "FRA"
    r = read(strip_metadata(data))
    assert r.identity is None and r.identity_source is None
    assert r.questionnaire_key == ("hld-test", "2008") and r.answers["sole"].value == "yes"


def test_missing_defined_name_is_a_warning_and_counts_as_unanswered(blank):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fill_form(blank["en"], {"n": 3})))
    del wb.defined_names["n"]
    del wb.defined_names[answer_name("modalities", "other")]
    out = io.BytesIO()
    wb.save(out)
    r = read(out.getvalue())
    missing = {p.question: p for p in r.problems if p.code == "answer_cell_missing"}
    assert set(missing) == {"n", "modalities"} and missing["n"].severity == Severity.WARNING
    assert r.answers["n"].value is None and r.answers["n"].cell is None


def test_a_workbook_without_answer_cells_is_not_a_form():
    from openpyxl import Workbook

    buf = io.BytesIO()
    Workbook().save(buf)
    with pytest.raises(MigqError) as err:
        read(buf.getvalue(), name="budget.xlsx")
    assert str(err.value).startswith("budget.xlsx is not a migq form (none of the questionnaire's answer cells")


def test_without_identity_the_questionnaire_with_most_names_is_chosen():
    data = strip_metadata(fill_form(make_form(OTHER), {"colour": "blue"}))
    r = read(data)
    assert r.questionnaire_key == ("other", "1") and r.answers["colour"].value == "blue"


def test_damaged_workbook_is_a_plain_error():
    with pytest.raises(MigqError, match="broken.xlsx cannot be opened as a workbook"):
        read(b"PK\x03\x04 not really a zip", name="broken.xlsx")


BUNDLED = Path(__file__).resolve().parents[1] / "questionnaires" / "hld-followup-2008.yaml"


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled questionnaire not there yet")
def test_bundled_questionnaire_round_trip():
    xlsform = pytest.importorskip("migq.xlsform")
    q = xlsform.load_questionnaire(BUNDLED)
    closed = q.closed_questions[0]
    blank = make_form(q, lang="fr")
    if closed.type == "select_one":
        data = fill_form(blank, {closed.name: closed.choices[0].label("fr")})
        expected = closed.choices[0].name
    else:
        data = fill_form(blank, {}, ticks={closed.name: [closed.choices[0].name]})
        expected = closed.choices[0].name
    r = read_form(data, "xlsx", "FRA.xlsx", [q])
    assert r.answers[closed.name].value == expected
    assert r.questionnaire_key == (q.form_id, q.version) and len(r.answers) == len(q.questions)


def test_text_normaliser_strips_control_characters():
    from migq.forms.normalize import text_value

    assert text_value("a\x01b\x7f\tc \u00a0 ") == ("ab\tc", None)
    assert text_value("   ") == (None, None)


def test_the_contract_documents_a_fill_that_the_reader_reads():
    """Run the openpyxl example of docs/form-contract.md on a real form."""
    import contextlib
    import re as regex

    doc = (Path(__file__).resolve().parents[1] / "docs" / "form-contract.md").read_text(encoding="utf-8")
    [code] = regex.findall(r"```python\n(.*?)```", doc, flags=regex.S)
    yn = (Choice("yes", {"en": "Yes"}), Choice("no", {"en": "No"}))
    q = Questionnaire(form_id="doc", version="1", titles={"en": "Doc"}, default_language="en", languages=("en",), items=(
        Question("gfmd_sole_followup", "select_one", {"en": "Sole?"}, list_name="yn", choices=yn),
        Question("modalities", "select_multiple", {"en": "How?"}, list_name="m",
                 choices=(Choice("regional_consultations", {"en": "Regional"}), Choice("other", {"en": "Other"}))),
        Question("reply_date", "date", {"en": "Date"}), Question("q1", "text", {"en": "Comments"})))
    scope = {"FORM": make_form(q)}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "form-contract.md", "exec"), scope)
    assert printed.getvalue().split() == ["FRA", "FRA-test"]
    r = read_form(scope["filled"], "xlsx", "FRA.xlsx", [q])
    assert {k: a.value for k, a in r.answers.items()} == {
        "gfmd_sole_followup": "yes", "modalities": "regional_consultations", "reply_date": "2008-05-02", "q1": "See annex"}
    assert r.problems == []
