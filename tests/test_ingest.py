"""migq ingest driven as a user would: send, fill with openpyxl, drop in a folder, ingest.

Every class of unusable file is rejected with a located reason and stores nothing, while the
good files of the same batch are stored; outcomes and exit codes follow docs/ingest.md.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from formtools import edit_part, fill_form, strip_metadata
from migq.cli import app
from migq.demo import as_email
from migq.store import open_store, schema

GOOD = {"gfmd_outcome": "good_outcome", "gfmd_sole_followup": "no", "followup_within_un": "Yes ",
        "gfmd_un_link": "more_time", "reply_date": "2008-04-20"}


@pytest.fixture
def workspace(runner, db_url, tmp_path):
    out = tmp_path / "outbox"
    result = runner.invoke(app, ["send", "--db", db_url, "-o", str(out), "--sent-on", "2008-03-18",
                                 "--to", "FRA,MEX,GBR,DEU,CIV"])
    assert result.exit_code == 0, result.output
    inbox = tmp_path / "responses"
    inbox.mkdir()
    return db_url, out, inbox


def _form(out: Path, iso3: str) -> bytes:
    return (out / f"{iso3}-hld-followup-2008.xlsx").read_bytes()


def _ingest(runner, db_url, *args):
    result = runner.invoke(app, ["ingest", "--db", db_url, "--format", "json", *map(str, args)])
    assert "Traceback" not in result.output
    return result, json.loads(result.output) if result.output.strip().startswith("{") else None


def _count(db_url, table) -> int:
    with open_store(db_url) as store, store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_good_and_broken_files_in_one_batch(runner, workspace):
    db_url, out, inbox = workspace
    (inbox / "FRA.xlsx").write_bytes(fill_form(_form(out, "FRA"), {**GOOD, "gfmd_outcome": "  OUI, le forum est un bon resultat du dialogue"},
                                               {"modalities": ["ga_agenda_item", "other"]}))
    (inbox / "MEX.xlsx").write_bytes(fill_form(_form(out, "MEX"), {**GOOD, "gfmd_sole_followup": "SÍ"}))
    (inbox / "report.pdf.xlsx").write_bytes(b"%PDF-1.7\n...")
    (inbox / "cut.xlsx").write_bytes(_form(out, "GBR")[:3000])
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(fill_form(_form(out, "DEU"), GOOD))) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace(b"DEU", b"AUT") if info.filename == "docProps/custom.xml" else data)
    from formtools import strip_metadata as _strip

    (inbox / "DEU-tampered.xlsx").write_bytes(_strip(tampered.getvalue(), sheet=True, properties=False))
    result, data = _ingest(runner, db_url, inbox, "--received-on", "2008-04-28")
    assert result.exit_code == 1
    by_file = {Path(f["file"]).name: f for f in data["files"]}
    assert by_file["FRA.xlsx"]["outcome"] == "accepted" and by_file["MEX.xlsx"]["outcome"] == "accepted"
    assert by_file["report.pdf.xlsx"]["outcome"] == "rejected" and "PDF" in by_file["report.pdf.xlsx"]["reason"]
    assert by_file["cut.xlsx"]["outcome"] == "rejected" and "ask the sender" in by_file["cut.xlsx"]["reason"]
    assert by_file["DEU-tampered.xlsx"]["outcome"] == "rejected" and by_file["DEU-tampered.xlsx"]["code"] == "bad_signature"
    assert _count(db_url, schema.submissions) == 2 and _count(db_url, schema.evidence) == 2
    with open_store(db_url) as store, store.read() as conn:
        rows = dict(conn.execute(select(schema.answers.c.question, schema.answers.c.value)
                                 .join(schema.submissions).where(schema.submissions.c.iso3 == "FRA")).all())
    assert rows["gfmd_outcome"] == "good_outcome" and rows["followup_within_un"] == "yes"
    assert rows["modalities"] == "ga_agenda_item other"
    # The run itself is audited; that durable write is what flushes the run's replies to disk.
    assert [json.loads(d) for d in _audit_details(db_url, "ingest_run")] == [
        {"channel": "email", "files": 5, "outcome_accepted": 2, "outcome_rejected": 3}]


def _audit_details(db_url, action) -> list[str]:
    a = schema.audit_log
    with open_store(db_url) as store, store.read() as conn:
        return list(conn.execute(select(a.c.detail).where(a.c.action == action).order_by(a.c.id)).scalars())


def test_answer_problems_are_stored_with_their_cell_and_the_reply_kept(runner, workspace):
    db_url, out, inbox = workspace
    (inbox / "GBR.xlsx").write_bytes(fill_form(_form(out, "GBR"), {**GOOD, "gfmd_un_link": "perhaps", "reply_date": "31/02/2008"}))
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 0, "answer-level problems do not reject a usable form"
    problems = data["files"][0]["problems"]
    unknown = next(p for p in problems if p["code"] == "unknown_choice")
    assert unknown["question"] == "gfmd_un_link" and unknown["cell"] and unknown["sheet"] == "Questionnaire"
    assert any(p["question"] == "reply_date" for p in problems)
    with open_store(db_url) as store, store.read() as conn:
        valid = dict(conn.execute(select(schema.answers.c.question, schema.answers.c.valid)).all())
    assert valid["gfmd_un_link"] is False and valid["gfmd_outcome"] is True


def test_duplicates_revisions_and_accept(runner, workspace):
    db_url, out, inbox = workspace
    first = fill_form(_form(out, "FRA"), GOOD)
    (inbox / "a.xlsx").write_bytes(first)
    assert _ingest(runner, db_url, inbox / "a.xlsx")[0].exit_code == 0
    (inbox / "a-copy.xlsx").write_bytes(first)
    result, data = _ingest(runner, db_url, inbox / "a-copy.xlsx")
    assert result.exit_code == 0 and data["files"][0]["outcome"] == "duplicate"
    (inbox / "b.xlsx").write_bytes(fill_form(_form(out, "FRA"), {**GOOD, "gfmd_sole_followup": "yes"}))
    result, data = _ingest(runner, db_url, inbox / "b.xlsx")
    assert data["files"][0]["outcome"] == "revision_pending" and data["files"][0]["version"] == 2
    accepted = runner.invoke(app, ["accept", "FRA", "--db", db_url])
    assert accepted.exit_code == 0 and "version 2" in accepted.output
    with open_store(db_url) as store, store.read() as conn:
        statuses = sorted(conn.execute(select(schema.submissions.c.version_no, schema.submissions.c.status)).all())
    assert statuses == [(1, "superseded"), (2, "accepted")]
    again = runner.invoke(app, ["accept", "FRA", "--db", db_url])
    assert again.exit_code == 1 and "no pending" in again.output


def test_stripped_metadata_is_held_then_attached_by_a_person(runner, workspace):
    db_url, out, inbox = workspace
    (inbox / "nameless.xlsx").write_bytes(strip_metadata(fill_form(_form(out, "CIV"), GOOD)))
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 1 and data["files"][0]["outcome"] == "held"
    assert "--assume" in data["files"][0]["reason"]
    assert _count(db_url, schema.evidence) == 1, "held files are kept as evidence"
    result, data = _ingest(runner, db_url, inbox, "--assume", "CIV")
    assert result.exit_code == 0 and data["files"][0]["outcome"] == "accepted" and data["files"][0]["iso3"] == "CIV"
    assert _count(db_url, schema.submissions) == 1


def test_email_provenance_dry_run_and_evidence(runner, workspace, tmp_path):
    db_url, out, inbox = workspace
    from datetime import date

    data = fill_form(_form(out, "DEU"), GOOD)
    (inbox / "reply.eml").write_bytes(as_email("DEU", "antwort.xlsx", data, date(2008, 5, 6)))
    result, report = _ingest(runner, db_url, inbox, "--dry-run")
    assert result.exit_code == 0 and report["files"][0]["outcome"] == "valid" and report["dry_run"]
    assert _count(db_url, schema.submissions) == 0, "a dry run stores nothing"
    assert _audit_details(db_url, "ingest_run") == [], "not even the run"
    result, report = _ingest(runner, db_url, inbox)
    f = report["files"][0]
    assert f["received_on"] == "2008-05-06" and f["late"] is True and "reply.eml" in f["file"]
    with open_store(db_url) as store, store.read() as conn:
        sender = conn.execute(select(schema.submissions.c.sender)).scalar_one()
    assert "mission@deu.example" in sender
    back = tmp_path / "missing-dir" / "back.xlsx"
    assert runner.invoke(app, ["evidence", "DEU", "-o", str(back), "--db", db_url]).exit_code == 0
    assert back.read_bytes() == data
    refused = runner.invoke(app, ["evidence", "DEU", "-o", str(back.parent), "--db", db_url])
    assert refused.exit_code == 1 and "Error:" in refused.output and "Traceback" not in refused.output
    shown = runner.invoke(app, ["show", "DEU", "--db", db_url])
    assert shown.exit_code == 0 and "accepted" in shown.output and "gfmd_un_link" in shown.output


def test_hostile_identity_and_mail_headers_cost_only_their_file(runner, workspace):
    """Found by fuzzing: a signature of non-ASCII text, an e-mail Date with an impossible time
    zone, a From the e-mail package trips on, and multiparts nested a thousand deep each
    stopped the whole run with a traceback; a blanked form id was reported as 'form None'."""
    import re
    from datetime import date

    db_url, out, inbox = workspace
    (inbox / "FRA.xlsx").write_bytes(fill_form(_form(out, "FRA"), GOOD))
    forged = edit_part(fill_form(_form(out, "DEU"), GOOD), "docProps/custom.xml",
                        lambda xml: re.sub(rb'(name="migq_signature".*?<vt:lpwstr[^>]*>)[^<]*',
                                           "\\1é€".encode(), xml))
    (inbox / "DEU.xlsx").write_bytes(strip_metadata(forged, sheet=True, properties=False))
    blanked = edit_part(fill_form(_form(out, "GBR"), GOOD), "docProps/custom.xml",
                         lambda xml: re.sub(rb'(name="migq_form_id".*?<vt:lpwstr[^>]*>)[^<]*', rb"\1", xml))
    (inbox / "GBR.xlsx").write_bytes(strip_metadata(blanked, sheet=True, properties=False))
    mail = as_email("MEX", "respuesta.xlsx", fill_form(_form(out, "MEX"), GOOD), date(2008, 4, 2))
    mail = re.sub(rb"Date: [^\r\n]*", b"Date: Wed, 02 Apr 2008 10:00:00 +99999999999999999999", mail)
    (inbox / "MEX.eml").write_bytes(re.sub(rb"From: [^\r\n]*", b"From: \xe9 a@[", mail))
    nested = b"".join(b'--B%d\nContent-Type: multipart/mixed; boundary="B%d"\n\n' % (i, i + 1) for i in range(1000))
    (inbox / "nested.eml").write_bytes(b'From: a@b.example\nMIME-Version: 1.0\n'
                                       b'Content-Type: multipart/mixed; boundary="B0"\n\n' + nested)
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 1, result.output
    by_file = {Path(f["file"].split(" › ")[0]).name: f for f in data["files"]}
    assert by_file["FRA.xlsx"]["outcome"] == "accepted"
    assert by_file["DEU.xlsx"]["outcome"] == "rejected" and by_file["DEU.xlsx"]["code"] == "bad_signature"
    assert by_file["GBR.xlsx"]["code"] == "bad_signature" and "None" not in by_file["GBR.xlsx"]["reason"]
    mexico = by_file["MEX.eml"]
    assert mexico["outcome"] == "accepted" and mexico["received_on"] == date.today().isoformat()
    assert by_file["nested.eml"]["outcome"] == "rejected" and by_file["nested.eml"]["code"] == "unreadable_message"
    assert _count(db_url, schema.submissions) == 2
    with open_store(db_url) as store, store.read() as conn:
        kept = conn.execute(select(schema.submissions.c.message_date, schema.submissions.c.sender)
                            .where(schema.submissions.c.iso3 == "MEX")).one()
    assert kept == ("Wed, 02 Apr 2008 10:00:00 +99999999999999999999", "\\xe9 a@["), "unreadable headers are kept as written"


def test_file_names_not_in_the_system_encoding_are_shown_escaped(runner, workspace):
    """Found by fuzzing: a file named in another system's encoding (Latin-1 'é' here) stopped
    the run, when its name was stored and when it was printed."""
    import os

    db_url, out, inbox = workspace
    (inbox / os.fsdecode(b"r\xe9ponse-FRA.xlsx")).write_bytes(fill_form(_form(out, "FRA"), GOOD))
    (inbox / os.fsdecode(b"r\xe9sum\xe9.xlsx")).write_bytes(b"not a workbook\n")
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 1, result.output
    assert [(f["file"], f["outcome"]) for f in data["files"]] == [
        ("responses/r\\xe9ponse-FRA.xlsx", "accepted"), ("responses/r\\xe9sum\\xe9.xlsx", "rejected")]
    assert data["files"][1]["reason"].startswith("r\\xe9sum\\xe9.xlsx is a plain text file")
    with open_store(db_url) as store, store.read() as conn:
        assert conn.execute(select(schema.submissions.c.file_name)).scalar_one() == "responses/r\\xe9ponse-FRA.xlsx"
    table = runner.invoke(app, ["ingest", "--db", db_url, str(inbox)])
    assert table.exit_code == 1 and "Traceback" not in table.output and "r\\xe9sum\\xe9.xlsx" in table.output


def test_a_nul_in_a_cell_is_stored_alike_on_both_databases(runner, workspace):
    """Found by fuzzing (on PostgreSQL, whose text cannot hold NUL): OOXML writes a NUL in a
    cell as _x0000_, and the reader gives it back. It is stored as the four characters \\x00."""
    db_url, out, inbox = workspace
    filled = fill_form(_form(out, "FRA"), {**GOOD, "ministry": "Ministry of Foreign Affairs"})
    (inbox / "FRA.xlsx").write_bytes(edit_part(filled, "xl/worksheets/sheet2.xml",  # the questionnaire
                                                lambda xml: xml.replace(b"Ministry of", b"Ministry_x0000_ of")))
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 0 and data["files"][0]["outcome"] == "accepted", result.output
    with open_store(db_url) as store, store.read() as conn:
        value, raw = conn.execute(select(schema.answers.c.value, schema.answers.c.raw)
                                  .where(schema.answers.c.question == "ministry")).one()
    assert raw == "Ministry\\x00 of Foreign Affairs" and value == "Ministry of Foreign Affairs"


def test_a_sheet_named_at_length_is_stored_alike_on_both_databases(runner, workspace):
    """Found by fuzzing on PostgreSQL: an answer's cell address names its sheet, which a file
    from elsewhere may name beyond Excel's 31 characters; an 80-character column refused it."""
    db_url, out, inbox = workspace
    long_name = "Questionnaire of the Government of the French Republic on the follow-up to the 2006 Dialogue"
    filled = fill_form(_form(out, "FRA"), GOOD)
    (inbox / "FRA.xlsx").write_bytes(edit_part(filled, "xl/workbook.xml", lambda xml: xml.replace(b"Questionnaire", long_name.encode())))
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 0 and data["files"][0]["outcome"] == "accepted", result.output
    with open_store(db_url) as store, store.read() as conn:
        cell = conn.execute(select(schema.answers.c.cell).where(schema.answers.c.question == "gfmd_outcome")).scalar_one()
    assert cell.startswith(long_name + "!") and len(cell) > 80


