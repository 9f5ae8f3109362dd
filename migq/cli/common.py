"""Shared CLI plumbing: the root app, options used everywhere, and the one error handler."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer
from rich.console import Console
from migq.core.terminal import terminal_safe


def escape(text, limit: int | None = 2000) -> str:
    """Outside text made inert for rich: controls shown escaped, length capped, markup escaped."""
    return terminal_safe(text, limit=limit, markup=True)


app = typer.Typer(
    name="migq",
    help="Run a questionnaire to the governments of the world: send signed forms, ingest "
    "the replies safely, and tally positions for the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

console = Console()
err_console = Console(stderr=True)

DEBUG = {"on": False}

DbOption = typer.Option(
    None,
    "--db",
    help="Database: a SQLite file path or a postgresql:// URL. "
    "Default: $MIGQ_DATABASE_URL, else migq.db in the current folder.",
    show_default=False,
)


def _print_version(value: bool) -> None:
    if value:
        from migq import __version__

        console.print(f"migq {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                 callback=_print_version, is_eager=True),
) -> None:
    DEBUG["on"] = debug or bool(os.environ.get("MIGQ_DEBUG"))


def fail(message: str, code: int = 1) -> "typer.Exit":
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run(the_app: typer.Typer, argv: list[str]) -> None:
    """Run the app; a MigqError becomes one 'Error: ...' line and exit 1 (2 for usage)."""
    from migq.errors import MigqError, UsageError

    DEBUG["on"] = "--debug" in argv or bool(os.environ.get("MIGQ_DEBUG"))
    try:
        the_app(args=argv, prog_name="migq", standalone_mode=True)
    except MigqError as err:
        if DEBUG["on"]:
            raise
        raise SystemExit(_print_error(err, 2 if isinstance(err, UsageError) else 1))
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        raise SystemExit(130)


def _print_error(err, code: int) -> int:
    # Escaped, as every text that may come from a file: rich would read '[/x]' as markup.
    err_console.print(f"[bold red]Error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    return code


def handle_errors(func):
    """Decorator for command bodies: MigqError -> 'Error:' line, exit 1 (also under CliRunner)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from migq.errors import MigqError, UsageError

        try:
            return func(*args, **kwargs)
        except MigqError as err:
            if DEBUG["on"]:
                raise
            raise typer.Exit(_print_error(err, 2 if isinstance(err, UsageError) else 1))

    return wrapper


def split_codes(value: Optional[str]) -> list[str]:
    """'FRA, deu;ITA' -> ['FRA', 'DEU', 'ITA']."""
    if not value:
        return []
    return [p.strip().upper() for p in value.replace(";", ",").split(",") if p.strip()]


def parse_date_option(value: Optional[str], option: str):
    """Parse YYYY-MM-DD (or 'today') for an option; a bad value is a usage error naming it."""
    import datetime as dt

    if value is None:
        return None
    if value.strip().lower() == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD.", param_hint=option)


def is_tty() -> bool:
    return sys.stdout.isatty()


def out_option(default, help: str, **kwargs):
    """The one name every command gives the file it writes: -o/--out. --output stays accepted
    because export, code export and questionnaire xlsform were written with it."""
    return typer.Option(default, "--out", "-o", "--output", help=help, **kwargs)
