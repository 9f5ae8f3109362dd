"""The template + personalise path writes the same form as a direct openpyxl build."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from migq.forms import writer
from migq.forms.contract import FormIdentity, new_issue_id
from migq.xlsform import bundled_questionnaire_path, load_questionnaire


def _cells(data: bytes) -> dict:
    wb = load_workbook(io.BytesIO(data))
    cells = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    cells[(ws.title, c.coordinate)] = c.value
    names = {n: str(d.attr_text) for n, d in wb.defined_names.items()}
    props = {p.name: p.value for p in wb.custom_doc_props}
    return cells, names, props


def test_personalised_template_equals_direct_build():
    q = load_questionnaire(bundled_questionnaire_path())
    ident = FormIdentity(q.form_id, q.version, "CIV", new_issue_id("CIV"), "fr", "k1").sign(b"s" * 32)
    recipient = writer.Recipient("CIV", "Côte d'Ivoire & <Co>")
    fast = writer.personalise(writer.build_template(q, "fr"), recipient, ident)
    slow = writer.write_form(q, "fr", recipient, ident)
    assert _cells(fast) == _cells(slow)
    assert b"@@MIGQ_" not in b"".join(_cells(fast)[0].get(k, "").encode() if isinstance(v, str) else b""
                                       for k, v in _cells(fast)[0].items())


def test_names_that_look_like_cell_references_get_an_underscore():
    from migq.forms.contract import answer_name

    assert answer_name("q1") == "_q1" and answer_name("AB12") == "_AB12" and answer_name("R1C1") == "_R1C1"
    assert answer_name("gfmd_outcome") == "gfmd_outcome"
    assert answer_name("modalities", "other") == "modalities.other"
