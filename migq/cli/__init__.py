"""The migq command line: thin typer commands over the library.

Import discipline: this package must not import pandas, openpyxl, SQLAlchemy or matplotlib at
module level, so that ``migq --help`` stays instant (a test checks ``sys.modules``). Command
bodies import what they need.
"""

from __future__ import annotations

import sys

import typer

from migq.cli import common
from migq.cli.common import app

# Each area registers its commands on ``app`` (or adds a sub-app) when imported.
from migq.cli import questionnaire_cmd  # noqa: E402,F401  (questionnaire check/show/xlsform)
from migq.cli import recipients_cmd  # noqa: E402,F401  (recipients list/import)
from migq.cli import send_cmd  # noqa: E402,F401  (send)
from migq.cli import db_cmd  # noqa: E402,F401  (db upgrade, key rotate/list)
from migq.cli import ingest_cmd  # noqa: E402,F401  (ingest, accept, evidence)
from migq.cli import show_cmd  # noqa: E402,F401  (show)
from migq.cli import demo_cmd  # noqa: E402,F401  (demo)
from migq.cli import report_cmd  # noqa: E402,F401  (report, map)
from migq.cli import ops_cmd  # noqa: E402,F401  (doctor, backup)
from migq.cli import followup_cmd  # noqa: E402,F401  (status, remind, contact)
from migq.cli import coding_cmd  # noqa: E402,F401  (code export/import/agreement/adjudicate, export)


def _reflow_help(group: typer.Typer) -> None:
    """Join the lines of each help paragraph: rich help keeps a docstring's line breaks, which
    then fall mid-sentence once the terminal wraps the text at its own width."""
    import inspect

    for info in group.registered_commands:
        doc = info.callback.__doc__ if info.callback else None
        if doc and info.help is None:
            info.help = "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))
    for sub in group.registered_groups:
        _reflow_help(sub.typer_instance)


_reflow_help(app)


def main() -> None:
    """Console-script entry point: run the app, turning MigqError into one 'Error:' line."""
    common.run(app, sys.argv[1:])


__all__ = ["app", "main", "typer"]
