"""Reminder wording (user-editable templates) and the .eml message built from it.

Templates are plain text files named ``reminder-<before|after>-<lang>.txt``: a first line
``Subject: ...``, a blank line, then the body, with ``string.Template`` placeholders. Files in
the working folder's ``templates/`` take precedence over the defaults shipped with migq.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from importlib import resources
from pathlib import Path

from migq.errors import MigqError, UsageError

KINDS = ("before", "after")
LANGUAGES = ("en", "fr", "es")
PLACEHOLDERS = ("country", "deadline", "title", "issue_id", "days_left", "days_late")
USER_FOLDER = Path("templates")
DEFAULT_FROM = "migration-questionnaire@un.org"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class ReminderTemplate:
    kind: str
    language: str
    subject: str
    body: str
    source: str  # the file it came from, for error messages


def template_name(kind: str, lang: str) -> str:
    return f"reminder-{kind}-{lang}.txt"


def choose_kind(as_of: date, deadline: date | None) -> str:
    """'before' up to and including the deadline day, 'after' from the day after."""
    return "after" if deadline is not None and as_of > deadline else "before"


def check_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    key = kind.strip().lower()
    if key not in KINDS:
        raise UsageError(f"'{kind}' is not a reminder template.", hint="Use --template before or after.")
    return key


def _default_text(name: str) -> str:
    return resources.files("migq").joinpath("templates", name).read_text(encoding="utf-8")


def init_templates(dest: Path = USER_FOLDER, *, overwrite: bool = False) -> tuple[list[Path], list[Path]]:
    """Copy the default templates to ``dest``; existing files are kept unless ``overwrite``.

    Returns (written, kept)."""
    written, kept = [], []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            for lang in LANGUAGES:
                target = dest / template_name(kind, lang)
                if target.exists() and not overwrite:
                    kept.append(target)
                    continue
                target.write_text(_default_text(template_name(kind, lang)), encoding="utf-8")
                written.append(target)
    except OSError as err:
        raise MigqError(f"cannot write the templates to {dest}: {err.strerror}.",
                        hint="Check that the folder is writable.") from err
    return written, kept


def load_template(kind: str, lang: str, *, folder: Path | None = USER_FOLDER) -> ReminderTemplate:
    """The user's template if ``folder`` has one, else the default; English if no such language."""
    lang = lang if lang in LANGUAGES else "en"
    name = template_name(kind, lang)
    user_file = folder / name if folder is not None else None
    if user_file is not None and user_file.is_file():
        try:
            text, source = user_file.read_text(encoding="utf-8"), str(user_file)
        except (OSError, UnicodeDecodeError) as err:
            raise MigqError(f"cannot read the template: {err}.", path=str(user_file),
                            hint="Save it as UTF-8 text, or delete it to use the default.") from err
    else:
        text, source = _default_text(name), f"(default) {name}"
    first, _, body = text.lstrip("\ufeff").partition("\n")
    if not first.lower().startswith("subject:"):
        raise MigqError("the first line must be 'Subject: ...'.", path=source,
                        hint="Start the template with the subject line, then a blank line, then the text.")
    return ReminderTemplate(kind, lang, first.split(":", 1)[1].strip(), body.lstrip("\n"), source)


def render(tpl: ReminderTemplate, values: dict) -> tuple[str, str]:
    """(subject, body) with placeholders filled; an unknown or broken placeholder is an error."""
    try:
        return (string.Template(tpl.subject).substitute(values),
                string.Template(tpl.body).substitute(values))
    except KeyError as err:
        raise MigqError(f"unknown placeholder ${err.args[0]}.", path=tpl.source,
                        hint=f"Use only {', '.join('$' + p for p in PLACEHOLDERS)} (write $$ for a dollar sign).") from err
    except ValueError as err:
        raise MigqError(f"a '$' is not followed by a placeholder name ({err}).", path=tpl.source,
                        hint="Write $$ for a literal dollar sign.") from err


def template_values(*, country: str, deadline: date | None, title: str, issue_id: str,
                    as_of: date, lang: str) -> dict:
    from migq.forms.texts import long_date

    days = (deadline - as_of).days if deadline else 0
    return {"country": country, "deadline": long_date(deadline, lang), "title": title,
            "issue_id": issue_id, "days_left": max(0, days), "days_late": max(0, -days)}


def sender_address(from_addr: str | None = None) -> str:
    return from_addr or os.environ.get("MIGQ_FROM") or DEFAULT_FROM


def build_message(*, subject: str, body: str, from_addr: str, to: tuple[str, ...],
                  cc: tuple[str, ...], message_id: str, issue_id: str, attachment_name: str,
                  attachment: bytes, draft: bool = False) -> bytes:
    """The reminder as .eml bytes: To the mission, Cc the focal points, the form attached."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr(("", from_addr))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg["X-Migq-Issue-Id"] = issue_id
    if draft:
        msg["X-Unsent"] = "1"  # mail clients open it as a draft ready to send
    msg.set_content(body)
    msg.add_attachment(attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=attachment_name)
    return bytes(msg)

