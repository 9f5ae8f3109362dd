"""migq code export/import/agreement/adjudicate, and migq export (data for statisticians)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from migq.cli.common import DbOption, app, console, err_console, escape, handle_errors, out_option, parse_date_option

code_app = typer.Typer(help="Code free-text answers: coding sheets out and back, intercoder agreement, "
                            "adjudication of the final codes the report counts.", no_args_is_help=True)
app.add_typer(code_app, name="code")

QuestionnaireOption = typer.Option(None, "--questionnaire", help="FORM_ID:VERSION (default: the only or latest one sent).")
AsOfOption = typer.Option(None, "--as-of", help="Count the replies received by this date, YYYY-MM-DD (default: today).")


def _pick(store, spec):
    from migq.report import pick_questionnaire

    return pick_questionnaire(store, spec)


def _print_problems(problems, title: str) -> None:
    from rich.table import Table

    table = Table(header_style="bold", title=title, title_justify="left")
    for column in ("File", "Sheet", "Row", "Column", "Problem", "Fix"):
        table.add_column(column, overflow="fold")
    for p in problems:
        table.add_row(escape(p.file or ""), escape(p.sheet or ""), "" if p.row is None else str(p.row),
                      escape(p.column or ""), escape(p.message), escape(p.hint))
    err_console.print(table)


@code_app.command("export")
@handle_errors
def code_export(
    output: Path = out_option(..., help="The coding sheet to write (.xlsx)."),
    coder: Optional[str] = typer.Option(None, "--coder", help="Who will code this sheet (required unless --adjudication)."),
    question: Optional[List[str]] = typer.Option(None, "--question", help="Only this question (repeat for several)."),
    as_of: Optional[str] = AsOfOption,
    blind: bool = typer.Option(False, "--blind", help="Hide the recipients: rows show only an opaque key, in a shuffled order."),
    adjudication: bool = typer.Option(False, "--adjudication", help="Write the adjudication sheet: coded answers, disagreements first."),
    questionnaire: Optional[str] = QuestionnaireOption,
    db: Optional[str] = DbOption,
) -> None:
    """Write a coding sheet: one row per free-text answer, one 1/0 dropdown column per code."""
    from migq.coding import export_coding_sheet
    from migq.store import open_store

    day = parse_date_option(as_of, "--as-of")
    if not coder and not adjudication:
        raise typer.BadParameter("name the coder of this sheet, e.g. --coder alice.", param_hint="--coder")
    if output.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"'{output.name}' must end in .xlsx.", param_hint="-o")
    with open_store(db) as store:
        qid, q = _pick(store, questionnaire)
        done = export_coding_sheet(store, qid, q, output, coder or store.actor, questions=question or None,
                                   as_of=day, blind=blind, adjudication=adjudication)
    kind = "Adjudication sheet" if adjudication else f"Coding sheet for {done.coder}"
    console.print(f"{escape(kind)}: {done.rows} answers ({done.prefilled} already coded) written to "
                  f"{escape(str(output))}.", highlight=False)


def _import(file: Path, coder: Optional[str], role: str, db: Optional[str]) -> None:
    from migq.coding import import_coding_sheet
    from migq.store import open_store

    if not file.exists():
        raise typer.BadParameter(f"'{file}' does not exist.", param_hint="FILE")
    with open_store(db) as store:
        result = import_coding_sheet(store, file, coder=coder, role=role)
    if not result.ok:
        _print_problems(result.problems, f"Problems in {escape(file.name)} (nothing was stored)")
        raise typer.Exit(1)
    s = result.summary
    console.print(f"{escape(file.name)}: {result.rows} coded answers from {escape(result.coder)}; "
                  f"{s.added} new decisions, {s.changed} changed (the earlier ones kept as history), "
                  f"{s.unchanged} unchanged.", highlight=False)


@code_app.command("import")
@handle_errors
def code_import(
    file: Path = typer.Argument(..., help="A coding sheet returned by a coder."),
    coder: Optional[str] = typer.Option(None, "--coder", help="Check that the sheet is this coder's."),
    db: Optional[str] = DbOption,
) -> None:
    """Store the codes of a returned coding sheet: all of them, or none if any problem is found."""
    _import(file, coder, "coder", db)


@code_app.command("agreement")
@handle_errors
def code_agreement(
    question: Optional[List[str]] = typer.Option(None, "--question", help="Only this question (repeat for several)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    as_of: Optional[str] = AsOfOption,
    questionnaire: Optional[str] = QuestionnaireOption,
    db: Optional[str] = DbOption,
) -> None:
    """Intercoder agreement per code and overall (Cohen's kappa, Fleiss' kappa, Krippendorff's alpha) and the disagreements."""
    import json

    from migq.coding import agreement_for
    from migq.store import open_store

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"'{fmt}' is not a format; use table or json.", param_hint="--format")
    day = parse_date_option(as_of, "--as-of")
    with open_store(db) as store:
        qid, q = _pick(store, questionnaire)
        report = agreement_for(store, qid, q, questions=question or None, as_of=day)
    if fmt == "json":
        console.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    _print_agreement(report)


def _num(v, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:.0%}" if pct else f"{v:.3f}"


