"""migq db / migq key: schema upgrades and the signing keys."""

from __future__ import annotations

from typing import Optional

import typer

from migq.cli.common import DbOption, app, console, handle_errors

db_app = typer.Typer(help="The workspace database: schema upgrades.", no_args_is_help=True)
key_app = typer.Typer(help="The keys that sign the forms (never printed).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(key_app, name="key")


@db_app.command("upgrade")
@handle_errors
def db_upgrade(db: Optional[str] = DbOption) -> None:
    """Bring the database schema to this migq's version (back it up first)."""
    from migq.store import migrate, open_store

    with open_store(db, upgrade=False) as store:
        before, after = migrate.upgrade(store.engine)
        console.print(f"{store.display_url}: schema {before or 'none'} -> {after}."
                      if before != after else f"{store.display_url}: schema already at {after}.")


@key_app.command("rotate")
@handle_errors
def key_rotate(db: Optional[str] = DbOption) -> None:
    """Retire the signing key and make a new one; forms already sent still verify."""
    from migq.store import open_store
    from migq.store.keys import rotate

    with open_store(db) as store:
        old, new = rotate(store)
    console.print(f"New signing key {new}" + (f"; key {old} retired but kept for verifying forms already sent." if old else "."))


@key_app.command("list")
@handle_errors
def key_list(db: Optional[str] = DbOption) -> None:
    """List signing key ids and dates (secrets are never shown)."""
    from migq.store import open_store
    from migq.store.keys import key_summary

    with open_store(db) as store:
        rows = key_summary(store)
    if not rows:
        console.print("No signing key yet: one is made when the first forms are sent.")
    for r in rows:
        state = f"retired {r['retired_at']:%Y-%m-%d}" if r["retired_at"] else "active"
        console.print(f"{r['key_id']}  created {r['created_at']:%Y-%m-%d}  {state}")
