"""Follow-up of a questionnaire: who stands where (status), reminders by e-mail, contact log.

Modules: ``status`` (state per recipient, totals), ``timeline`` (cumulative replies chart),
``contacts_log`` (contacts by phone, e-mail, meeting, note), ``remind`` (who gets a reminder),
``deliver`` (drafts and the reminders outbox), ``reminder_message`` (templates, .eml),
``mailer`` (SMTP). Names below are imported on first use so ``import migq.followup`` is cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "contacts_for": "contacts_log", "record_contact": "contacts_log", "last_contacts": "contacts_log",
    "ContactEntry": "contacts_log", "CHANNELS": "contacts_log",
    "recipient_statuses": "status", "filter_statuses": "status", "totals": "status",
    "resolve_questionnaire": "status", "RecipientStatus": "status", "STATES": "status",
    "reply_timeline": "timeline", "timeline_from_statuses": "timeline", "write_chart": "timeline",
    "text_lines": "timeline", "sparkline": "timeline", "Timeline": "timeline",
    "plan_reminders": "remind", "ReminderPlan": "remind", "ReminderItem": "remind",
    "write_drafts": "deliver", "send_reminders": "deliver", "confirm_sent": "deliver",
    "init_templates": "reminder_message", "load_template": "reminder_message",
    "Mailer": "mailer", "SmtpSettings": "mailer", "smtp_settings": "mailer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"migq.followup.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'migq.followup' has no attribute {name!r}")
