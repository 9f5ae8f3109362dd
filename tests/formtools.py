"""Helpers to make, fill and convert real forms in tests (shared by several test modules).

Forms are written by the real writer and filled the way docs/form-contract.md tells a third
party to: through the workbook's defined names, with plain openpyxl.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from migq.forms.contract import FormIdentity, answer_name
from migq.forms.writer import Recipient, write_form
from migq.questionnaire import Questionnaire

NAMES = {"FRA": "France", "ESP": "España", "GBR": "United Kingdom", "CIV": "Côte d'Ivoire"}


def make_identity(q: Questionnaire, iso3="FRA", lang="en", issue_id="FRA-test", key=b"k" * 32, key_id="k1") -> FormIdentity:
    return FormIdentity(form_id=q.form_id, version=q.version, iso3=iso3, issue_id=issue_id,
                        language=lang, key_id=key_id).sign(key)


def make_form(q: Questionnaire, iso3="FRA", lang="en", issue_id="FRA-test", key=b"k" * 32, key_id="k1") -> bytes:
    """A signed form for one recipient, as ``migq send`` writes it."""
    identity = make_identity(q, iso3, lang, issue_id, key, key_id)
    return write_form(q, lang, Recipient(iso3, NAMES.get(iso3, iso3)), identity)


def fill_form(data: bytes, answers: dict[str, object], ticks: dict[str, list[str]] | None = None) -> bytes:
    """Type ``answers`` (question -> value) and tick ``ticks`` (question -> choices) into a form."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))

    def put(name: str, value) -> None:
        sheet, coord = next(iter(wb.defined_names[name].destinations))
        wb[sheet][coord.replace("$", "")] = value

    for question, value in answers.items():
        put(answer_name(question), value)
    for question, choices in (ticks or {}).items():
        for choice in choices:
            put(answer_name(question, choice), "x")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def edit_part(data: bytes, part: str, edit) -> bytes:
    """The package with one part's bytes passed through ``edit``, the rest as they were."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            zout.writestr(info, edit(body) if info.filename == part else body)
    return out.getvalue()


def strip_metadata(data: bytes, sheet: bool = True, properties: bool = True) -> bytes:
    """The form without its identity: the _migq sheet and/or the migq_ custom properties gone."""
    from openpyxl import load_workbook

    from migq.forms.contract import META_SHEET, PROPERTY_PREFIX

    wb = load_workbook(io.BytesIO(data))
    if sheet and META_SHEET in wb.sheetnames:
        wb.remove(wb[META_SHEET])
    if properties:
        keep = [p for p in wb.custom_doc_props.props if not p.name.startswith(PROPERTY_PREFIX)]
        wb.custom_doc_props.props = keep
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def soffice() -> str:
    """The LibreOffice binary, or skip the test."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods"}


def libreoffice_convert(data: bytes, to: str = "xlsx", source_ext: str = "xlsx") -> bytes:
    """Re-save ``data`` with LibreOffice as ``to`` (xlsx, xls or ods), in a private profile."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="migq-lo-") as tmp:
        tmp_path = Path(tmp)
        src_dir, out_dir = tmp_path / "in", tmp_path / "out"
        src_dir.mkdir()
        src = src_dir / f"form.{source_ext}"
        src.write_bytes(data)
        profile = (tmp_path / "profile").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", _FILTERS[to], "--outdir", str(out_dir), str(src)]
        env = {**os.environ, "HOME": tmp}
        subprocess.run(cmd, check=True, capture_output=True, timeout=180, env=env)
        out = out_dir / f"form.{to}"
        if not out.exists():
            raise RuntimeError(f"LibreOffice wrote no {to} file")
        return out.read_bytes()
