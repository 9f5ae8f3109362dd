"""The report as plain tables (title, headers, typed cells): what every renderer lays out.

Cell kinds: 'text'; 'int' (an int, or '<N' for a cell suppressed by --min-cell); 'share' (a
float in 0..1 or None). Renderers format shares themselves (percent text, or a number format).
"""

from __future__ import annotations

from dataclasses import dataclass

from migq import tally


@dataclass(frozen=True)
class Table:
    key: str  # stable: response, positions, question:NAME, by:response, by:positions, by:question:NAME
    title: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple, ...]


def _states(states) -> str:
    return "; ".join(states or ())


def response_table(report) -> Table:
    r, t = report.response, report.t
    obs_share = tally.share(r.replied_observers, r.observers)
    rows = (
        (t("recipients"), r.recipients, None),
        (t("sent"), r.sent, None),
        (t("replied_ms"), r.replied_member_states, r.share_of_member_states),
        (t("replied_obs"), r.replied_observers, obs_share),
        (t("replied_all"), r.replied, r.share_of_recipients),
        (t("late"), r.late, None),
        (t("held_pending"), r.held + r.pending, None),
    )
    return Table("response", t("response"), (t("measure"), t("number"), t("share")),
                 ("text", "int", "share"), rows)


def positions_table(report) -> Table:
    t = report.t
    columns = [t("position"), t("count"), t("base"), t("base_kind"), t("share"), t("set_aside")]
    kinds = ["text", "int", "int", "text", "share", "int"]
    if report.name_states:
        columns.append(t("states"))
        kinds.append("text")
    rows = []
    for p in report.positions:
        row = [p.label + (" *" if p.coded else ""), p.count, p.base, t(f"base_{p.base_kind}"), p.share, p.set_aside]
        if report.name_states:
            row.append(_states(p.states))
        rows.append(tuple(row))
    return Table("positions", t("positions"), tuple(columns), tuple(kinds), tuple(rows))


def question_table(report, q) -> Table:
    t = report.t
    columns, kinds = [t("choice"), t("count"), t("share")], ["text", "int", "share"]
    if report.name_states:
        columns.append(t("states"))
        kinds.append("text")
    rows = []
    for r in q.rows:
        row = [r.label, r.count, r.share]
        if report.name_states:
            row.append(_states(r.states))
        rows.append(tuple(row))
    return Table(f"question:{q.name}", t("question", label=q.label), tuple(columns), tuple(kinds), tuple(rows))


def breakdown_tables(report) -> list[Table]:
    b, t = report.breakdown, report.t
    labels = b.group_labels
    tables = []
    if b.response:
        rows = tuple((labels[r["group"]], r["recipients"], r["replied"], r["share"]) for r in b.response)
        tables.append(Table("by:response", t("by_response", by=b.label),
                            (t("group"), t("recipients").split(" (")[0], t("replied"), t("share")),
                            ("text", "int", "int", "share"), rows))
    names = {p.name: p.label for p in report.positions}
    rows = tuple((names[r["position"]], labels[r["group"]], r["count"], r["base"], r["share"]) for r in b.positions)
    if rows:
        tables.append(Table("by:positions", t("by_positions", by=b.label),
                            (t("position"), t("group"), t("count"), t("base"), t("share")),
                            ("text", "text", "int", "int", "share"), rows))
    questions = {q.name: q for q in report.questions}
    for name, ct in b.crosstabs.items():
        columns = [t("choice")] + [labels.get(c, t("total")) if c != tally.TOTAL else t("total")
                                   for c in ct["columns"]]
        rows = tuple((label, *cells) for label, cells in zip(ct["row_labels"], ct["cells"]))
        tables.append(Table(f"by:question:{name}", t("by_question", label=questions[name].label, by=b.label),
                            tuple(columns), ("text",) + ("int",) * (len(columns) - 1), rows))
    return tables


def report_tables(report) -> list[Table]:
    tables = [response_table(report)]
    if report.positions:
        tables.append(positions_table(report))
    tables += [question_table(report, q) for q in report.questions]
    if report.breakdown:
        tables += breakdown_tables(report)
    return tables
