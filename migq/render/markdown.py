"""The report as Markdown: headings, the sentences as paragraphs, pipe tables."""

from __future__ import annotations

from migq.render.cells import format_cell


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_markdown(table, lang: str) -> str:
    head = "| " + " | ".join(_escape(c) for c in table.columns) + " |"
    align = "|" + "|".join("---" if k == "text" else "---:" for k in table.kinds) + "|"
    body = ["| " + " | ".join(_escape(format_cell(v, k, lang)) for v, k in zip(row, table.kinds)) + " |"
            for row in table.rows]
    return "\n".join([head, align, *body])


def to_markdown(report) -> str:
    lines = [f"# {report.heading}", "", f"*{report.title}* ({report.form_id} {report.version})", "",
             report.response_sentence, ""]
    if report.positions:
        lines += [f"## {report.t('positions')}", ""]
        lines += [f"- {p.sentence}" + (" \\*" if p.coded else "") for p in report.positions] + [""]
    for table in report.tables():
        lines += [f"### {table.title}", "", table_markdown(table, report.lang), ""]
    if report.notes:
        lines += [f"- *{_escape(note)}*" for note in report.notes] + [""]
    return "\n".join(lines)
