"""``migq send``: one signed form per recipient, e-mail drafts, and the dispatch register.

Order of work: decide who gets a form, build one template per language, personalise and write
every file (atomically), then record the whole dispatch in one transaction. A crash before the
record leaves files but no register entries, and a re-run simply writes them again.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Callable

from migq.errors import UsageError
from migq.files import atomic_write
from migq.forms import writer
from migq.forms.contract import FormIdentity, new_issue_id
from migq.forms.texts import long_date, text
from migq.questionnaire import Questionnaire

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass
class SendPlan:
    issue: list = field(default_factory=list)  # Recipients who get a form now
    already_sent: list[str] = field(default_factory=list)  # ISO3 with a live form (no --reissue)


@dataclass(frozen=True)
class SentForm:
    iso3: str
    name: str
    language: str
    issue_id: str
    path: Path
    sha256: str
    draft: Path | None
    reissued: bool


@dataclass
class SendResult:
    out_dir: Path
    sent: list[SentForm]
    already_sent: list[str]
    without_contacts: list[str]
    warnings: list[str] = field(default_factory=list)


def plan_send(roster, live_dispatches: dict, *, to: list[str] | None = None,
              exclude: list[str] | None = None, reissue: bool = False) -> SendPlan:
    """Who gets a form: the roster (or ``to``) less ``exclude``; live forms only with reissue."""
    for code in (to or []) + (exclude or []):
        roster.get(code)  # raises a located error for an unknown ISO3
    chosen = [roster.get(c) for c in to] if to else list(roster)
    excluded = set(exclude or [])
    plan = SendPlan()
    for r in chosen:
        if r.iso3 in excluded:
            continue
        if r.iso3 in live_dispatches and not reissue:
            plan.already_sent.append(r.iso3)
        else:
            plan.issue.append(r)
    return plan


def choose_language(q: Questionnaire, recipient, contact=None, override: str | None = None) -> str:
    """--lang, else the contacts file's language, else the roster's; always one the form has."""
    if override:
        if override not in q.languages:
            raise UsageError(f"the questionnaire has no '{override}' version.",
                             hint=f"Use --lang with one of: {', '.join(q.languages)}.")
        return override
    for lang in ((contact.language if contact else None), recipient.language):
        if lang and lang in q.languages:
            return lang
    return q.default_language


def _personalise_batch(args) -> list[tuple[str, bytes]]:
    template, jobs = args
    return [(ident.iso3, writer.personalise(template, rec, ident)) for rec, ident in jobs]


def send_forms(store, q: Questionnaire, roster, *, out_dir: Path, to=None, exclude=None,
               lang: str | None = None, deadline: date | None = None, sent_on: date | None = None,
               reissue: bool = False, contacts: dict | None = None, workers: int | None = None,
               progress: Callable[[int], None] | None = None) -> SendResult:
    from migq.store import keys, register

    sent_on = sent_on or date.today()
    deadline = deadline or q.deadline
    plan_send(roster, {}, to=to, exclude=exclude)  # unknown ISO3 codes fail before any work
    warnings = []
    if deadline and deadline < sent_on:
        warnings.append(f"the deadline {deadline} is before the date sent {sent_on}; "
                        "set a new one with --deadline, or record the real date with --sent-on.")
    contacts = contacts or {}
    qid = register.register_questionnaire(store, q)
    live = register.current_dispatches(store, qid)
    plan = plan_send(roster, live, to=to, exclude=exclude, reissue=reissue)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not plan.issue:
        return SendResult(out_dir, [], plan.already_sent, [], warnings)
    key_id, secret = keys.active_key(store)

    by_lang: dict[str, list] = {}
    for r in plan.issue:
        language = choose_language(q, r, contacts.get(r.iso3), lang)
        ident = FormIdentity(form_id=q.form_id, version=q.version, iso3=r.iso3,
                             issue_id=new_issue_id(r.iso3), language=language, key_id=key_id).sign(secret)
        by_lang.setdefault(language, []).append((writer.Recipient(r.iso3, r.name(language)), ident))
    forms = _build_all(q, by_lang, deadline, workers)

    sent: list[SentForm] = []
    rows: list[dict] = []
    without_contacts: list[str] = []
    for language, jobs in by_lang.items():
        for rec, ident in jobs:
            data = forms[ident.iso3]
            path = out_dir / f"{rec.iso3}-{q.key}.xlsx"
            _atomic_write(path, data)
            sha = hashlib.sha256(data).hexdigest()
            contact = contacts.get(rec.iso3)
            draft = None
            if contact and (contact.mission_emails or contact.focal_point_emails):
                draft = out_dir / "email" / f"{rec.iso3}-{q.key}.eml"
                _atomic_write(draft, cover_email(q, rec, ident, contact, path.name, data, deadline, sent_on))
            else:
                without_contacts.append(rec.iso3)
            sent.append(SentForm(rec.iso3, rec.name, language, ident.issue_id, path, sha, draft, rec.iso3 in live))
            rows.append(dict(
                issue_id=ident.issue_id, questionnaire_id=qid, iso3=rec.iso3, language=language,
                file_name=path.name, file_sha256=sha, key_id=key_id, sent_on=sent_on, deadline=deadline,
                to_addresses=";".join(contact.mission_emails) if contact else "",
                cc_addresses=";".join((*contact.focal_point_emails, *contact.cc)) if contact else "",
            ))
            if progress:
                progress(1)
    register.record_dispatches(store, rows)
    return SendResult(out_dir, sorted(sent, key=lambda s: s.iso3), plan.already_sent, sorted(without_contacts), warnings)


def _build_all(q, by_lang: dict, deadline, workers: int | None) -> dict[str, bytes]:
    """Templates (one per language), then personalisation, spread over the machine's cores."""
    templates = {language: writer.build_template(q, language, deadline) for language in by_lang}
    batches = []
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    for language, jobs in by_lang.items():
        size = max(8, len(jobs) // max(1, n_workers) + 1)
        batches += [(templates[language], jobs[i:i + size]) for i in range(0, len(jobs), size)]
    total = sum(len(j) for j in by_lang.values())
    if n_workers <= 1 or total < 40:
        results = map(_personalise_batch, batches)
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            results = list(pool.map(_personalise_batch, batches))
    return {iso3: data for batch in results for iso3, data in batch}


def cover_email(q: Questionnaire, rec, ident: FormIdentity, contact, file_name: str, data: bytes,
                deadline: date | None, sent_on: date) -> bytes:
    """An .eml draft any mail client opens: To the mission, Cc the focal points, form attached."""
    lang = ident.language
    values = dict(title=q.title(lang), country=rec.name, deadline=long_date(deadline, lang), issue_id=ident.issue_id)
    msg = EmailMessage()
    msg["Subject"] = text(lang, "subject").format(**values)
    msg["To"] = ", ".join(contact.mission_emails or contact.focal_point_emails)
    cc = [a for a in (*contact.focal_point_emails, *contact.cc) if a not in (contact.mission_emails or contact.focal_point_emails)]
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["From"] = formataddr(("", os.environ.get("MIGQ_FROM", "migration-questionnaire@un.org")))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="migq.invalid")
    msg["X-Migq-Issue-Id"] = ident.issue_id
    msg["X-Unsent"] = "1"  # Outlook opens it as a draft ready to send
    msg.set_content(text(lang, "cover").format(**values))
    msg.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=file_name)
    return bytes(msg)


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data, hint="Check the --out folder and free disk space.")
