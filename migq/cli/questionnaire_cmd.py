"""``migq questionnaire check|show|xlsform``: inspect and convert questionnaire definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import app, console, escape, handle_errors, out_option

questionnaire_app = typer.Typer(
    help="Check, show and convert questionnaire definitions (XLSForm .xlsx or YAML).",
    no_args_is_help=True,
)
app.add_typer(
    questionnaire_app,
    name="questionnaire",
    help="Check, show and convert questionnaire definitions (XLSForm .xlsx or YAML).",
)

FILE_HELP = "Definition file (.xlsx or .yaml). Default: the bundled 2008 HLD follow-up questionnaire."


def _definition(file: Optional[Path]) -> Path:
    from migq.xlsform import bundled_questionnaire_path

    return file if file is not None else bundled_questionnaire_path()


@questionnaire_app.command("check")
@handle_errors
def check(file: Optional[Path] = typer.Argument(None, help=FILE_HELP, show_default=False)) -> None:
    """Check a definition and list every mistake at once (sheet, row, column, what, fix).

    Exits 1 if there is any error, 0 otherwise (warnings alone do not fail).
    """
    from rich.table import Table

    from migq.xlsform import check_questionnaire

    path = _definition(file)
    questionnaire, problems = check_questionnaire(path)
    if problems:
        table = Table(title=f"{escape(str(path))}: {len(problems)} problem(s)", show_lines=False)
        for column in ("sheet", "row", "column", "problem", "fix"):
            table.add_column(column, overflow="fold")
        for p in problems:
            text = p.message if p.is_error else f"{p.severity.value}: {p.message}"
            table.add_row(escape(p.sheet or ""), str(p.row or ""), escape(p.column or ""), escape(text), escape(p.hint))
        console.print(table)
    if questionnaire is None:
        raise typer.Exit(1)
    console.print(
        f"OK: {len(questionnaire.questions)} questions, {len(questionnaire.positions)} positions, "
        f"languages {escape(' '.join(questionnaire.languages))}",
        highlight=False,
    )


@questionnaire_app.command("show")
@handle_errors
def show(
    file: Optional[Path] = typer.Argument(None, help=FILE_HELP, show_default=False),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the labels, e.g. en, fr, es. Default: the form's default language."),
    output_format: str = typer.Option("text", "--format", help="text (a readable outline) or json (the whole model)."),
) -> None:
    """Show a questionnaire as an outline: groups, numbered questions, choices and rules."""
    import json

    from migq.xlsform import load_questionnaire, questionnaire_to_dict

    if output_format not in ("text", "json"):
        raise typer.BadParameter(f"'{output_format}' is not a format; use text or json.", param_hint="--format")
    questionnaire = load_questionnaire(_definition(file))
    if lang is not None and lang not in questionnaire.languages:
        declared = ", ".join(questionnaire.languages)
        raise typer.BadParameter(f"the form has no labels in '{lang}'; use one of: {declared}.", param_hint="--lang")
    if output_format == "json":
        typer.echo(json.dumps(questionnaire_to_dict(questionnaire), ensure_ascii=False, indent=2))
        return
    for line in outline(questionnaire, lang or questionnaire.default_language):
        console.print(line, highlight=False, soft_wrap=True)


def outline(q, lang: str) -> list[str]:
    """Rich-markup lines describing the questionnaire in ``lang``."""
    fallback = q.default_language
    deadline = f", deadline {q.deadline.isoformat()}" if q.deadline else ""
    lines = [f"[bold]{escape(q.title(lang))}[/]",
             f"[dim]{escape(q.form_id)} version {escape(q.version)}{deadline}; languages {escape(' '.join(q.languages))}[/]", ""]
    depth, number = 0, 0
    for item in q.items:
        pad = "  " * depth
        if item.type == "begin_group":
            lines.append(f"{pad}[bold]{escape(item.label(lang, fallback))}[/] [dim]({escape(item.name)})[/]")
            depth += 1
            continue
        if item.type == "end_group":
            depth = max(0, depth - 1)
            continue
        if item.type == "note":
            lines.append(f"{pad}[italic]{escape(item.label(lang, fallback))}[/]")
            continue
        number += 1
        required = " [red]*[/]" if item.required else ""
        lines.append(f"{pad}{number}. {escape(item.label(lang, fallback))}{required} "
                     f"[dim]\\[{escape(item.type)}] {escape(item.name)}[/]")
        if item.hint(lang, fallback):
            lines.append(f"{pad}   [dim]{escape(item.hint(lang, fallback))}[/]")
        for choice in item.choices:
            lines.append(f"{pad}   - {escape(choice.name)}: {escape(choice.label(lang, fallback))}")
        if item.relevant:
            lines.append(f"{pad}   [dim]only if {escape(item.relevant)}[/]")
        if item.constraint:
            lines.append(f"{pad}   [dim]rule: {escape(item.constraint)}[/]")
    if q.positions:
        lines += ["", "[bold]Positions[/]"]
        for p in q.positions:
            counted = " ".join(p.codes or p.choices)
            lines.append(f"  {escape(p.name)}: {escape(p.label(lang, fallback))} "
                         f"[dim]({escape(p.question)}: {escape(counted)}; base {p.base})[/]")
    if q.codes:
        lines += ["", "[bold]Codebook[/]"]
        for c in q.codes:
            lines.append(f"  {escape(c.code)}: {escape(c.label(lang, fallback))} [dim](on {escape(' '.join(c.questions))})[/]")
    lines.append("")
    lines.append("[dim]* required[/]")
    return lines


@questionnaire_app.command("xlsform")
@handle_errors
def xlsform(
    file: Optional[Path] = typer.Argument(None, help=FILE_HELP, show_default=False),
    out: Optional[Path] = out_option(None, help="Workbook to write (.xlsx). Default: FORM_ID-VERSION.xlsx here.", show_default=False),
) -> None:
    """Write the definition as an XLSForm workbook, to edit in Excel or deploy to KoboToolbox."""
    from migq.xlsform import load_questionnaire, write_xlsform

    if out is not None and out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"'{out}' does not end in .xlsx.", param_hint="-o")
    questionnaire = load_questionnaire(_definition(file))
    target = out or Path(f"{questionnaire.key}.xlsx")
    write_xlsform(questionnaire, target)
    console.print(f"Wrote {escape(str(target))} ({len(questionnaire.questions)} questions, {len(questionnaire.positions)} positions).",
                  highlight=False, soft_wrap=True)
