"""Reminders over a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import hashlib
import socket
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select, update

import migq.cli.followup_cmd  # noqa: F401  (registers the commands)
from migq.cli.common import app
from migq.errors import MigqError, UsageError
from migq.followup import deliver
from migq.followup.contacts_log import contacts_for
from migq.followup.deliver import send_reminders, write_drafts
from migq.followup.mailer import Mailer, smtp_settings
from migq.followup.remind import plan_reminders
from migq.followup import reminder_message as rm
from migq.registry import Contact
from migq.store import schema
from migq.store.contacts import save_contacts
from storetools import add_reply, record_dispatches, register_questionnaire, sample_questionnaire

DEADLINE = date(2008, 4, 30)
BEFORE = date(2008, 4, 20)
SENDER = "hld@un.example"


class Inbox:
    """An aiosmtpd handler keeping what it accepts; refuses at DATA any message to ``refuse``."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse & set(envelope.rcpt_tos):
            return "550 5.7.1 Message refused by local policy"
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.settings = smtp_settings(f"127.0.0.1:{controller.port}")
    yield inbox
    controller.stop()


@pytest.fixture
def ws(store, tmp_path):
    """FRA (fr), ESP (es), DEU (en) silent with contacts; ITA silent without contacts; GBR
    replied; NLD a revision pending; BEL a held file; forms written to outbox/<key>."""
    q = sample_questionnaire()
    qid = register_questionnaire(store, q)
    forms = tmp_path / "outbox" / q.key
    forms.mkdir(parents=True)
    rows = []
    for iso3, lang in [("FRA", "fr"), ("ESP", "es"), ("DEU", "en"), ("ITA", "en"), ("GBR", "en"),
                       ("NLD", "en"), ("BEL", "fr")]:
        data = f"form for {iso3} ".encode() * 50
        (forms / f"{iso3}-{q.key}.xlsx").write_bytes(data)
        rows.append(dict(issue_id=f"{iso3}-0001", questionnaire_id=qid, iso3=iso3, language=lang,
                         file_name=f"{iso3}-{q.key}.xlsx", file_sha256=hashlib.sha256(data).hexdigest(),
                         key_id="k1", sent_on=date(2008, 3, 18), deadline=DEADLINE,
                         to_addresses="", cc_addresses=""))
    record_dispatches(store, rows)
    save_contacts(store, [
        Contact("FRA", ("mission.fra@example.org",), ("focal.fra@example.org",), ("copy.fra@example.org",)),
        Contact("ESP", ("mission.esp@example.org",), ("focal.esp@example.org",)),
        Contact("DEU", ("mission.deu@example.org",), ()),
        Contact("GBR", ("mission.gbr@example.org",), ()),
        Contact("NLD", ("mission.nld@example.org",), ()),
        Contact("BEL", ("mission.bel@example.org",), ()),
    ])
    add_reply(store, qid, "GBR", {"agenda": "yes"}, date(2008, 4, 2))
    add_reply(store, qid, "NLD", {}, date(2008, 4, 3))
    add_reply(store, qid, "NLD", {}, date(2008, 4, 9), status="revision_pending", version_no=2)
    add_reply(store, qid, "BEL", {}, date(2008, 4, 9), status="held")

    class W:
        pass

    w = W()
    w.store, w.q, w.qid, w.forms, w.out = store, q, qid, forms, tmp_path / "outbox" / "reminders"
    w.templates = tmp_path / "templates"

    def plan(as_of=BEFORE, **kw):
        return plan_reminders(store, qid, q, forms_dir=forms, as_of=as_of, **kw)

    def send(as_of=BEFORE, settings=None, **kw):
        p = plan(as_of, **kw)
        with Mailer(settings or w.smtp.settings) as mailer:
            return send_reminders(store, p, mailer, w.out, from_addr=SENDER, templates_dir=w.templates)

    w.plan, w.send = plan, send
    return w


def reminder_rows(store):
    with store.read() as conn:
        return conn.execute(select(schema.reminders).order_by(schema.reminders.c.id)).all()


