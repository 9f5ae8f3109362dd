"""`migq --help` stays instant: no heavy library is imported for it."""

import subprocess
import sys

HEAVY = ("pandas", "openpyxl", "sqlalchemy", "matplotlib", "numpy", "docx", "python_calamine")


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from migq.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"migq --help imported: {out.stdout.strip()}"


def test_version_and_unknown_command_exit_codes(runner):
    from migq.cli import app

    assert runner.invoke(app, ["--version"]).exit_code == 0
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_help_paragraphs_reflow_to_the_terminal(runner):
    """A docstring's line breaks would fall mid-sentence in rich help: every paragraph is one line."""
    import typer.main

    from migq.cli import app

    def commands(group, prefix=()):
        for name, sub in getattr(group, "commands", {}).items():
            yield from commands(sub, (*prefix, name))
        if not getattr(group, "commands", None):
            yield prefix, group.help or ""

    found = list(commands(typer.main.get_command(app)))
    assert len(found) > 20
    broken = [" ".join(name) for name, text in found if any("\n" in p.strip() for p in text.split("\n\n"))]
    assert broken == []
    shown = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "80"}).output
    assert "1 when any was rejected or held." in " ".join(shown.replace("│", " ").split())
