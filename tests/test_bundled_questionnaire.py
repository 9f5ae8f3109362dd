"""The bundled 2008 HLD follow-up questionnaire: names, choices, positions, three languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from migq.expressions import evaluate
from migq.xlsform import bundled_questionnaire_path, check_questionnaire, load_questionnaire, write_xlsform

REPO = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
MODALITIES = (
    "ga_agenda_item", "regional_global_dialogue", "regional_thematic_meetings", "ga_debate_gfmd_ideas",
    "ga_regional_views", "periodic_high_level_debate", "multilateral_initiatives",
    "multilateral_system_activities", "other",
)
CLOSED = {
    "gfmd_outcome": ("select_one", ("good_outcome", "not_formal_outcome", "no_position")),
    "gfmd_sole_followup": ("select_one", ("yes", "no", "no_position")),
    "followup_within_un": ("select_one", ("yes", "no", "no_position")),
    "gfmd_un_link": ("select_one", ("strengthen_link", "more_time", "no_change", "no_position")),
    "modalities": ("select_multiple", MODALITIES),
}
TEXTS = ("gfmd_outcome_comment", "gfmd_sole_followup_comment", "followup_within_un_comment",
         "gfmd_un_link_comment", "modalities_comment", "modalities_other",
         "ministry", "focal_point_name", "focal_point_title", "focal_point_email")


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(bundled_questionnaire_path())


def test_it_loads_without_any_problem():
    questionnaire, problems = check_questionnaire(bundled_questionnaire_path())
    assert questionnaire is not None and problems == []


def test_package_copy_is_identical_to_the_repository_file():
    top = REPO / "questionnaires" / "hld-followup-2008.yaml"
    assert bundled_questionnaire_path().read_bytes() == top.read_bytes()


def test_settings(q):
    assert (q.form_id, q.version, q.deadline, q.default_language) == ("hld-followup", "2008", date(2008, 4, 30), "en")
    assert q.languages == LANGS and q.key == "hld-followup-2008"
    assert "High-level Dialogue" in q.title("en") and "Dialogue de haut niveau" in q.title("fr")
    assert "Diálogo de alto nivel" in q.title("es")


def test_closed_questions_choices_and_requirement(q):
    for name, (qtype, choices) in CLOSED.items():
        question = q.question(name)
        assert (question.type, question.choice_names, question.required) == (qtype, choices, True), name
    assert [c.name for c in q.closed_questions] == list(CLOSED)


def test_text_questions_and_respondent_group(q):
    for name in TEXTS:
        assert q.question(name).type == "text", name
    assert q.question("reply_date").type == "date"
    for name in ("ministry", "focal_point_name", "focal_point_title", "focal_point_email", "reply_date"):
        assert q.question(name).group == "respondent"
    names = [item.name for item in q.questions]
    for name in CLOSED:
        assert names[names.index(name) + 1 + (name == "modalities")] == f"{name}_comment"


def test_rules_behave(q):
    other = q.question("modalities_other").relevant
    assert evaluate(other, {"modalities": ["ga_agenda_item", "other"]})
    assert not evaluate(other, {"modalities": ["ga_agenda_item"]}) and not evaluate(other, {})
    email = q.question("focal_point_email").constraint
    assert evaluate(email, {}, current="focal.point@mission.example") and not evaluate(email, {}, current="n/a")
    assert not evaluate(q.question("reply_date").constraint, {}, current=date(2008, 1, 1))


def test_positions(q):
    expected = {
        "gfmd_good_outcome": ("gfmd_outcome", ("good_outcome",)),
        "gfmd_no_position_or_not_formal": ("gfmd_outcome", ("not_formal_outcome", "no_position")),
        "gfmd_sole_followup": ("gfmd_sole_followup", ("yes",)),
        "followup_within_un": ("followup_within_un", ("yes",)),
        "strengthen_link": ("gfmd_un_link", ("strengthen_link",)),
        "more_time": ("gfmd_un_link", ("more_time",)),
    } | {f"modality_{c}": ("modalities", (c,)) for c in MODALITIES}
    assert {p.name: (p.question, p.choices) for p in q.positions} == expected
    assert {p.base for p in q.positions} == {"respondents"}
    assert q.position("gfmd_good_outcome").label("en").startswith("considered the Global Forum")


def test_codebook_applies_to_comments(q):
    names = {c.code for c in q.codes}
    assert {"gfmd_practical_framework", "gfmd_flexibility", "evaluate_progress", "ga_universality"} <= names
    for code in q.codes:
        assert code.questions and all(q.question(n).type == "text" for n in code.questions)
        assert set(code.description) == set(LANGS)
    covered = {n for c in q.codes for n in c.questions}
    assert {f"{name}_comment" for name in CLOSED} <= covered


def test_every_text_in_english_french_and_spanish(q):
    for item in q.items:
        if item.type != "end_group":
            assert all(item.labels.get(l) for l in LANGS), item.name
        for texts in (item.hints, item.constraint_messages):
            assert not texts or set(texts) == set(LANGS), item.name
        for choice in item.choices:
            assert all(choice.labels.get(l) for l in LANGS), (item.name, choice.name)
    for thing in (*q.positions, *q.codes):
        assert all(thing.labels.get(l) for l in LANGS)
    assert all(q.titles.get(l) for l in LANGS)
    assert q.question("gfmd_sole_followup").choice("no").label("es") == "No"


def test_bundled_round_trips_through_xlsform(q, tmp_path):
    again = load_questionnaire(write_xlsform(bundled_questionnaire_path(), tmp_path / "hld.xlsx"))
    assert replace(again, source=None) == replace(q, source=None)
