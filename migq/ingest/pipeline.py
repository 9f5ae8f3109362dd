"""``migq ingest``: find files -> guard and read in isolated workers -> identify -> store.

Every file ends in exactly one outcome; none stops the batch. A file that is not a usable form
of ours is rejected and nothing of it is stored; a usable one is stored whole (evidence,
version, answers, problems, audit entry) in one transaction, or not at all. Results are stored
as the workers hand them back, while the workers go on with the next files; the run's closing
audit entry flushes the run to disk (see migq.store.db).
"""

from __future__ import annotations

import shlex

from migq.core.terminal import terminal_safe

import functools
import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from migq.errors import MigqError, Problem, printable, problem
from migq.ingest.sources import Item, expand, find_files

CHANNELS = ("email", "fax", "post", "hand")
ACCEPTED_OUTCOMES = {"accepted", "duplicate", "revision_accepted", "revision_pending"}


@dataclass
class FileOutcome:
    file: str
    outcome: str  # accepted | revision_pending | revision_accepted | duplicate | held | rejected | valid (dry run)
    iso3: str | None = None
    reason: str = ""
    code: str = ""
    version_no: int | None = None
    sha256: str | None = None
    received_on: date | None = None
    late: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome in ACCEPTED_OUTCOMES or self.outcome == "valid"

    def to_dict(self) -> dict:
        return dict(file=self.file, outcome=self.outcome, iso3=self.iso3, reason=self.reason, code=self.code,
                    version=self.version_no, sha256=self.sha256,
                    received_on=self.received_on.isoformat() if self.received_on else None, late=self.late,
                    problems=[p.to_dict() for p in self.problems])


@dataclass(frozen=True)
class IngestOptions:
    received_on: date | None = None
    channel: str = "email"
    dry_run: bool = False
    accept_revisions: bool = False
    assume: str | None = None
    workers: int | None = None


@functools.lru_cache(maxsize=4096)  # the recipients' names are folded again for every file
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _sheet_bounds(questionnaires) -> tuple[int, int]:
    """Used-range bounds from the forms themselves (never from what a file claims)."""
    rows = max((20 + sum(3 + len(q.choices) for q in qq.items) for _, qq in questionnaires), default=500)
    return max(rows * 4, 500), 60


def ingest(store, paths: list[Path], options: IngestOptions = IngestOptions(),
           progress: Callable[[str], None] | None = None) -> list[FileOutcome]:
    from migq.forms.isolate import IsolatedReader

    if options.channel not in CHANNELS:
        raise MigqError(f"'{options.channel}' is not a channel.", hint=f"Use one of: {', '.join(CHANNELS)}.")
    files = find_files(paths)
    # What identifies and checks a form (questionnaires, keys, the dispatch register) is read
    # before the workers start: forks of this process start in a millisecond and can be given a
    # file at once, and this reading is not slowed by the copy-on-write faults after a fork
    # (read during the first files, the register took four times as long as before them).
    with store.holding_connection():
        context = _Context.for_store(store, options)
        with IsolatedReader(workers=options.workers) as reader:
            return _read_and_store(reader, context, files, paths, progress)


def _read_and_store(reader, context: "_Context", files: list[Path], paths: list[Path],
                    progress: Callable[[str], None] | None) -> list[FileOutcome]:
    order: list[FileOutcome | None] = []  # outcomes in the order the files were found
    jobs = _jobs(files, paths, context, order)
    # Results come back as files finish; each is stored at once, in its own transaction,
    # and its outcome takes its place in the order (its bytes are let go of then).
    for job, result in reader.read_many(jobs):
        place, item = job.tag
        order[place] = context.handle(item, result)
        if progress:
            progress(item.display)
    reader.let_go()  # the workers exit while the run's closing entry is flushed to disk
    context.finish()
    return order


def _jobs(files: list[Path], roots: list[Path], context: "_Context", order: list):
    """A ReadItem for each spreadsheet to read, tagged with its place in ``order`` and its Item;
    found lazily, so reading starts at once. Files refused before reading (unreadable, too
    large, an e-mail without a form) go straight into ``order`` as rejections. E-mails are
    opened here; their attachments, like every spreadsheet, are guarded in the workers."""
    from migq.forms.guard import RejectedFile, inspect_file, read_limited, sniff_kind
    from migq.forms.isolate import ReadItem

    display_of = _Displays([root for root in roots if root.is_dir()])
    for path in files:
        display = printable(display_of(path))
        try:
            data = read_limited(path, context.limits)
            kind = sniff_kind(data, path.name)
            if kind == "eml":  # guarded here, as it is opened here
                kind = inspect_file(path, data, context.limits).kind
            found, skipped = expand(path, data, kind, display)
            order += [FileOutcome(s.display, "rejected", reason=s.reason, code=s.code) for s in skipped]
        except RejectedFile as err:
            order.append(FileOutcome(display, "rejected", reason=err.message, code=err.code))
            continue
        for item in found:
            order.append(None)
            yield ReadItem(item.data, "", item.name, context.questionnaire_list, context.limits,
                           tag=(len(order) - 1, item))