def _code_name(code: str) -> str:
    return "all codes" if code == "_all" else code


def _print_agreement(report) -> None:
    from rich.table import Table

    share = _num(report.double_coded_share, pct=True)
    console.print(f"Coders: {escape(', '.join(report.coders)) or 'none'}. Answers to code: {report.answers}; coded: "
                  f"{report.coded}; double-coded: {report.double_coded} ({share}).", highlight=False)
    t = Table(header_style="bold", title="Agreement", title_justify="left")
    for c in ("Code", "Answers", "Coders", "Agreement", "Cohen's kappa", "Fleiss' kappa", "Krippendorff's alpha"):
        t.add_column(c, justify="left" if c == "Code" else "right")
    for c in report.by_code:
        t.add_row(escape(_code_name(c.code)), str(c.units), str(c.coders),
                  _num(c.agreement, pct=True), _num(c.kappa), _num(c.fleiss_kappa), _num(c.alpha))
    console.print(t)
    fleiss = [c for c in report.by_code if c.fleiss_units is not None]
    if fleiss:
        fewer = [f"{escape(_code_name(c.code))} {c.fleiss_units} of {c.units}" for c in fleiss
                 if c.fleiss_units < c.units]
        console.print("Fleiss' kappa (three or more coders) counts only the answers that all of the code's "
                      "coders decided" + (f": {'; '.join(fewer)}." if fewer else " (here: all of them)."),
                      highlight=False)
    if not report.disagreements:
        console.print("No disagreement.")
        return
    t = Table(header_style="bold", title="Disagreements", title_justify="left")
    for c in ("Recipient", "Question", "Code", "Applies", "Does not apply"):
        t.add_column(c, overflow="fold")
    for d in report.disagreements:
        t.add_row(escape(d.iso3 or str(d.submission_id)), escape(d.question), escape(d.code),
                  escape(", ".join(k for k, v in sorted(d.said.items()) if v)),
                  escape(", ".join(k for k, v in sorted(d.said.items()) if not v)))
    console.print(t)


@code_app.command("adjudicate")
@handle_errors
def code_adjudicate(
    iso3: Optional[str] = typer.Argument(None, help="The recipient's ISO3 code."),
    question: Optional[str] = typer.Argument(None, help="The question whose answer is coded."),
    code: Optional[str] = typer.Argument(None, help="The code."),
    applies: Optional[str] = typer.Option(None, "--applies", help="yes or no: the final decision."),
    from_file: Optional[Path] = typer.Option(None, "--from", help="An adjudication sheet (migq code export --adjudication)."),
    note: str = typer.Option("", "--note", help="Why (kept with the decision)."),
    questionnaire: Optional[str] = QuestionnaireOption,
    db: Optional[str] = DbOption,
) -> None:
    """Record final codes, the ones the report counts: from an adjudication sheet, or one at a time."""
    from migq.coding import adjudicate
    from migq.registry import load_roster
    from migq.store import open_store

    if from_file is not None:
        if iso3 or question or code or applies:
            raise typer.BadParameter("give either --from FILE or ISO3 QUESTION CODE --applies, not both.",
                                     param_hint="--from")
        _import(from_file, None, "final", db)
        return
    if not (iso3 and question and code):
        raise typer.BadParameter("give ISO3 QUESTION CODE --applies yes|no, or --from FILE.", param_hint="ISO3")
    if applies not in ("yes", "no"):
        raise typer.BadParameter("say --applies yes or --applies no.", param_hint="--applies")
    rec = load_roster().get(iso3)
    with open_store(db) as store:
        qid, q = _pick(store, questionnaire)
        summary = adjudicate(store, qid, q, rec.iso3, question, code, applies == "yes", note=note)
    what = "unchanged" if not summary.stored else "recorded"
    console.print(f"Final code {escape(code)} on {rec.iso3} {escape(question)}: "
                  f"{'applies' if applies == 'yes' else 'does not apply'} ({what}).", highlight=False)


@app.command("export")
@handle_errors
def export(
    output: Path = out_option(..., help="The file to write."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, xlsx, parquet, dta, sav or json (default: from the file name)."),
    long: bool = typer.Option(False, "--long", help="One row per answer instead of one per recipient."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Choice labels in this language (en, fr, es) instead of codes."),
    as_of: Optional[str] = AsOfOption,
    questionnaire: Optional[str] = QuestionnaireOption,
    db: Optional[str] = DbOption,
) -> None:
    """Export the counted replies for statisticians (Stata and SPSS files keep variable and value labels)."""
    from migq.export import FORMATS, build_export, write_export
    from migq.store import open_store

    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not an export format; use one of {', '.join(FORMATS)}.",
                                 param_hint="--format")
    day = parse_date_option(as_of, "--as-of")
    with open_store(db) as store:
        qid, q = _pick(store, questionnaire)
        frame, meta = build_export(store, qid, day, long=long, labels=labels)
    write_export(frame, meta, output, fmt)
    console.print(f"Exported {len(frame)} rows × {len(frame.columns)} columns of {escape(q.form_id)}:"
                  f"{escape(q.version)} as of {meta.as_of} to {escape(str(output))}.", highlight=False)
