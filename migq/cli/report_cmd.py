"""migq report (tallies as of a date, in every format) and migq map (the map of respondents)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, handle_errors, parse_date_option

FORMATS = ("table", "markdown", "html", "xlsx", "docx", "csv", "json")
BINARY_FORMATS = ("xlsx", "docx")
SUFFIXES = {".txt": "table", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
            ".xlsx": "xlsx", ".docx": "docx", ".csv": "csv", ".json": "json"}


def choose_format(fmt: Optional[str], out: Optional[Path]) -> str:
    """--format, else the -o suffix, else table; binary formats need -o."""
    if fmt:
        chosen = fmt.strip().lower()
        if chosen not in FORMATS:
            raise typer.BadParameter(f"'{fmt}' is not a report format; use one of {', '.join(FORMATS)}.",
                                     param_hint="--format")
    elif out is not None:
        chosen = SUFFIXES.get(out.suffix.lower())
        if chosen is None:
            raise typer.BadParameter(f"cannot tell the format from '{out.name}'; add --format "
                                     f"({', '.join(FORMATS)}) or use a suffix such as .xlsx or .md.",
                                     param_hint="-o")
    else:
        chosen = "table"
    if chosen in BINARY_FORMATS and out is None:
        raise typer.BadParameter(f"the {chosen} format writes a file: add -o report.{chosen}.",
                                 param_hint="--format")
    return chosen


def write_report(report, fmt: str, out: Optional[Path]) -> None:

    if fmt == "table" and out is None:
        from migq.render.table import print_report

        print_report(report, console)
        return
    if fmt == "xlsx":
        from migq.render.xlsx import write_xlsx

        write_xlsx(report, out)
        return
    if fmt == "docx":
        from migq.render.docx import write_docx

        write_docx(report, out)
        return
    if fmt == "table":
        from migq.render.table import to_text as render
    elif fmt == "markdown":
        from migq.render.markdown import to_markdown as render
    elif fmt == "html":
        from migq.render.html import to_html as render
    elif fmt == "csv":
        from migq.render.csvjson import to_csv as render
    else:
        from migq.render.csvjson import to_json as render
    text = render(report)
    if out is None:
        console.file.write(text)
        console.file.flush()
        return
    from migq.files import write_output

    # CSV gets a BOM so that Excel opens it as UTF-8; bytes are written as rendered (CRLF kept).
    write_output(out, text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", app="Excel" if fmt == "csv" else None)


@app.command()
@handle_errors
def report(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Count replies received up to this date (YYYY-MM-DD). Default: today."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en, fr or es."),
    by: Optional[str] = typer.Option(None, "--by", help="Break down by region, subregion, group, status, or a closed question's name."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table, markdown, html, xlsx, docx, csv or json. Default: from the -o suffix, else table.", show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file (required for xlsx and docx)."),
    name_states: bool = typer.Option(False, "--name-states", help="List the States behind each count (tables never name States otherwise)."),
    min_cell: Optional[int] = typer.Option(None, "--min-cell", help="Show breakdown cells below N as <N.", min=1),
    questionnaire: Optional[str] = typer.Option(None, "--questionnaire", "-q", help="FORM_ID:VERSION. Default: the latest registered questionnaire."),
    db: Optional[str] = DbOption,
) -> None:
    """Tally the governments' positions as of a date: response rate, positions with their report
    sentences, answers to every closed question, and breakdowns (see docs/report.md)."""
    import datetime as dt

    from migq.report import LANGS, build_report
    from migq.store import open_store

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    if lang not in LANGS:
        raise typer.BadParameter(f"'{lang}' is not a report language; use en, fr or es.", param_hint="--lang")
    chosen = choose_format(fmt, out)
    with open_store(db) as store:
        result = build_report(store, questionnaire, day, lang=lang, by=by, name_states=name_states,
                              min_cell=min_cell)
    write_report(result, chosen, out)
    if out is not None:
        console.print(f"Wrote {out} ({chosen}).", highlight=False)


@app.command("map")
@handle_errors
def map_command(
    out: Path = typer.Option(..., "--out", "-o", help="The map file: .png, .svg or .pdf."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Show the States that had replied by this date (YYYY-MM-DD). Default: today."),
    lang: str = typer.Option("en", "--lang", help="Language of the title and legend: en, fr or es."),
    replied_color: Optional[str] = typer.Option(None, "--replied-color", help="Fill of the States that replied (e.g. '#9e9e9e')."),
    questionnaire: Optional[str] = typer.Option(None, "--questionnaire", "-q", help="FORM_ID:VERSION. Default: the latest registered questionnaire."),
    db: Optional[str] = DbOption,
) -> None:
    """Draw the world map of the States that had replied by a date (as in A/63/265)."""
    import datetime as dt
    from dataclasses import replace

    from migq.errors import MigqError

    try:
        from migq.render.map import MapStyle, draw_response_map
    except ImportError as err:
        raise MigqError(f"the map is not available in this installation ({err}).",
                        hint="Use 'migq report --format html' for the tables meanwhile.") from err
    from migq.registry import load_roster
    from migq.report import respondents_as_of
    from migq.store import open_store

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    if lang not in ("en", "fr", "es"):
        raise typer.BadParameter(f"'{lang}' is not a map language; use en, fr or es.", param_hint="--lang")
    style = MapStyle(lang=lang)
    if replied_color:
        from matplotlib.colors import is_color_like

        if not is_color_like(replied_color):
            raise typer.BadParameter(f"'{replied_color}' is not a colour; write e.g. '#9e9e9e' or grey.",
                                     param_hint="--replied-color")
        style = replace(style, replied_color=replied_color)
    with open_store(db) as store:
        replied = respondents_as_of(store, questionnaire, day)
    states = {r.iso3: r.m49 for r in load_roster()}
    draw_response_map(states, replied, day, out, style=style)
    console.print(f"Wrote {out}: {len(replied)} recipients had replied by {day.isoformat()}.", highlight=False)
