"""One long-form date for forms, e-mails, report and map: UN style, day first."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from migq.dates import long_date

EN = ["January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December"]
FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
      "septembre", "octobre", "novembre", "décembre"]
ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
      "septiembre", "octubre", "noviembre", "diciembre"]


@pytest.mark.parametrize("day", [1, 15])
@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_each_language_and_1er_in_french_only(month, day):
    french_day = "1er" if day == 1 else str(day)
    assert long_date(date(2008, month, day), "en") == f"{day} {EN[month - 1]} 2008"
    assert long_date(date(2008, month, day), "fr") == f"{french_day} {FR[month - 1]} 2008"
    assert long_date(date(2008, month, day), "es") == f"{day} de {ES[month - 1]} de 2008"


def test_examples_from_un_documents():
    assert long_date(date(2008, 4, 30), "en") == "30 April 2008"
    assert long_date(date(2008, 4, 30), "fr") == "30 avril 2008"
    assert long_date(date(2008, 4, 30), "es") == "30 de abril de 2008"
    assert long_date(date(2008, 5, 1), "fr") == "1er mai 2008"
    assert long_date(date(2008, 5, 2), "fr") == "2 mai 2008"  # no ordinal after the first
    assert long_date(date(2008, 5, 11), "fr") == "11 mai 2008"  # nor for the 11th or 21st
    assert long_date(date(2008, 5, 21), "fr") == "21 mai 2008"
    assert long_date(date(2008, 5, 1), "en") == "1 May 2008"  # no "1st"
    assert long_date(date(2008, 5, 1), "es") == "1 de mayo de 2008"  # no "1.º"
    assert long_date(date(2008, 5, 3), "en") == "3 May 2008"  # no leading zero


@pytest.mark.parametrize("lang", ["ar", "ru", "zh", "de", "", "FR", "fr-CA"])
def test_other_languages_are_written_in_english(lang):
    assert long_date(date(2008, 5, 1), lang) == "1 May 2008"
    assert long_date(date(2008, 12, 31), lang) == "31 December 2008"


def test_no_date_gives_empty_text_and_a_datetime_drops_its_time():
    assert long_date(None, "fr") == ""
    assert long_date(datetime(2008, 7, 1, 23, 59), "fr") == "1er juillet 2008"


def test_the_old_names_are_the_one_function():
    from migq.analysis import texts as report_texts
    from migq.forms import texts as form_texts

    assert form_texts.long_date is long_date
    assert report_texts.format_date is long_date
    import migq.render.map as map_module

    assert not hasattr(map_module, "format_date")
    assert map_module.long_date is long_date


DAYS = [date(2008, 5, 1), date(2008, 4, 30), date(2009, 1, 1)]


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_form_email_and_report_write_the_same_date(lang):
    from migq import tally
    from migq.analysis.report_build import response_sentence
    from migq.analysis.texts import text
    from migq.followup.reminder_message import template_values

    none_yet = tally.ResponseRate(recipients=195, member_states=192, observers=3, sent=195,
                                  replied_member_states=0, replied_observers=0, late=0, held=0,
                                  pending=0)
    for day in DAYS:
        expected = long_date(day, lang)
        reminder = template_values(country="France", deadline=day, title="Q", issue_id="X",
                                   as_of=day, lang=lang)
        assert reminder["deadline"] == expected
        sentence = response_sentence(none_yet, day, lang)
        assert sentence == text(lang, "reply_none", date=expected)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_form_deadline_cell_writes_the_same_date(lang):
    from openpyxl import load_workbook

    from migq.forms import writer
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    q = load_questionnaire(bundled_questionnaire_path())
    day = date(2008, 5, 1)
    wb = load_workbook(io.BytesIO(writer.build_template(q, lang, day)))
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if isinstance(c.value, str)}
    assert long_date(day, lang) in values  # the deadline cell beside "Please reply by"


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_map_title_writes_the_same_date(lang):
    pytest.importorskip("matplotlib")
    from migq.render.map import MapStyle, draw_response_map

    day = date(2008, 5, 1)
    svg = draw_response_map({"FRA": 250}, {"FRA"}, day, None, MapStyle(lang=lang, dpi=50),
                            fmt="svg")
    words = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert long_date(day, lang) in words
    assert {"en": "1 May 2008", "fr": "1er mai 2008", "es": "1 de mayo de 2008"}[lang] in words
