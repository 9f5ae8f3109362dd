"""A report over 10,000 synthetic replies (a scale test for larger surveys) vs bare pandas.

The synthetic survey has 10,000 recipients (clones of the roster with new codes) who all
replied, some twice. migq builds the whole report (as-of selection of each recipient's counted
version, every position with its sentence, every frequency table, a breakdown by region); the
baseline does the core of that with bare pandas: latest version per recipient, then
group-by counts of answers per question and per region.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from run import side_by_side

N = 10_000


def _synthetic(q, roster):
    from migq.analysis.replies import Replies
    from migq.registry import Roster

    rng = random.Random(7)
    base = list(roster)
    recipients = [replace(base[i % len(base)], iso3=f"R{i:05d}", m49=100000 + i) for i in range(N)]
    subs, answers = [], []
    sid = 0
    for r in recipients:
        versions = 2 if rng.random() < 0.1 else 1
        for v in range(1, versions + 1):
            sid += 1
            status = "accepted" if v == versions else "superseded"
            subs.append(dict(submission_id=sid, iso3=r.iso3, version_no=v, status=status,
                             received_on=date(2008, 4, 1) + timedelta(days=rng.randrange(100)), late=False, issue_id=None))
            for question in q.closed_questions:
                if question.type == "select_one":
                    value = rng.choice(question.choice_names)
                else:
                    value = " ".join(c for c in question.choice_names if rng.random() < 0.3)
                answers.append(dict(submission_id=sid, question=question.name, value=value, valid=rng.random() > 0.01))
    replies = Replies(1, pd.DataFrame(subs), pd.DataFrame(answers),
                      pd.DataFrame(columns=["issue_id", "iso3", "sent_on", "deadline", "replaced_by"]),
                      pd.DataFrame(columns=["submission_id", "question", "code"]))
    synthetic = Roster(recipients)
    return replies, synthetic


def run():
    from migq.analysis.replies import roster_frame
    from migq.analysis.report_build import assemble
    from migq.registry import load_roster
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    q = load_questionnaire(bundled_questionnaire_path())
    replies, roster = _synthetic(q, load_roster())
    roster_df = roster_frame(roster)
    as_of = date(2008, 7, 15)

    def baseline():
        subs = replies.submissions
        counted = subs[(subs.received_on <= as_of) & subs.status.isin(["accepted", "superseded"])]
        latest = counted.sort_values("version_no").groupby("iso3").tail(1)
        a = replies.answers.merge(latest[["submission_id", "iso3"]], on="submission_id")
        a = a[a.valid]
        multi = a.assign(value=a.value.str.split()).explode("value")
        multi.groupby(["question", "value"]).size()
        multi.merge(roster_df[["iso3", "region"]], on="iso3").groupby(["region", "question", "value"]).size()

    def migq_report():
        assemble(q, replies, roster_df, roster, as_of, "en", "region", False, None)

    base, ours = side_by_side(baseline, migq_report)
    yield f"replies: {len(replies.submissions):,} versions from {N:,} recipients; answers: {len(replies.answers):,}"
    yield f"bare pandas group-by: {base:.3f} s"
    yield f"migq report (all positions, sentences, frequencies, by region): {ours:.3f} s"
    yield f"ratio migq/baseline: {ours / base:.2f}x"
