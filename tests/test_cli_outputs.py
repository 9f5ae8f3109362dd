"""Every -o/--out path behaves the same: a missing folder is created, the file reads back with its
own reader, and a path that cannot be written is one Error: line naming it, exit 1."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from migq.cli import app
from storetools import send_three_with_two_replies

runner = CliRunner()


@pytest.fixture
def workspace(store, db_url):
    send_three_with_two_replies(store)
    return db_url


def _read(path):
    ext = path.suffix
    if ext == ".xlsx":
        from openpyxl import load_workbook
        return load_workbook(path).sheetnames
    if ext == ".docx":
        import docx
        return docx.Document(str(path)).paragraphs
    if ext == ".parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).num_rows
    if ext == ".sav":
        import pyreadstat
        return pyreadstat.read_sav(str(path))[0]
    if ext == ".dta":
        return pd.read_stata(path)
    if ext == ".csv":
        return pd.read_csv(path)
    if ext == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8")


COMMANDS = {
    "report": (["report", "--as-of", "2008-07-20"], ["docx", "xlsx", "html", "md", "csv", "json"]),
    "export": (["export"], ["csv", "xlsx", "parquet", "sav", "dta", "json"]),
    "map": (["map", "--as-of", "2008-07-20"], ["svg"]),
}
CASES = [(name, ext) for name, (_, exts) in COMMANDS.items() for ext in exts]


@pytest.mark.parametrize("name,ext", CASES)
def test_missing_folder_is_created_and_the_file_reads_back(workspace, tmp_path, name, ext):
    out = tmp_path / "missing-dir" / f"x.{ext}"
    result = runner.invoke(app, COMMANDS[name][0] + ["-o", str(out), "--db", workspace])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert _read(out) is not None
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_export_keeps_the_old_output_name(workspace, tmp_path):
    out = tmp_path / "old" / "x.csv"
    result = runner.invoke(app, ["export", "--output", str(out), "--db", workspace])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) >= 1


@pytest.mark.parametrize("name,ext", [("report", "docx"), ("report", "md"), ("export", "csv"),
                                      ("export", "parquet"), ("map", "svg")])
@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_an_unwritable_path_is_one_error_line(workspace, tmp_path, name, ext, where):
    if where == "directory":
        out = tmp_path / f"x.{ext}"
        out.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / f"x.{ext}"
    result = runner.invoke(app, COMMANDS[name][0] + ["-o", str(out), "--db", workspace])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error:" in result.output
    assert str(out) in result.output.replace("\n", "")
    assert "Close it in" not in result.output


def test_the_close_it_hint_only_for_a_refused_existing_file(tmp_path):
    import os

    from migq.errors import MigqError
    from migq.files import write_output

    target = tmp_path / "locked" / "r.docx"
    write_output(target, b"one", app="Word")
    os.chmod(target.parent, 0o500)
    try:
        if os.access(target.parent, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(MigqError) as err:
            write_output(target, b"two", app="Word")
        assert str(target) in str(err.value)
    finally:
        os.chmod(target.parent, 0o700)