def test_dry_run_writes_drafts_and_sends_nothing(ws):
    plan = write_drafts(ws.plan(), ws.out, from_addr=SENDER, templates_dir=ws.templates)
    actions = {i.iso3: (i.action, i.reason) for i in plan.items}
    assert {k for k, (a, _) in actions.items() if a == "remind"} == {"FRA", "ESP", "DEU"}
    assert actions["ITA"] == ("phone", "no e-mail address on file: phone them")
    assert actions["BEL"][0] == "skip" and "held file" in actions["BEL"][1]
    assert "GBR" not in actions and "NLD" not in actions and plan.answered == 2
    drafts = sorted(p.name for p in ws.out.glob("*.eml"))
    assert drafts == [f"{c}-{ws.q.key}-reminder-before.eml" for c in ("DEU", "ESP", "FRA")]
    msg = email.message_from_bytes((ws.out / drafts[2]).read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("Rappel") and msg["X-Unsent"] == "1"
    assert reminder_rows(ws.store) == [] and contacts_for(ws.store, "FRA") == []


def test_send_headers_language_attachment_and_log(ws, smtp):
    ws.smtp = smtp
    plan = ws.send()
    assert {i.iso3: (i.outcome, i.error) for i in plan.items if i.outcome} == {"FRA": ("sent", ""), "ESP": ("sent", ""), "DEU": ("sent", "")}
    assert len(smtp.messages) == 3
    fra = smtp.to("mission.fra@example.org")[0]
    assert fra["To"] == "mission.fra@example.org"
    assert fra["Cc"] == "focal.fra@example.org, copy.fra@example.org"
    assert fra["Subject"] == "Rappel : Suivi du DHN — réponse souhaitée avant le 30 avril 2008"
    body = fra.get_body(("plain",)).get_content()
    assert "Gouvernement : France" in body and "FRA-0001" in body and "dans 10 jours" in body
    assert "Recordatorio" in smtp.to("mission.esp@example.org")[0]["Subject"]
    assert smtp.to("focal.fra@example.org")  # Cc'd addresses are in the envelope
    (attachment,) = list(fra.iter_attachments())
    assert attachment.get_filename() == f"FRA-{ws.q.key}.xlsx"
    assert attachment.get_content() == (ws.forms / f"FRA-{ws.q.key}.xlsx").read_bytes()

    rows = {r.iso3: r for r in reminder_rows(ws.store)}
    assert {r.status for r in rows.values()} == {"sent"} and set(rows) == {"FRA", "ESP", "DEU"}
    assert fra["Message-ID"] == rows["FRA"].message_id
    saved = email.message_from_bytes(open(rows["FRA"].message_path, "rb").read(), policy=policy.default)
    assert saved["Message-ID"] == rows["FRA"].message_id and saved["X-Unsent"] is None
    log = contacts_for(ws.store, "FRA")
    assert [(e.channel, e.note, e.on_date) for e in log] == [("email", "reminder before sent", BEFORE)]
    with ws.store.read() as conn:
        actions = [r.action for r in conn.execute(select(schema.audit_log.c.action)).all()]
    assert actions.count("reminder_sent") == 3 and actions.count("reminder_queued") == 3


def test_min_days_holds_and_after_template_later(ws, smtp):
    ws.smtp = smtp
    ws.send()
    again = ws.send(as_of=BEFORE + timedelta(days=6))
    assert len(smtp.messages) == 3
    assert all("--min-days" in i.reason for i in again.with_action("skip") if i.iso3 in ("FRA", "ESP", "DEU"))
    later = ws.send(as_of=date(2008, 5, 5))  # 15 days on, and after the deadline
    assert len(smtp.messages) == 6
    assert smtp.to("mission.deu@example.org")[-1]["Subject"].startswith("Reminder: HLD follow-up — reply awaited")
    assert {i.template for i in later.with_action("remind")} == {"after"}
    assert len(ws.send(as_of=date(2008, 5, 6), min_days=0).with_action("remind")) == 3


def test_refused_message_is_kept_and_sent_once_on_the_next_run(ws, smtp):
    ws.smtp = smtp
    smtp.refuse = {"focal.fra@example.org"}
    first = ws.send()
    outcome = {i.iso3: (i.outcome, i.error) for i in first.items if i.outcome}
    assert outcome["FRA"][0] == "failed" and "550" in outcome["FRA"][1]
    assert outcome["DEU"][0] == outcome["ESP"][0] == "sent"
    fra_row = [r for r in reminder_rows(ws.store) if r.iso3 == "FRA"][0]
    assert (fra_row.status, fra_row.attempts) == ("failed", 1) and "550" in fra_row.last_error
    assert contacts_for(ws.store, "FRA") == []  # nothing logged for what was not sent

    smtp.refuse = set()
    second = ws.send(as_of=BEFORE + timedelta(days=1))
    assert [(i.iso3, i.action, i.outcome) for i in second.items if i.outcome] == [("FRA", "retry", "sent")]
    assert len(smtp.to("mission.fra@example.org")) == 1 and len(smtp.messages) == 3
    assert smtp.to("mission.fra@example.org")[0]["Message-ID"] == fra_row.message_id
    rows = [r for r in reminder_rows(ws.store) if r.iso3 == "FRA"]
    assert len(rows) == 1 and (rows[0].status, rows[0].attempts, rows[0].message_path) == (
        "sent", 2, fra_row.message_path)
    ws.send(as_of=BEFORE + timedelta(days=2))
    assert len(smtp.messages) == 3


def test_a_lost_message_file_is_rebuilt_with_the_same_message_id(ws, smtp):
    ws.smtp = smtp
    smtp.refuse = {"mission.deu@example.org"}
    ws.send(to=["DEU"])
    row = reminder_rows(ws.store)[0]
    Path(row.message_path).unlink()
    smtp.refuse = set()
    ws.send(to=["DEU"])
    (msg,) = smtp.to("mission.deu@example.org")
    assert msg["Message-ID"] == row.message_id
    assert Path(row.message_path).is_file()


def test_two_runs_planned_together_send_once(ws, smtp):
    ws.smtp = smtp
    first, second = ws.plan(), ws.plan()  # two analysts plan at the same moment
    with Mailer(smtp.settings) as m:
        send_reminders(ws.store, first, m, ws.out, from_addr=SENDER, templates_dir=ws.templates)
        send_reminders(ws.store, second, m, ws.out, from_addr=SENDER, templates_dir=ws.templates)
    assert len(smtp.messages) == 3 and len(reminder_rows(ws.store)) == 3
    assert {i.outcome for i in second.with_action("remind")} == {"skipped"}


def test_a_pending_reminder_is_not_sent_twice(ws, smtp):
    ws.smtp = smtp
    smtp.refuse = {"mission.deu@example.org"}
    ws.send(to=["DEU"])
    stale = ws.plan(to=["DEU"])  # plans the retry of the failed message
    smtp.refuse = set()
    ws.send(to=["DEU"])  # another run sends it first
    with Mailer(smtp.settings) as m:
        send_reminders(ws.store, stale, m, ws.out, from_addr=SENDER, templates_dir=ws.templates)
    assert len(smtp.to("mission.deu@example.org")) == 1
    assert stale.items[0].outcome == "already sent"


def test_reply_after_a_failure_cancels_the_pending_reminder(ws, smtp):
    ws.smtp = smtp
    smtp.refuse = {"mission.esp@example.org"}
    ws.send(to=["ESP"])
    add_reply(ws.store, ws.qid, "ESP", {}, BEFORE + timedelta(days=1))
    smtp.refuse = set()
    plan = ws.send(as_of=BEFORE + timedelta(days=2), to=["ESP"])
    assert [(i.action, i.outcome) for i in plan.items] == [("cancel", "cancelled")]
    assert smtp.messages == [] and reminder_rows(ws.store)[0].status == "cancelled"


def test_missing_or_changed_form_is_said_and_not_sent(ws, smtp):
    ws.smtp = smtp
    (ws.forms / f"FRA-{ws.q.key}.xlsx").unlink()
    (ws.forms / f"ESP-{ws.q.key}.xlsx").write_bytes(b"edited")
    plan = ws.send()
    reasons = {i.iso3: i.reason for i in plan.with_action("skip")}
    assert reasons["FRA"].startswith("form file missing") and reasons["ESP"].startswith("form file changed")
    assert [rcpts for rcpts, _ in smtp.messages] == [["mission.deu@example.org"]]


def test_user_templates_take_precedence(ws, smtp):
    ws.smtp = smtp
    written, kept = rm.init_templates(ws.templates)
    assert len(written) == 6 and kept == []
    (ws.templates / "reminder-before-en.txt").write_text(
        "Subject: Friendly nudge for $country ($days_left days)\n\nDear colleagues, $title by $deadline.\n",
        encoding="utf-8")
    assert rm.init_templates(ws.templates)[1]  # a second init keeps the edited files
    ws.send(to=["DEU", "FRA"])
    assert smtp.to("mission.deu@example.org")[0]["Subject"] == "Friendly nudge for Germany (10 days)"
    assert smtp.to("mission.fra@example.org")[0]["Subject"].startswith("Rappel")


def test_broken_user_template_is_a_located_error(ws, tmp_path):
    from migq.errors import MigqError

    rm.init_templates(ws.templates)
    (ws.templates / "reminder-before-en.txt").write_text("Subject: $countri\n\nx\n", encoding="utf-8")
    with pytest.raises(MigqError, match=r"reminder-before-en.txt: unknown placeholder \$countri"):
        write_drafts(ws.plan(to=["DEU"]), ws.out, templates_dir=ws.templates)


def test_smtp_settings_need_the_password_from_the_environment():
    with pytest.raises(UsageError, match="MIGQ_SMTP_PASSWORD"):
        smtp_settings("mail.example.org:587", user="officer", env={})
    s = smtp_settings("mail.example.org:587", starttls=True, user="officer", env={"MIGQ_SMTP_PASSWORD": "pw"})
    assert (s.host, s.port, s.starttls, s.password) == ("mail.example.org", 587, True, "pw")
    assert "pw" not in repr(s)
    with pytest.raises(UsageError, match="HOST:PORT"):
        smtp_settings("mail.example.org")


# --- At most once: the window between the server's acceptance and the database's record -----


def _crash_on_record(monkeypatch):
    """The server accepts the message, then recording 'sent' fails (as a lost database would)."""
    def boom(*args, **kwargs):
        raise MigqError("the database went away")

    monkeypatch.setattr(deliver, "_mark_sent", boom)
    return lambda: monkeypatch.setattr(deliver, "_mark_sent", _REAL_MARK_SENT)


_REAL_MARK_SENT = deliver._mark_sent


def _remind_cli(runner, db_url, *args, as_of=BEFORE + timedelta(days=1)):
    return runner.invoke(app, ["remind", "--db", db_url, "--as-of", str(as_of), *args])


def _sending_row(ws, iso3):
    (row,) = [r for r in reminder_rows(ws.store) if r.iso3 == iso3]
    return row


def test_crash_after_acceptance_is_uncertain_never_resent_then_confirmed(ws, smtp, runner, db_url, tmp_path,
                                                                        monkeypatch):
    ws.smtp = smtp
    monkeypatch.chdir(tmp_path)  # the CLI finds the forms in outbox/<key> there
    restore = _crash_on_record(monkeypatch)
    with pytest.raises(MigqError, match="accepted the reminder to DEU .* but recording it failed") as err:
        ws.send(to=["DEU"])
    assert "--confirm-sent DEU" in str(err.value)
    restore()
    assert len(smtp.messages) == 1
    row = _sending_row(ws, "DEU")
    assert (row.status, row.attempts) == ("sending", 1) and row.sent_at is not None
    assert contacts_for(ws.store, "DEU") == []

    smtp_arg = f"{smtp.settings.host}:{smtp.settings.port}"
    for args in (["--send", "--smtp", smtp_arg], ["--send", "--smtp", smtp_arg, "--to", "FRA"], []):
        r = _remind_cli(runner, db_url, *args)
        assert r.exit_code == 3, r.output
        assert "Uncertain:" in r.output and row.message_id in r.output
        assert "mission.deu@example.org" in r.output and "migq remind --confirm-sent DEU" in r.output
        assert "migq remind --resend DEU --send" in r.output
        assert "1 reminder(s) may or may not have gone out (DEU)" in r.output
    assert len(smtp.to("mission.deu@example.org")) == 1  # never sent again by itself
    assert _sending_row(ws, "DEU").status == "sending"

    r = _remind_cli(runner, db_url, "--confirm-sent", "deu", "--to", "DEU")
    assert r.exit_code == 0, r.output
    assert "Recorded 1 uncertain reminder(s) as sent (DEU)" in r.output and "Uncertain:" not in r.output
    row = _sending_row(ws, "DEU")
    assert (row.status, row.attempts) == ("sent", 1)
    log = contacts_for(ws.store, "DEU")
    assert [(e.channel, e.note) for e in log] == [("email", "reminder before sent (confirmed by hand)")]
    with ws.store.read() as conn:
        actions = [a for (a,) in conn.execute(select(schema.audit_log.c.action)
                                              .where(schema.audit_log.c.iso3 == "DEU")).all()]
    assert actions.count("reminder_sending") == 1 and actions.count("reminder_confirmed_sent") == 1

    r = _remind_cli(runner, db_url, "--send", "--smtp", smtp_arg, "--to", "DEU")
    assert r.exit_code == 0, r.output  # resolved: e-mailed less than --min-days ago, nothing sent
    assert len(smtp.to("mission.deu@example.org")) == 1
    r = _remind_cli(runner, db_url, "--confirm-sent", "DEU")
    assert r.exit_code == 0 and "--confirm-sent DEU: no uncertain reminder to DEU" in r.output


def test_crash_after_acceptance_then_resend_sends_it_once_more(ws, smtp, runner, db_url, tmp_path, monkeypatch):
    ws.smtp = smtp
    monkeypatch.chdir(tmp_path)
    restore = _crash_on_record(monkeypatch)
    with pytest.raises(MigqError):
        ws.send(to=["DEU"])
    restore()
    message_id = _sending_row(ws, "DEU").message_id
    smtp_arg = f"{smtp.settings.host}:{smtp.settings.port}"

    r = _remind_cli(runner, db_url, "--resend", "DEU")  # a dry run only says it would
    assert r.exit_code == 3 and "would be sent again with --send" in r.output
    assert len(smtp.messages) == 1
    r = _remind_cli(runner, db_url, "--confirm-sent", "DEU", "--resend", "DEU")
    assert r.exit_code == 2 and "choose one" in r.output

    r = _remind_cli(runner, db_url, "--send", "--smtp", smtp_arg, "--resend", "DEU", "--to", "DEU")
    assert r.exit_code == 0, r.output
    assert "Sent 1 reminder(s)" in r.output
    copies = smtp.to("mission.deu@example.org")
    assert len(copies) == 2 and {m["Message-ID"] for m in copies} == {message_id}  # the same message
    row = _sending_row(ws, "DEU")
    assert (row.status, row.attempts) == ("sent", 2)
    assert [e.note for e in contacts_for(ws.store, "DEU")] == ["reminder before sent"]

    r = _remind_cli(runner, db_url, "--send", "--smtp", smtp_arg, "--resend", "DEU", "--to", "DEU")
    assert r.exit_code == 0 and "--resend DEU: no uncertain reminder" in r.output
    assert len(smtp.messages) == 2


def test_a_process_killed_between_acceptance_and_commit(ws, smtp, db_url, tmp_path):
    """A real crash: the server stores the message, then kills the sending process before it
    answers; the next run sends nothing and reports the reminder as uncertain."""
    import os
    import signal
    import subprocess
    import sys

    victim = {}

    class KillingInbox(Inbox):
        async def handle_DATA(self, server, session, envelope):
            answer = await super().handle_DATA(server, session, envelope)
            os.kill(victim["pid"], signal.SIGKILL)  # accepted, and the client dies before the 250
            return answer

    from aiosmtpd.controller import Controller

    inbox = KillingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        cmd = [sys.executable, "-m", "migq", "remind", "--db", db_url, "--as-of", str(BEFORE), "--to", "DEU",
               "--send", "--smtp", f"127.0.0.1:{controller.port}"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        victim["pid"] = proc.pid
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, out.decode(errors="replace")
        assert len(inbox.messages) == 1
        row = _sending_row(ws, "DEU")
        assert row.status == "sending"

        again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert again.returncode == 3, again.stdout + again.stderr
        assert row.message_id in again.stdout and "Uncertain:" in again.stdout
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_no_answer_from_the_server_is_uncertain_not_failed(ws, smtp):
    class Hangup(Inbox):
        async def handle_DATA(self, server, session, envelope):
            await super().handle_DATA(server, session, envelope)
            server.transport.close()  # the message is in, the answer never comes
            return "250 OK"

    from aiosmtpd.controller import Controller

    inbox = Hangup()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        ws.smtp = smtp
        plan = ws.send(to=["DEU", "ESP"], settings=smtp_settings(f"127.0.0.1:{controller.port}"))
        assert {i.iso3: i.outcome for i in plan.items} == {"DEU": "uncertain", "ESP": "uncertain"}
        assert "no answer from the mail server" in plan.items[0].error
        assert {r.status for r in reminder_rows(ws.store)} == {"sending"}
        assert all("no answer from the mail server" in r.last_error for r in reminder_rows(ws.store))
        assert sorted(i.iso3 for i in plan.uncertain()) == ["DEU", "ESP"]
    finally:
        controller.stop()
    again = ws.send(as_of=BEFORE + timedelta(days=1), to=["DEU", "ESP"])
    assert {i.action for i in again.items} == {"uncertain"} and smtp.messages == []


def test_a_reply_does_not_cancel_an_uncertain_reminder(ws, smtp, monkeypatch):
    ws.smtp = smtp
    restore = _crash_on_record(monkeypatch)
    with pytest.raises(MigqError):
        ws.send(to=["ESP"])
    restore()
    add_reply(ws.store, ws.qid, "ESP", {}, BEFORE + timedelta(days=1))
    plan = ws.send(as_of=BEFORE + timedelta(days=2))
    (esp,) = [i for i in plan.items if i.iso3 == "ESP"]
    assert esp.action == "uncertain" and "replied on" in esp.reason and esp.replied_on is not None
    assert _sending_row(ws, "ESP").status == "sending" and plan.uncertain() == [esp]
    assert len(smtp.to("mission.esp@example.org")) == 1

    # A person says it did not go out: it is cancelled (they replied), not sent.
    plan = ws.send(as_of=BEFORE + timedelta(days=2), resend=["ESP"])
    (esp,) = [i for i in plan.items if i.iso3 == "ESP"]
    assert (esp.action, esp.outcome) == ("cancel", "cancelled")
    assert _sending_row(ws, "ESP").status == "cancelled" and len(smtp.to("mission.esp@example.org")) == 1


def test_a_reminder_another_run_is_sending_is_left_alone(ws, smtp):
    """While one run waits for the server's answer, a second run sees the claim, sends nothing
    and reports the reminder uncertain; the first then records it sent."""
    from aiosmtpd.controller import Controller

    ws.smtp = smtp
    stale = ws.plan(to=["DEU", "FRA"])  # the second analyst planned before the first claimed
    second = {}

    class Slow(Inbox):
        async def handle_DATA(self, server, session, envelope):
            if "plan" not in second:  # the first message: run the second analyst meanwhile
                with Mailer(smtp.settings) as m:
                    second["plan"] = send_reminders(ws.store, stale, m, ws.out, from_addr=SENDER,
                                                    templates_dir=ws.templates)
            return await super().handle_DATA(server, session, envelope)

    first_server = Slow()
    controller = Controller(first_server, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        first = ws.send(to=["DEU"], settings=smtp_settings(f"127.0.0.1:{controller.port}"))
    finally:
        controller.stop()
    assert [(i.iso3, i.outcome) for i in first.items] == [("DEU", "sent")]
    outcomes = {i.iso3: (i.outcome, i.status) for i in second["plan"].items}
    assert outcomes["DEU"] == ("uncertain", "sending") and outcomes["FRA"] == ("sent", "sent")
    assert len(first_server.messages) == 1 and smtp.to("mission.deu@example.org") == []
    assert _sending_row(ws, "DEU").status == "sent"
