"""Write docs/commands.md from the CLI's own help (like sqlite-utils' cog-generated reference).

Run after changing a command: python scripts/gen_commands_doc.py. tests/test_docs.py fails when
the file is out of date, so the reference cannot drift from the code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command_paths():
    """(path, click command) for every leaf command, in help order."""
    import typer.main

    from migq.cli import app

    root = typer.main.get_command(app)

    def walk(cmd, prefix):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name in cmd.list_commands(None):
                yield from walk(subs[name], prefix + [name])
        else:
            yield prefix, cmd

    yield from walk(root, [])


def render() -> str:
    from typer.testing import CliRunner

    from migq.cli import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    os.environ["NO_COLOR"] = "1"
    runner = CliRunner()
    out = ["# Command reference", "",
           "Generated from each command's `--help` by `python scripts/gen_commands_doc.py`; do not edit by hand.", ""]
    for path, _ in command_paths():
        result = runner.invoke(app, path + ["--help"], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        out += [f"## migq {' '.join(path)}", "", "```", text, "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    target = ROOT / "docs" / "commands.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)