def test_a_fault_of_migq_on_one_file_sets_that_file_aside(runner, workspace, monkeypatch):
    """A bug met while storing one reply costs that file, with the error, and not the batch."""
    import migq.store.replies as replies

    db_url, out, inbox = workspace
    for iso3 in ("FRA", "MEX"):
        (inbox / f"{iso3}.xlsx").write_bytes(fill_form(_form(out, iso3), GOOD))
    store_reply = replies.store_reply

    def failing_for_mexico(store, reply, **options):
        if reply.iso3 == "MEX":
            raise RuntimeError("a bug of ours")
        return store_reply(store, reply, **options)

    monkeypatch.setattr(replies, "store_reply", failing_for_mexico)
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 1
    by_file = {Path(f["file"]).name: f for f in data["files"]}
    assert by_file["FRA.xlsx"]["outcome"] == "accepted"
    mexico = by_file["MEX.xlsx"]
    assert mexico["outcome"] == "rejected" and mexico["code"] == "internal_error"
    assert "RuntimeError: a bug of ours" in mexico["reason"] and "report this" in mexico["reason"]
    assert _count(db_url, schema.submissions) == 1


def test_text_from_files_is_printed_as_it_is_not_as_markup(runner, workspace):
    """Found by fuzzing: the terminal library reads '[/x]' as a closing style tag, and text
    from a file (an answer quoted in a problem, a file name) stopped the table output."""
    db_url, out, inbox = workspace
    (inbox / "FRA[red].xlsx").write_bytes(fill_form(_form(out, "FRA"), {**GOOD, "gfmd_outcome": "[/x] [bold]maybe"}))
    result = runner.invoke(app, ["ingest", "--db", db_url, str(inbox)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "FRA[red].xlsx" in result.output and "[/x] [bold]maybe" in result.output
    shown = runner.invoke(app, ["show", "FRA", "--db", db_url])
    assert shown.exit_code == 0 and "FRA[red].xlsx" in shown.output and "[/x] [bold]maybe" in shown.output
    missing = runner.invoke(app, ["ingest", "--db", db_url, str(inbox / "[/x]" / "reply.xlsx")])
    assert missing.exit_code == 1 and "[/x]/reply.xlsx does not exist" in missing.output, missing.output


def test_an_email_with_too_many_parts_is_refused_before_it_is_parsed(runner, workspace):
    """The e-mail package parses every part first (100,000 parts took 20 s in this process):
    a message of thousands is refused unread; beyond 20 spreadsheets, one line says how many
    were left unread."""
    from email.message import EmailMessage

    db_url, out, inbox = workspace
    form = fill_form(_form(out, "FRA"), GOOD)
    many = EmailMessage()
    many["From"], many["Subject"] = "mission@fra.example", "reponse"
    many.set_content("ci-joint")
    for n in range(22):
        many.add_attachment(form, maintype="application", subtype="octet-stream", filename=f"reponse-{n}.xlsx")
    (inbox / "many.eml").write_bytes(bytes(many))
    parts = b"".join(b"--x\nContent-Type: text/plain\n\nhello\n" for _ in range(3000))
    (inbox / "bomb.eml").write_bytes(b"From: a@b.example\nMIME-Version: 1.0\n"
                                     b"Content-Type: multipart/mixed; boundary=x\n\n" + parts + b"--x--\n")
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 1
    outcomes = [(f["file"].split("/")[-1], f["outcome"], f["code"]) for f in data["files"]]
    assert ("bomb.eml", "rejected", "too_many_parts") in outcomes
    assert ("many.eml", "rejected", "too_many_attachments") in outcomes
    read = [o for o in outcomes if " › " in o[0]]
    assert len(read) == 20 and sorted({o[1] for o in read}) == ["accepted", "duplicate"]
    assert "2 more spreadsheet(s)" in next(f["reason"] for f in data["files"] if f["code"] == "too_many_attachments")


def test_a_reply_forwarded_as_an_attachment_keeps_the_governments_sender_and_date(runner, workspace):
    from datetime import date
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    db_url, out, inbox = workspace
    reply = message_from_bytes(as_email("MEX", "respuesta.xlsx", fill_form(_form(out, "MEX"), GOOD), date(2008, 4, 28)),
                               policy=policy.default)
    forward = EmailMessage()
    forward["From"], forward["Date"] = "registry@un.example", "Mon, 05 May 2008 09:00:00 +0000"
    forward.set_content("FYI, the reply of Mexico.")
    forward.add_attachment(reply)
    (inbox / "fwd.eml").write_bytes(bytes(forward))
    result, data = _ingest(runner, db_url, inbox)
    assert result.exit_code == 0, result.output
    [mexico] = data["files"]
    assert mexico["file"].endswith("fwd.eml › respuesta.xlsx") and mexico["received_on"] == "2008-04-28"
    with open_store(db_url) as store, store.read() as conn:
        assert "mission@mex.example" in conn.execute(select(schema.submissions.c.sender)).scalar_one()


def test_usage_errors(runner, workspace):
    db_url, out, inbox = workspace
    assert runner.invoke(app, ["ingest", str(inbox), "--db", db_url, "--channel", "pigeon"]).exit_code == 2
    missing = runner.invoke(app, ["ingest", str(inbox / "nope"), "--db", db_url])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert runner.invoke(app, ["ingest", str(inbox), "--db", db_url, "--assume", "XXX"]).exit_code == 1
