"""migq.tally on small hand-made DataFrames with known answers (no database)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from migq import tally
from migq.analysis.replies import roster_frame

D = date(2008, 7, 15)


def subs(*rows) -> pd.DataFrame:
    """(submission_id, iso3, version_no, status, received_on[, late])"""
    full = [(r + (False,))[:6] + (None,) for r in rows]
    return pd.DataFrame(full, columns=["submission_id", "iso3", "version_no", "status", "received_on",
                                       "late", "issue_id"])


def answers(*rows) -> pd.DataFrame:
    """(submission_id, question, value[, valid])"""
    return pd.DataFrame([(r + (True,))[:4] for r in rows], columns=["submission_id", "question", "value", "valid"])


@pytest.fixture(scope="module")
def roster():
    return roster_frame()


def test_reply_received_on_the_cut_off_day_counts():
    s = subs((1, "FRA", 1, "accepted", D), (2, "DEU", 1, "accepted", date(2008, 7, 16)))
    assert list(tally.counted_replies(s, D)["iso3"]) == ["FRA"]


def test_revision_after_the_cut_off_leaves_the_earlier_version_counting():
    s = subs((1, "FRA", 1, "superseded", date(2008, 4, 1)), (2, "FRA", 2, "accepted", date(2008, 8, 1)))
    counted = tally.counted_replies(s, D)
    assert counted.loc[0, "submission_id"] == 1
    assert tally.counted_replies(s, date(2008, 8, 1)).loc[0, "submission_id"] == 2


def test_revision_before_the_cut_off_counts_and_pending_never_does():
    s = subs((1, "FRA", 1, "superseded", date(2008, 4, 1)), (2, "FRA", 2, "accepted", date(2008, 5, 1)),
             (3, "FRA", 3, "revision_pending", date(2008, 6, 1)), (4, "DEU", 1, "revision_pending", date(2008, 6, 1)),
             (5, None, 1, "held", date(2008, 6, 2)), (6, "ITA", 1, "rejected_revision", date(2008, 6, 2)))
    counted = tally.counted_replies(s, D)
    assert list(counted["iso3"]) == ["FRA"]
    assert counted.loc[0, "submission_id"] == 2
    assert tally.held_and_pending(s, D) == {"held": 1, "pending": 2}
    assert tally.held_and_pending(s, date(2008, 6, 1)) == {"held": 0, "pending": 2}


def test_late_is_judged_on_the_first_accepted_reply():
    s = subs((1, "FRA", 1, "superseded", date(2008, 4, 1)), (2, "FRA", 2, "accepted", date(2008, 6, 1)),
             (3, "DEU", 1, "accepted", date(2008, 5, 2)), (4, "ITA", 1, "accepted", date(2008, 5, 2), True))
    counted = tally.counted_replies(s, D, {"FRA": date(2008, 4, 30), "DEU": date(2008, 4, 30)}).set_index("iso3")
    assert not counted.at["FRA", "late"]  # replied on time, revised later
    assert counted.at["DEU", "late"]
    assert counted.at["ITA", "late"]  # no deadline known: the stored flag


def test_response_rate_counts_member_states_and_observers_apart(roster):
    s = subs((1, "FRA", 1, "accepted", D, True), (2, "VAT", 1, "accepted", D), (3, "BRA", 1, "accepted", D))
    rate = tally.response_rate(roster, tally.counted_replies(s, D), sent=195, held=2, pending=1)
    assert (rate.recipients, rate.member_states, rate.observers) == (195, 193, 2)
    assert (rate.replied_member_states, rate.replied_observers, rate.replied) == (2, 1, 3)
    assert rate.share_of_member_states == pytest.approx(2 / 193)
    assert rate.share_of_recipients == pytest.approx(3 / 195)
    assert (rate.late, rate.held, rate.pending) == (1, 2, 1)


def _respondent_answers():
    s = subs((1, "FRA", 1, "accepted", D), (2, "DEU", 1, "accepted", D), (3, "VAT", 1, "accepted", D),
             (4, "BRA", 1, "accepted", D))
    a = answers((1, "agenda", "yes"), (2, "agenda", "maybe", False), (3, "agenda", "yes"),
                (1, "topics", "remit rights"), (2, "topics", "remit"), (3, "topics", "rights"))
    counted = tally.counted_replies(s, D)
    return tally.respondent_answers(counted, a), set(counted["iso3"])


def test_invalid_answer_is_set_aside_but_stays_in_the_base(roster):
    a, who = _respondent_answers()
    t = tally.position_tally("agenda", ["yes"], False, "respondents", a, who, roster)
    assert (t.count, t.base) == (2, 4)
    assert t.set_aside == {"DEU"} and t.no_answer == {"BRA"}
    assert t.share == 0.5


def test_member_state_base_counts_only_member_states(roster):
    a, who = _respondent_answers()
    t = tally.position_tally("agenda", ["yes"], False, "member_states", a, who, roster)
    assert t.holders == {"FRA"}  # the Holy See is an observer
    assert t.base == 193
    rec = tally.position_tally("topics", ["rights"], True, "recipients", a, who, roster)
    assert (rec.count, rec.base) == (2, 195)


def test_select_multiple_frequency_can_exceed_one_hundred_percent():
    a, who = _respondent_answers()
    f = tally.frequency("topics", ["remit", "brain", "rights"], True, a, who).set_index("choice")
    assert list(f["count"]) == [2, 0, 2, 1, 0]
    assert f.loc[["remit", "brain", "rights"], "share"].sum() == pytest.approx(1.0)
    assert f.at[tally.NO_ANSWER, "iso3s"] == ["BRA"]
    one = tally.frequency("agenda", ["yes", "no"], False, a, who).set_index("choice")
    assert one["count"].sum() == 4  # every respondent in exactly one row
    assert one.at[tally.SET_ASIDE, "count"] == 1


def test_coded_position_counts_final_codes_on_the_counting_version(roster):
    s = subs((1, "FRA", 1, "superseded", D), (2, "FRA", 2, "accepted", D), (3, "DEU", 1, "accepted", D))
    a = answers((2, "comments", "regional talks"), (3, "comments", "nothing"), (1, "comments", "old"))
    codings = pd.DataFrame([(2, "comments", "regional"), (1, "comments", "global"), (3, "comments", "global")],
                           columns=["submission_id", "question", "code"])
    counted = tally.counted_replies(s, D)
    ra = tally.respondent_answers(counted, a)
    t = tally.position_tally("comments", (), False, "respondents", ra, set(counted["iso3"]), roster,
                             codes=["global"], codings=codings)
    assert t.holders == {"DEU"}  # FRA's 'global' was on the superseded version


def test_group_counts_and_crosstab(roster):
    a, who = _respondent_answers()
    groups = tally.roster_groups(roster, "status")
    g = tally.group_counts({"FRA", "VAT"}, who, groups, ["member", "observer"]).set_index("group")
    assert (g.at["member", "count"], g.at["member", "base"]) == (1, 3)
    assert (g.at["observer", "count"], g.at["observer", "base"]) == (1, 1)
    ct = tally.crosstab("agenda", ["yes", "no"], False, a, who, groups, ["member", "observer"])
    assert ct.loc["yes"].tolist() == [1, 1, 2]
    assert ct.loc[tally.SET_ASIDE].tolist() == [1, 0, 1]
    by_answer = tally.answer_groups(a, "topics", True, who)
    assert set(by_answer.loc[by_answer["iso3"] == "FRA", "group"]) == {"remit", "rights"}


def test_suppress_small_cells():
    assert tally.suppress(2, 3) == "<3"
    assert tally.suppress(3, 3) == 3
    assert tally.suppress(0, 3, base=0) == 0
    assert tally.suppress(1, None) == 1


def test_empty_store_tallies_to_zero(roster):
    empty = subs()
    counted = tally.counted_replies(empty, D)
    assert counted.empty
    rate = tally.response_rate(roster, counted, sent=0)
    assert rate.replied == 0 and rate.share_of_recipients == 0
