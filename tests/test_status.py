"""migq.followup.status and timeline on small known data, on SQLite and PostgreSQL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from sqlalchemy import insert

from migq.errors import MigqError, UsageError
from migq.followup import status as st
from migq.followup.contacts_log import record_contact
from migq.followup.timeline import reply_timeline, sparkline, text_lines, timeline_from_statuses, write_chart
from migq.store import schema
from storetools import add_reply, register_questionnaire, sample_questionnaire, send_forms

SENT = date(2008, 3, 18)
DEADLINE = date(2008, 4, 30)


def add_problem(store, submission_id, severity="error", resolved=False):
    with store.write() as conn:
        conn.execute(insert(schema.problems).values(
            submission_id=submission_id, code="x", severity=severity, message="m", resolved=resolved))


@pytest.fixture
def known(store):
    """FRA replied; DEU replied with an open error; ITA v1 then a late v2; ESP has a revision
    pending; GBR only a held file; USA sent, silent; KEN sent after 20 April; BRA never sent."""
    qid = register_questionnaire(store, sample_questionnaire())
    send_forms(store, qid, ["FRA", "DEU", "ITA", "ESP", "GBR", "USA"], sent_on=SENT, deadline=DEADLINE)
    send_forms(store, qid, ["KEN"], sent_on=date(2008, 5, 5), deadline=DEADLINE, language="fr")
    add_reply(store, qid, "FRA", {"agenda": "yes"}, date(2008, 4, 10))
    deu = add_reply(store, qid, "DEU", {"agenda": "no"}, date(2008, 4, 12))
    add_problem(store, deu)
    add_problem(store, deu, resolved=True)
    add_problem(store, deu, severity="warning")
    add_reply(store, qid, "ITA", {}, date(2008, 4, 5), status="superseded")
    ita2 = add_reply(store, qid, "ITA", {}, date(2008, 5, 10), status="accepted", version_no=2, late=True)
    add_problem(store, ita2, resolved=True)
    add_reply(store, qid, "ESP", {}, date(2008, 4, 20))
    add_reply(store, qid, "ESP", {}, date(2008, 5, 2), status="revision_pending", version_no=2)
    add_reply(store, qid, "GBR", {}, date(2008, 4, 25), status="held")
    return qid


def by_iso(rows):
    return {r.iso3: r for r in rows}


def test_states_for_each_case(store, known):
    rows = by_iso(st.recipient_statuses(store, known, as_of=date(2008, 5, 31)))
    assert len(rows) == 195
    expected = {"FRA": "replied", "DEU": "replied with problems", "ITA": "replied",
                "ESP": "revision pending", "GBR": "held", "USA": "sent", "KEN": "sent", "BRA": "not sent"}
    assert {k: rows[k].state for k in expected} == expected
    assert rows["DEU"].open_problems == 1  # the resolved error and the warning do not count
    assert (rows["ITA"].versions, rows["ITA"].counted_version, rows["ITA"].late) == (2, 2, False)
    assert (rows["ITA"].first_reply, rows["ITA"].last_reply) == (date(2008, 4, 5), date(2008, 5, 10))
    assert rows["KEN"].language == "fr" and rows["KEN"].sent_on == date(2008, 5, 5)
    assert rows["GBR"].held == 1 and rows["GBR"].versions == 0


def test_as_of_an_earlier_date(store, known):
    rows = by_iso(st.recipient_statuses(store, known, as_of=date(2008, 4, 20)))
    assert rows["ITA"].state == "replied" and rows["ITA"].counted_version == 1
    assert rows["ESP"].state == "replied"  # the revision came later
    assert rows["GBR"].state == "sent"  # the held file came later
    assert rows["KEN"].state == "not sent"
    assert st.recipient_statuses(store, known, as_of=date(2008, 3, 1))[0].state == "not sent"


def test_last_contact_as_of(store, known):
    record_contact(store, "USA", "phone", "will reply next week", date(2008, 4, 1))
    record_contact(store, "USA", "meeting", "met the mission", date(2008, 4, 15))
    early = by_iso(st.recipient_statuses(store, known, as_of=date(2008, 4, 10)))["USA"]
    late = by_iso(st.recipient_statuses(store, known, as_of=date(2008, 5, 1)))["USA"]
    assert early.last_contact.note == "will reply next week"
    assert (late.last_contact.channel, late.last_contact.on_date) == ("meeting", date(2008, 4, 15))
    assert late.to_row()["last_contact"] == "2008-04-15"


def test_filters_and_totals(store, known):
    rows = st.recipient_statuses(store, known, as_of=date(2008, 5, 31))
    assert [r.iso3 for r in st.filter_statuses(rows, states=["replied"])] == ["FRA", "ITA"]
    assert [r.iso3 for r in st.filter_statuses(rows, states=["problems", "held"])] == ["DEU", "GBR"]
    weog_sent = st.filter_statuses(rows, states=["sent"], group="weog")
    assert [r.iso3 for r in weog_sent] == []  # USA is in no group
    assert [r.iso3 for r in st.filter_statuses(rows, states=["sent"], region="Americas")] == ["USA"]
    with pytest.raises(UsageError):
        st.filter_statuses(rows, states=["answered-ish"])

    regions = {r["region"]: r for r in st.totals(rows, "region")}
    assert regions["Europe"]["recipients"] == 44
    assert (regions["Europe"]["forms sent"], regions["Europe"]["answered"], regions["Europe"]["held"]) == (5, 4, 1)
    assert regions["Europe"]["rate"] == 0.8
    assert (regions["Africa"]["forms sent"], regions["Africa"]["answered"]) == (1, 0)
    assert regions["Total"]["recipients"] == 195 and regions["Total"]["forms sent"] == 7
    assert regions["Total"]["not sent"] == 188
    groups = {r["group"]: r for r in st.totals(rows, "group")}
    assert groups["Western European and others"]["answered"] == 4
    assert groups["(no group)"]["forms sent"] == 1  # USA


def test_resolve_questionnaire(store, known):
    assert st.resolve_questionnaire(store, None)[0] == known
    assert st.resolve_questionnaire(store, "hld-followup:2008.1")[0] == known
    with pytest.raises(MigqError, match="never sent"):
        st.resolve_questionnaire(store, "hld-followup:1999")
    with pytest.raises(UsageError):
        st.resolve_questionnaire(store, "hld-followup")


def test_no_questionnaire_registered(store):
    with pytest.raises(MigqError, match="migq send"):
        st.resolve_questionnaire(store, None)


def test_timeline_counts_first_replies(store, known):
    tl = reply_timeline(store, known, as_of=date(2008, 5, 31))
    # ITA 5 Apr, FRA 10 Apr, DEU 12 Apr, ESP 20 Apr; the held GBR file does not count.
    assert tl.points == ((date(2008, 4, 5), 1), (date(2008, 4, 10), 2), (date(2008, 4, 12), 3),
                         (date(2008, 4, 20), 4))
    assert (tl.deadline, tl.sent, tl.by_deadline(), tl.total) == (DEADLINE, 7, 4, 4)
    weeks = tl.weeks()
    assert weeks[0][0] == date(2008, 3, 17) and weeks[0][0].weekday() == 0
    assert len(sparkline(tl)) == len(weeks)
    lines = text_lines(tl, lang="fr")
    assert len(lines) == len(weeks)
    marked = [line for line in lines if "Date limite" in line]
    assert len(marked) == 1 and "2008-04-28" in marked[0]


def test_chart_png_and_svg(store, known, tmp_path):
    import matplotlib.image as mpimg

    tl = reply_timeline(store, known, as_of=date(2008, 5, 31))
    png = write_chart(tl, tmp_path / "charts" / "replies.png")
    img = mpimg.imread(png)
    assert img.shape[0] > 100 and img.shape[1] > 100
    svg = write_chart(tl, tmp_path / "replies.svg", lang="fr")
    text = "".join(ET.parse(svg).getroot().itertext())
    assert "Date limite" in text and "Réponses cumulées" in text
    with pytest.raises(UsageError, match=".png or .svg"):
        write_chart(tl, tmp_path / "replies.gif")


def test_empty_timeline_still_draws(tmp_path):
    tl = timeline_from_statuses([], as_of=date(2008, 4, 1), deadline=DEADLINE)
    assert tl.total == 0 and tl.by_deadline() == 0
    assert write_chart(tl, tmp_path / "empty.png").stat().st_size > 0
