"""migq doctor / migq backup: health checks and verified copies of the workspace database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, escape, handle_errors


@app.command()
@handle_errors
def doctor(
    output_format: str = typer.Option("table", "--format", help="table or json."),
    db: Optional[str] = DbOption,
) -> None:
    """Check the workspace database: integrity, schema version, stored files against their
    SHA-256, questionnaires, dispatch hashes, signing keys, append-only audit log.

    Changes nothing. Exit 0 when every check passes, 1 when any finds a problem."""
    from rich.table import Table

    from migq.ops import open_existing, run_checks

    if output_format not in ("table", "json"):
        raise typer.BadParameter("use table or json.", param_hint="--format")
    with open_existing(db) as store:
        checks = run_checks(store)
        where = store.display_url
    healthy = all(c.ok for c in checks)
    if output_format == "json":
        typer.echo(json.dumps({"database": where, "healthy": healthy, "checks": [c.to_dict() for c in checks]},
                              ensure_ascii=False, indent=2))
        raise typer.Exit(0 if healthy else 1)
    table = Table(title=f"migq doctor: {where}", title_justify="left")
    for col in ("Check", "Result", "Detail", "Fix"):
        table.add_column(col, overflow="fold")
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[bold red]PROBLEM[/]", escape(c.detail), escape(c.fix))
    console.print(table)
    bad = sum(not c.ok for c in checks)
    console.print("[green]Healthy:[/] every check passed." if healthy
                  else f"[bold red]{bad} problem(s) found.[/] Follow the Fix column; back up before repairing.")
    raise typer.Exit(0 if healthy else 1)


@app.command()
@handle_errors
def backup(
    out: Path = typer.Option(..., "--out", "-o", help="Backup file: a .db copy for SQLite, a pg_dump custom archive for PostgreSQL."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the backup file if it exists."),
    db: Optional[str] = DbOption,
) -> None:
    """Make a consistent copy of the workspace database while others keep working, and verify it.

    SQLite: an online copy, checked for integrity. PostgreSQL: pg_dump --format=custom (restore
    with pg_restore). Either way the copy must hold the same rows per table as the snapshot.

    The verified backup is then recorded in the audit log (backup_written, with its SHA-256); that
    entry is written after the snapshot, so a database restored from the file does not show it."""
    from migq.ops import backup as make_backup, open_existing

    with open_existing(db) as store:
        result = make_backup(store, out, overwrite=overwrite)
        where = store.display_url
    rows = sum(result.row_counts.values())
    console.print(f"Backed up {where} to {result.path} ({result.size:,} bytes, {rows:,} rows in "
                  f"{len(result.row_counts)} tables); the copy was read back and verified.", highlight=False)
    console.print(f"Recorded in the audit log as backup_written, SHA-256 {result.sha256}.", highlight=False)
    if result.backend == "postgresql":
        console.print(f"Restore with: pg_restore --dbname=NEW_DATABASE {result.path}", highlight=False)
