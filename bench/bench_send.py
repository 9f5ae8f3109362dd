"""migq send of 195 forms vs bare openpyxl building and saving the same 195 workbooks.

migq's time includes everything the command does (register, key, signing, files, register
transaction); the baseline builds each workbook with openpyxl from scratch and saves it, on one
core, as a straightforward tool would.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from run import side_by_side


def run():
    from migq.forms import writer
    from migq.forms.contract import FormIdentity, new_issue_id
    from migq.registry import load_roster
    from migq.send import send_forms
    from migq.store import open_store
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    q = load_questionnaire(bundled_questionnaire_path())
    roster = load_roster()
    tmp = Path(tempfile.mkdtemp(prefix="migq-bench-send-"))

    def baseline():
        out = tmp / "baseline"
        out.mkdir(exist_ok=True)
        for r in roster:
            ident = FormIdentity(q.form_id, q.version, r.iso3, new_issue_id(r.iso3), r.language, "k").sign(b"s" * 32)
            (out / f"{r.iso3}.xlsx").write_bytes(writer.write_form(q, r.language, writer.Recipient(r.iso3, r.name(r.language)), ident))

    runs = {"n": 0}

    def migq_send():
        runs["n"] += 1
        with open_store(tmp / f"b{runs['n']}.db") as store:
            send_forms(store, q, roster, out_dir=tmp / f"out{runs['n']}")

    base, ours = side_by_side(baseline, migq_send)
    yield f"forms: {len(roster)}, cores: {os.cpu_count()}"
    yield f"bare openpyxl: {base:.3f} s"
    yield f"migq send:     {ours:.3f} s (database, signing, register included)"
    yield f"ratio migq/baseline: {ours / base:.2f}x (goal <= 1.2x)"
