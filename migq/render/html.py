"""The report as one self-contained, printable HTML page (inline CSS, inline SVG map)."""

from __future__ import annotations

import base64
from html import escape

from migq.render.cells import format_cell, response_map

CSS = """
:root { color-scheme: light; }
body { font-family: "Times New Roman", Times, serif; color: #111; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1rem; margin: 1.5rem 0 .4rem; }
p.sub { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: .3rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #999; padding: .2rem .5rem; vertical-align: top; }
th { background: #e8e8e8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.map { margin: 1rem 0; }
figure.map svg, figure.map img { width: 100%; height: auto; }
.notes { font-size: .85rem; color: #333; }
.missing { font-style: italic; color: #666; }
@page { size: A4; margin: 18mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2, h3 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  th { background: #e8e8e8 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def table_html(table, lang: str) -> str:
    head = "".join(f"<th scope=\"col\">{escape(c)}</th>" for c in table.columns)
    body = []
    opening = {k: "<td>" if k == "text" else '<td class="num">' for k in set(table.kinds)}
    for row in table.rows:
        cells = "".join(f"{opening[k]}{escape(format_cell(v, k, lang))}</td>"
                        for v, k in zip(row, table.kinds))
        body.append(f"<tr>{cells}</tr>")
    key = escape(table.key)
    return (f"<h3>{escape(table.title)}</h3>\n<table data-table=\"{key}\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _map_figure(report, with_map: bool) -> str:
    if not with_map:
        return ""
    svg, why = response_map(report, "svg")
    if svg is None:
        return f"<p class=\"missing\">{escape(report.t('map_missing', why=why))}</p>"
    text = svg.decode("utf-8")
    start = text.find("<svg")
    if start < 0:  # not the SVG we expect: embed it as an image instead of as markup
        data = base64.b64encode(svg).decode("ascii")
        return f"<figure class=\"map\"><img alt=\"{escape(report.t('map'))}\" src=\"data:image/svg+xml;base64,{data}\"></figure>"
    return f"<figure class=\"map\" aria-label=\"{escape(report.t('map'))}\">{text[start:]}</figure>"


def to_html(report, with_map: bool = True) -> str:
    parts = [
        "<!DOCTYPE html>",
        f"<html lang=\"{report.lang}\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>{escape(report.heading)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(report.heading)}</h1>",
        f"<p class=\"sub\">{escape(report.title)} ({escape(report.form_id)} {escape(report.version)})</p>",
        f"<p class=\"response\">{escape(report.response_sentence)}</p>",
        _map_figure(report, with_map),
    ]
    if report.positions:
        parts.append(f"<h2>{escape(report.t('positions'))}</h2>")
        parts += [f"<p class=\"sentence\" data-position=\"{escape(p.name)}\">{escape(p.sentence)}"
                  f"{' *' if p.coded else ''}</p>" for p in report.positions]
    parts.append(f"<h2>{escape(report.t('tables'))}</h2>")
    parts += [table_html(t, report.lang) for t in report.tables()]
    if report.notes:
        parts.append("<div class=\"notes\"><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes)
                     + "</ul></div>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
