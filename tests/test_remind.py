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

from migq.errors import UsageError
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
