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
