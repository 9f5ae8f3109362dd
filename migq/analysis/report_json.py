"""The report's JSON interface (docs/report.md, "JSON interface"): stable keys, version 1."""

from __future__ import annotations

from migq import tally

SCHEMA = "migq.report/1"


def _position(p, name_states: bool) -> dict:
    d = {"name": p.name, "label": p.label, "question": p.question, "count": p.count, "base": p.base,
         "base_kind": p.base_kind, "share": p.share, "sentence": p.sentence, "quantifier": p.quantifier,
         "kind": p.kind, "exact": p.exact, "set_aside": p.set_aside, "no_answer": p.no_answer,
         "coded": p.coded}
    if name_states:
        d["states"] = list(p.states or ())
    return d


def _question(q, name_states: bool) -> dict:
    choices = [r for r in q.rows if r.choice not in (tally.NO_ANSWER, tally.SET_ASIDE)]
    d = {"name": q.name, "label": q.label, "type": q.type, "base": q.base,
         "counts": {r.choice: r.count for r in choices},
         "shares": {r.choice: r.share for r in choices},
         "labels": {r.choice: r.label for r in choices},
         "no_answer": q.row(tally.NO_ANSWER).count, "set_aside": q.row(tally.SET_ASIDE).count}
    if name_states:
        d["states"] = {r.choice: list(r.states or ()) for r in q.rows}
    return d


def _breakdown(b) -> dict:
    return {"by": b.by, "kind": b.kind, "label": b.label, "groups": list(b.groups),
            "group_labels": dict(b.group_labels), "response": [dict(r) for r in b.response],
            "positions": [dict(r) for r in b.positions],
            "crosstabs": {k: {**v, "columns": [c if c != tally.TOTAL else "total" for c in v["columns"]]}
                          for k, v in b.crosstabs.items()}}


def report_dict(report) -> dict:
    r = report.response
    return {
        "schema": SCHEMA,
        "as_of": report.as_of.isoformat(),
        "lang": report.lang,
        "questionnaire": {"form_id": report.form_id, "version": report.version, "title": report.title},
        "recipients": r.recipients,
        "member_states": r.member_states,
        "observers": r.observers,
        "sent": r.sent,
        "respondents": {"member_states": r.replied_member_states, "observers": r.replied_observers,
                        "total": r.replied},
        "shares": {"of_member_states": r.share_of_member_states, "of_recipients": r.share_of_recipients},
        "late": r.late,
        "held": r.held,
        "pending": r.pending,
        "response_sentence": report.response_sentence,
        "positions": [_position(p, report.name_states) for p in report.positions],
        "questions": [_question(q, report.name_states) for q in report.questions],
        "breakdown": _breakdown(report.breakdown) if report.breakdown else None,
        "min_cell": report.min_cell,
        "name_states": report.name_states,
        "notes": list(report.notes),
    }
