"""build_report on a real store (SQLite and PostgreSQL): as-of edges, set-aside answers,
coded positions, breakdowns with --min-cell, and the JSON interface."""

from __future__ import annotations

import json
from datetime import date

import pytest

from migq.errors import MigqError, UsageError
from migq.report import build_report, respondents_as_of
from storetools import add_coding, add_reply, register_questionnaire, sample_questionnaire, send_forms

CUT = date(2008, 7, 15)


@pytest.fixture
def filled(store):
    """Five recipients sent forms; FRA revised before the cut-off, DEU after it, ITA has a
    pending revision, VAT (observer) replied late, BRA did not reply; one held file."""
    q = sample_questionnaire()
    qid = register_questionnaire(store, q)
    send_forms(store, qid, ["FRA", "DEU", "ITA", "VAT", "BRA"])
    add_reply(store, qid, "FRA", {"agenda": "no", "topics": "brain"}, date(2008, 4, 1), status="superseded")
    fra = add_reply(store, qid, "FRA", {"agenda": "yes", "topics": "remit rights", "comments": "regional"},
                    date(2008, 5, 1), version_no=2)
    add_coding(store, fra, "comments", "regional")
    add_reply(store, qid, "DEU", {"agenda": "yes", "topics": "remit"}, date(2008, 4, 20), status="superseded")
    add_reply(store, qid, "DEU", {"agenda": "no", "topics": "remit"}, CUT.replace(day=16), version_no=2)
    add_reply(store, qid, "ITA", {"agenda": "maybe", "topics": "rights"}, CUT, valid={"agenda": False})
    add_reply(store, qid, "ITA", {"agenda": "yes"}, date(2008, 7, 1), status="revision_pending", version_no=2)
    add_reply(store, qid, "VAT", {"agenda": "yes", "topics": "rights"}, date(2008, 5, 20))
    add_reply(store, qid, None, {}, date(2008, 6, 1), status="held")
    return store, q


def test_as_of_rule_and_response_rate(filled):
    store, q = filled
    r = build_report(store, q, CUT)
    assert r.replied == {"FRA", "DEU", "ITA", "VAT"}  # ITA's reply arrived on the cut-off day
    rate = r.response
    assert (rate.replied_member_states, rate.replied_observers, rate.sent) == (3, 1, 5)
    assert (rate.held, rate.pending, rate.late) == (1, 1, 2)  # ITA and VAT after 30 April
    assert r.response_sentence.startswith("As at 15 July 2008, three Member States")
    assert respondents_as_of(store, None, date(2008, 4, 30)) == {"FRA", "DEU"}
    assert respondents_as_of(store, None, date(2008, 3, 31)) == set()


def test_positions_follow_the_version_that_counted_on_the_date(filled):
    store, q = filled
    cont = {p.name: p for p in build_report(store, q, CUT).positions}["continue"]
    # FRA's revision (yes) is before the cut-off; DEU's (no) after it, so DEU still says yes.
    assert (cont.count, cont.base, cont.set_aside) == (3, 4, 1)
    assert cont.sentence.endswith("(3 of 4 respondents) considered that the Forum should continue.")
    later = {p.name: p for p in build_report(store, q, date(2008, 12, 31)).positions}["continue"]
    assert later.count == 2  # DEU now says no; ITA's pending 'yes' never counts
    early = {p.name: p for p in build_report(store, q, date(2008, 4, 25)).positions}["continue"]
    assert (early.count, early.base) == (1, 2)  # FRA still 'no' on 25 April


def test_member_state_base_and_coded_position(filled):
    store, q = filled
    pos = {p.name: p for p in build_report(store, q, CUT, name_states=True).positions}
    assert (pos["remit_ms"].count, pos["remit_ms"].base, pos["remit_ms"].base_kind) == (2, 193, "member_states")
    assert "Member States consulted" in pos["remit_ms"].sentence
    assert pos["regional"].coded and pos["regional"].count == 1
    assert pos["regional"].states == ("France (FRA)",)


def test_question_frequencies_and_notes(filled):
    store, q = filled
    r = build_report(store, q, CUT)
    agenda = next(x for x in r.questions if x.name == "agenda")
    assert [(c.choice, c.count) for c in agenda.rows] == [("yes", 3), ("no", 0), ("_no_answer", 0), ("_set_aside", 1)]
    assert all(c.states is None for c in agenda.rows)  # never named without --name-states
    assert any("set aside" in n for n in r.notes)
    assert any("held" in n for n in r.notes)


def test_breakdown_by_status_with_min_cell(filled):
    store, q = filled
    r = build_report(store, q, CUT, by="status", min_cell=2)
    b = r.breakdown
    assert b.kind == "roster" and b.groups == ("member", "observer")
    replied = {x["group"]: (x["replied"], x["recipients"]) for x in b.response}
    assert replied == {"member": (3, 193), "observer": (1, 2)}  # who replied is never suppressed
    cells = {(x["position"], x["group"]): x["count"] for x in b.positions}
    assert cells[("continue", "member")] == 2
    assert cells[("continue", "observer")] == "<2"
    assert b.crosstabs["agenda"]["cells"][0] == [2, "<2", 3]


def test_breakdown_by_question_is_a_cross_tab(filled):
    store, q = filled
    r = build_report(store, q, CUT, by="agenda", lang="fr")
    b = r.breakdown
    assert b.kind == "question" and b.groups[:2] == ("yes", "no")
    assert b.group_labels["yes"] == "Oui"
    topics = b.crosstabs["topics"]
    assert topics["columns"][:2] == ["yes", "no"]
    assert topics["cells"][topics["rows"].index("rights")][0] == 2  # FRA and VAT: yes + rights
    assert "agenda" not in b.crosstabs


def test_bad_by_and_missing_questionnaire(store, filled):
    with pytest.raises(UsageError, match="--by colour"):
        build_report(store, None, CUT, by="colour")
    with pytest.raises(MigqError, match="never sent from this workspace"):
        build_report(store, "other:1", CUT)
    with pytest.raises(UsageError):
        build_report(store, None, CUT, lang="de")


def test_empty_workspace_says_so(store):
    with pytest.raises(MigqError, match="no questionnaire has been sent"):
        build_report(store, None, CUT)
    register_questionnaire(store, sample_questionnaire())
    r = build_report(store, None, CUT)
    assert r.response.replied == 0
    assert r.positions[0].sentence == "No State has replied yet."
    json.loads(r.to_json())


def test_json_interface_keys(filled):
    store, q = filled
    d = json.loads(build_report(store, q, CUT, by="group").to_json())
    for key in ("as_of", "questionnaire", "recipients", "sent", "respondents", "late", "held", "pending",
                "positions", "questions", "breakdown", "notes", "schema"):
        assert key in d
    assert d["as_of"] == "2008-07-15"
    assert d["questionnaire"] == {"form_id": "hld-followup", "version": "2008.1", "title": "HLD follow-up"}
    assert d["respondents"] == {"member_states": 3, "observers": 1, "total": 4}
    p = d["positions"][0]
    assert {"name", "label", "count", "base", "base_kind", "share", "sentence", "set_aside"} <= set(p)
    assert "states" not in p
    qd = d["questions"][0]
    assert qd["counts"] == {"yes": 3, "no": 0} and qd["base"] == 4 and qd["set_aside"] == 1
    assert d["breakdown"]["by"] == "group"