class _Displays:
    """The file as shown: from the folder given (its name included), else as given."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        # Per folder, the text a file under it starts with and how much of it to drop: the
        # same answer as the Path arithmetic below, without its cost for every file.
        self.prefixes = []
        for folder in folders:
            parent = str(folder.parent)
            drop = 0 if parent == "." else len(parent) + (0 if parent.endswith(os.sep) else 1)
            self.prefixes.append((str(folder) + os.sep, drop if folder.name else 0))

    def __call__(self, path: Path) -> str:
        text = str(path)
        for prefix, drop in self.prefixes:
            if text.startswith(prefix):
                return text[drop:]
        for folder in self.folders:  # a path spelled otherwise (rare): the Path arithmetic
            if path.is_relative_to(folder):
                return str(path.relative_to(folder.parent)) if folder.name else text
        return text


class _Context:
    """Identifies a read form (signature, dispatch, printed country) and stores it."""

    def __init__(self, store, roster, questionnaires, all_keys, dispatches: dict, options: IngestOptions):
        from migq.forms.guard import GuardLimits

        self.store, self.roster, self.keys, self.options = store, roster, all_keys, options
        self.dispatches = dispatches  # the register by issue id (looking each up cost a transaction)
        self.by_key = {(q.form_id, q.version): (qid, q) for qid, q in questionnaires}
        self.questionnaire_list = [q for _, q in questionnaires]
        max_rows, max_cols = _sheet_bounds(questionnaires)
        self.limits = GuardLimits(max_sheet_rows=max_rows, max_sheet_cols=max_cols)
        self.counts: dict[str, int] = {}

    @classmethod
    def for_store(cls, store, options: IngestOptions) -> "_Context":
        from migq.registry import load_roster
        from migq.store import keys, register

        roster = load_roster()
        if options.assume:
            roster.get(options.assume)
        questionnaires = register.registered_questionnaires(store)
        if not questionnaires:
            raise MigqError("no forms have been sent from this workspace yet, so no reply can be matched.",
                            hint="Run 'migq send' first, or point --db at the workspace that sent the forms.")
        dispatches = {d.issue_id: d for d in register.all_dispatches(store)}
        return cls(store, roster, questionnaires, keys.all_keys(store), dispatches, options)

    def handle(self, item: Item, result) -> FileOutcome:
        try:
            outcome = self._handle(item, result)
        except MigqError:  # the database is gone or locked: no later file would fare better
            raise
        except Exception as exc:  # noqa: BLE001
            # A fault of migq's own, met on this file (its transaction rolled back): the file
            # is set aside with the error, and the batch goes on.
            outcome = FileOutcome(item.display, "rejected", code="internal_error", reason=(
                f"migq failed on this file ({type(exc).__name__}: {str(exc)[:200]}) and stored nothing of it: "
                "keep the file and report this to the migq maintainers; the other files are not affected"))
        self.counts[outcome.outcome] = self.counts.get(outcome.outcome, 0) + 1
        return outcome

    def _handle(self, item: Item, result) -> FileOutcome:
        from migq.store.replies import NewReply, held_submission, store_reply

        sha = hashlib.sha256(item.data).hexdigest()
        received = self.options.received_on or item.message_day or date.today()
        if isinstance(result, MigqError):
            return FileOutcome(item.display, "rejected", reason=result.message, code=getattr(result, "code", "unreadable"), sha256=sha)
        problems = [_located(p, item.display) for p in result.problems]
        verdict = self._identify(item, result, problems)
        if isinstance(verdict, FileOutcome):
            verdict.sha256 = sha
            return verdict
        iso3, qid, q, issue_id, held_reason = verdict
        from migq.analysis import rules

        late = rules.is_late(received, self._deadline(issue_id, q))
        outcome = FileOutcome(item.display, "held" if held_reason else "valid", iso3=iso3, reason=held_reason,
                              sha256=sha, received_on=received, late=late, problems=problems)
        if self.options.dry_run:
            return outcome
        if held_reason is None and self.options.assume:
            held = held_submission(self.store, sha)
            if held:
                return self._attach(outcome, held, qid, late)
        reply = NewReply(
            sha256=sha, content=item.data, file_name=item.display, source_kind=result.kind,
            received_on=received, channel=self.options.channel, iso3=iso3, questionnaire_id=qid,
            issue_id=issue_id, late=late, held=held_reason is not None, sender=item.sender,
            message_date=item.message_date, answers=list(result.answers.values()), problems=problems,
            note=f"attached to {iso3} by {self.store.actor} (--assume)" if self.options.assume else (held_reason or ""),
        )
        # Not flushed file by file: finish() flushes the lot once (see migq.store.db).
        stored = store_reply(self.store, reply, accept_revisions=self.options.accept_revisions, durable=False)
        outcome.outcome, outcome.version_no = stored.outcome, stored.version_no
        if stored.outcome == "duplicate":
            outcome.reason = f"already stored (version {stored.version_no} of {stored.iso3 or 'a held reply'}); nothing changed"
            outcome.problems = []
        return outcome

    def finish(self) -> None:
        """Record the run in the audit log. Its write is flushed to disk, and with it every
        reply stored before it in this run."""
        if self.options.dry_run or not self.counts:
            return
        with self.store.write() as conn:
            self.store.audit(conn, "ingest_run", files=sum(self.counts.values()), channel=self.options.channel,
                             **{f"outcome_{k}": v for k, v in sorted(self.counts.items())})

    def _attach(self, outcome, held, qid, late) -> FileOutcome:
        from migq.store.replies import attach_held

        stored = attach_held(self.store, held["id"], outcome.iso3, qid, late, self.options.accept_revisions)
        outcome.outcome, outcome.version_no = stored.outcome, stored.version_no
        outcome.reason = "held reply attached by a person (--assume)"
        return outcome

    def _identify(self, item: Item, result, problems):
        """(iso3, qid, q, issue_id, held_reason) or a rejected FileOutcome."""
        ident = result.identity
        if not ident:
            key = result.questionnaire_key
            qid, q = self.by_key.get(tuple(key), (None, None)) if key else (None, None)
            if q is None:
                return FileOutcome(item.display, "rejected", reason="not a form of this workspace", code="unknown_form")
            if self.options.assume:
                return self.options.assume, qid, q, None, None
            return None, qid, q, None, ("its identification (hidden sheet and properties) was removed; "
                                        f"attach it to a recipient with: migq ingest {shlex.quote(terminal_safe(item.display, limit=500))} --assume ISO3")
        if not (ident.get("form_id") and ident.get("version")):  # part of it was removed or blanked
            return _altered(item)
        found = self.by_key.get((ident.get("form_id"), ident.get("version")))
        if found is None:
            return FileOutcome(item.display, "rejected", code="unknown_form",
                               reason=f"it is form {ident.get('form_id')} version {ident.get('version')}, which this "
                                      "workspace never sent: check --db, or ask the sender for the current form")
        qid, q = found
        secret = self.keys.get(ident.get("key_id", ""))
        from migq.forms.contract import FormIdentity

        try:
            form = FormIdentity(**{k: str(ident.get(k, "")) for k in FormIdentity.__dataclass_fields__})
        except TypeError:
            form = None
        if secret is None or form is None or not form.verify(secret):
            return _altered(item)
        dispatch = self.dispatches.get(form.issue_id)
        if dispatch is None or dispatch.iso3 != form.iso3:
            return FileOutcome(item.display, "rejected", code="unknown_issue",
                               reason=f"its reference {form.issue_id} is not in this workspace's dispatch register")
        if self.options.assume and self.options.assume != form.iso3:
            return FileOutcome(item.display, "rejected", code="assume_conflict",
                               reason=f"the form identifies itself as {form.iso3}; --assume {self.options.assume} is only for unidentified forms")
        printed = result.printed_country
        recipient = self.roster.get(form.iso3)
        if printed is not None and _fold(printed) not in {_fold(n) for n in recipient.names.values()}:
            problems.append(problem("country_mismatch", file=item.display, value=printed, ref=recipient.name("en")))
            return form.iso3, qid, q, form.issue_id, "the printed country does not match the form's recipient"
        if dispatch.replaced_by:
            problems.append(problem("replaced_form", file=item.display, value=form.issue_id))
        return form.iso3, qid, q, form.issue_id, None

    def _deadline(self, issue_id, q):
        from migq.analysis import rules

        d = self.dispatches.get(issue_id) if issue_id else None
        return rules.applicable_deadline(d.deadline if d else None, q.deadline)


def _altered(item: Item) -> FileOutcome:
    return FileOutcome(item.display, "rejected", code="bad_signature",
                       reason="its identification does not match its signature (it was altered, or comes "
                              "from another workspace): ask the sender to answer on the form that was sent")


def _located(p: Problem, display: str) -> Problem:
    if p.file == display:
        return p
    from dataclasses import replace

    return replace(p, file=display)
