"""`migq status`, `migq remind`, `migq contact` through the CLI app, on real files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
from datetime import date

import pytest

import migq.cli.followup_cmd  # noqa: F401  (registers the commands)
from migq.cli.common import app
from migq.registry import Contact
from migq.store import open_store
from migq.store.contacts import save_contacts
from storetools import add_reply, record_dispatches, register_questionnaire, sample_questionnaire

KEY = "hld-followup-2008.1"


@pytest.fixture
def ws(db_url, tmp_path, monkeypatch):
    """FRA replied, DEU silent (contacts), ITA silent (no contacts); forms in outbox/<key>."""
    monkeypatch.chdir(tmp_path)
    with open_store(db_url) as store:
        qid = register_questionnaire(store, sample_questionnaire())
        rows = []
        for iso3, lang in [("FRA", "fr"), ("DEU", "en"), ("ITA", "en")]:
            data = f"{iso3} form".encode()
            path = tmp_path / "outbox" / KEY / f"{iso3}-{KEY}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rows.append(dict(issue_id=f"{iso3}-1", questionnaire_id=qid, iso3=iso3, language=lang,
                             file_name=path.name, file_sha256=hashlib.sha256(data).hexdigest(), key_id="k",
                             sent_on=date(2008, 3, 18), deadline=date(2008, 4, 30),
                             to_addresses="", cc_addresses=""))
        record_dispatches(store, rows)
        save_contacts(store, [Contact("DEU", ("mission.deu@example.org",), ("focal.deu@example.org",))])
        add_reply(store, qid, "FRA", {"agenda": "yes"}, date(2008, 4, 10))
    return db_url


def test_status_table_totals_and_timeline(runner, ws):
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--region", "Europe"])
    assert r.exit_code == 0, r.output
    assert "FRA" in r.output and "replied" in r.output and "DEU" in r.output
    assert "By M49 region" in r.output and "By UN regional group" in r.output
    assert "Replies: 1 of 3 forms sent; 1 by the deadline 2008-04-30" in r.output
    assert "◀ Deadline 2008-04-30" in r.output
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--state", "sent", "--lang", "fr"])
    assert "Date limite" in r.output and "FRA" not in r.output


def test_status_json_csv_and_chart(runner, ws, tmp_path):
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--format", "json", "--state", "replied,sent"])
    doc = json.loads(r.output)
    assert doc["questionnaire"] == KEY and doc["deadline"] == "2008-04-30"
    assert {x["iso3"]: x["state"] for x in doc["recipients"]} == {"FRA": "replied", "DEU": "sent", "ITA": "sent"}
    assert doc["timeline"] == [{"date": "2008-04-10", "replies": 1}]
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert len(rows) == 195 and {x["iso3"]: x["state"] for x in rows}["FRA"] == "replied"
    # An empty cell stays empty: only text a spreadsheet would run as a formula gets the quote.
    assert not any(value == "'" for row in rows for value in row.values())
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--format", "csv", "--chart", "out/replies.svg"])
    assert r.exit_code == 0 and (tmp_path / "out" / "replies.svg").read_text().startswith("<?xml")


@pytest.mark.parametrize("args,option", [
    (["--as-of", "1 May"], "--as-of"), (["--format", "xml"], "--format"),
    (["--state", "waiting"], None), (["--group", "nordic"], None)])
def test_status_usage_errors(runner, ws, args, option):
    r = runner.invoke(app, ["status", "--db", ws, *args])
    assert r.exit_code == 2, r.output
    if option:
        assert option in r.output


def test_status_without_any_questionnaire(runner, tmp_path):
    r = runner.invoke(app, ["status", "--db", str(tmp_path / "empty.db")])
    assert r.exit_code == 1 and "Error: no questionnaire has been sent" in r.output


def test_contact_record_list_and_unknown_code(runner, ws):
    r = runner.invoke(app, ["contact", "deu", "--channel", "phone", "--note", "will reply", "--on", "2008-04-20", "--db", ws])
    assert r.exit_code == 0 and "Recorded: 2008-04-20 phone with DEU: will reply." in r.output
    r = runner.invoke(app, ["contact", "DEU", "--db", ws])
    assert "2008-04-20  phone" in r.output and "will reply" in r.output
    r = runner.invoke(app, ["status", "--db", ws, "--as-of", "2008-05-01", "--format", "json"])
    deu = [x for x in json.loads(r.output)["recipients"] if x["iso3"] == "DEU"][0]
    assert (deu["last_contact"], deu["last_contact_note"]) == ("2008-04-20", "will reply")
    r = runner.invoke(app, ["contact", "DUE", "--channel", "phone", "--note", "x", "--db", ws])
    assert r.exit_code == 1 and "'DUE' is not the ISO3 code" in r.output and "DEU (Germany)" in r.output
    r = runner.invoke(app, ["contact", "DEU", "--channel", "fax", "--note", "x", "--db", ws])
    assert r.exit_code == 2 and "phone, email, meeting, note" in r.output
    assert runner.invoke(app, ["contact", "DEU", "--note", "x", "--db", ws]).exit_code == 2


def test_remind_dry_run_lists_who_and_writes_drafts(runner, ws, tmp_path):
    r = runner.invoke(app, ["remind", "--db", ws, "--as-of", "2008-04-20"])
    assert r.exit_code == 0, r.output
    assert "DEU" in r.output and "remind" in r.output
    assert "Phone them (no e-mail address on file): ITA." in r.output
    assert "1 recipient(s) have replied" in r.output and "Dry run: 1 draft(s)" in r.output
    assert (tmp_path / "outbox" / "reminders" / f"DEU-{KEY}-reminder-before.eml").is_file()


def test_remind_init_templates(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["remind", "--init-templates"])
    assert r.exit_code == 0 and "Wrote 6 template(s)" in r.output
    assert sorted(p.name for p in (tmp_path / "templates").iterdir())[0] == "reminder-after-en.txt"


def test_remind_send_needs_server_and_password_from_env(runner, ws, monkeypatch):
    assert runner.invoke(app, ["remind", "--db", ws, "--send"]).exit_code == 2
    monkeypatch.delenv("MIGQ_SMTP_PASSWORD", raising=False)
    r = runner.invoke(app, ["remind", "--db", ws, "--send", "--smtp", "127.0.0.1:25", "--smtp-user", "me"])
    assert r.exit_code == 2 and "MIGQ_SMTP_PASSWORD" in r.output
    assert runner.invoke(app, ["remind", "--db", ws, "--template", "soon"]).exit_code == 2


def test_remind_send_over_smtp(runner, ws):
    from aiosmtpd.controller import Controller

    class Handler:
        refuse = True
        received = []

        async def handle_DATA(self, server, session, envelope):
            if self.refuse:
                return "550 5.7.1 Message refused"
            self.received.append(envelope.rcpt_tos)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        args = ["remind", "--db", ws, "--as-of", "2008-04-20", "--send", "--smtp", f"127.0.0.1:{port}"]
        r = runner.invoke(app, args)
        assert r.exit_code == 1 and "1 reminder(s) not sent (DEU)" in r.output and "550" in r.output
        handler.refuse = False
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        assert "Sent 1 reminder(s)" in r.output
        assert handler.received == [["mission.deu@example.org", "focal.deu@example.org"]]
    finally:
        controller.stop()
    r = runner.invoke(app, ["contact", "DEU", "--db", ws])
    assert "email" in r.output and "reminder before sent" in r.output
