"""The report on the terminal with rich: the sentences, then each table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from migq.render.cells import format_cell


def rich_table(table, lang: str) -> RichTable:
    out = RichTable(title=table.title, title_justify="left", title_style="bold")
    for column, kind in zip(table.columns, table.kinds):
        out.add_column(column, justify="left" if kind == "text" else "right",
                       overflow="fold", max_width=60 if kind == "text" else None)
    for row in table.rows:
        out.add_row(*(format_cell(v, k, lang) for v, k in zip(row, table.kinds)))
    return out


def print_report(report, console: Console) -> None:
    console.print(f"[bold]{report.heading}[/]", highlight=False)
    console.print(f"{report.title} ({report.form_id} {report.version})", highlight=False, markup=False)
    console.print()
    console.print(report.response_sentence, highlight=False, markup=False)
    console.print()
    for p in report.positions:
        console.print(f"• {p.sentence}" + (" *" if p.coded else ""), highlight=False, markup=False)
    if report.positions:
        console.print()
    for table in report.tables():
        console.print(rich_table(table, report.lang))
        console.print()
    for note in report.notes:
        console.print(f"[dim]{note}[/]", highlight=False)


def to_text(report, width: int = 120) -> str:
    """The terminal rendering as plain text (for -o report.txt)."""
    import io

    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=width, color_system=None, force_terminal=False))
    return buffer.getvalue()
