"""Storing replies: evidence, versions, answers and problems, one transaction per file.

Version rules (docs/ingest.md): the first reply of a recipient to a form version is accepted;
a different file later is a new version linked to the one it replaces, counted only when
accepted (``--accept-revisions`` or ``migq accept``), until then 'revision_pending'. The same
bytes twice are one reply (unique evidence hash), also when two ingests race.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, insert, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from migq.errors import MigqError, Problem
from migq.store import schema
from migq.store.db import Store, utcnow
from migq.store.prepared import Prepared

COUNTED = ("accepted", "superseded")  # versions that were accepted at some point





# Storing a reply is the hot path of an ingest: its statements are built once and run straight
# on the driver (see migq.store.prepared); the rows are the same as through SQLAlchemy's execute.
_S = schema.submissions
# 'held' is written into the SQL, not bound: SQLite can prove a literal matches the partial
# version index's condition once, but re-plans the statement on every run to check a bound one.
_PRIOR = Prepared(select(_S.c.id, _S.c.version_no, _S.c.iso3, _S.c.status, _S.c.evidence_sha256)
                  .where(or_(_S.c.evidence_sha256 == bindparam("sha"),
                             and_(_S.c.iso3 == bindparam("iso3"), _S.c.questionnaire_id == bindparam("qid"),
                                  _S.c.status != literal_column("'held'"))))
                  .order_by(_S.c.version_no.desc()))
_INSERT_SUBMISSION = Prepared(insert(_S), returning_id=_S.c.id)
_INSERT_ANSWERS = Prepared(insert(schema.answers))
_INSERT_PROBLEMS = Prepared(insert(schema.problems))
# The same bytes may already be kept (say, by a reply stored while this one was read).
_KEEP_EVIDENCE = {name: Prepared(dialect.insert(schema.evidence).on_conflict_do_nothing())
                  for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}


@dataclass
class NewReply:
    sha256: str
    content: bytes
    file_name: str
    source_kind: str
    received_on: date
    channel: str
    iso3: str | None
    questionnaire_id: int | None
    issue_id: str | None
    late: bool
    held: bool
    sender: str | None = None
    message_date: str | None = None
    answers: list = field(default_factory=list)  # reader.Answer
    problems: list[Problem] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Stored:
    outcome: str  # accepted | revision_pending | revision_accepted | duplicate | held
    submission_id: int
    version_no: int
    iso3: str | None


class _Prior(NamedTuple):
    id: int
    version_no: int
    iso3: str | None
    status: str
    evidence_sha256: str


def store_reply(store: Store, reply: NewReply, *, accept_revisions: bool = False, durable: bool = True) -> Stored:
    """Store one reply atomically; a duplicate (same bytes) changes nothing. ``durable=False``
    leaves the flush to disk to a later durable write (see ``Store.write``)."""
    for attempt in range(3):
        try:
            with store.write(durable=durable) as conn:
                store.lock_recipient(conn, reply.iso3 or f"sha:{reply.sha256}")
                # One query finds both a duplicate (same bytes) and the version this one follows.
                prior = [_Prior(*row) for row in _PRIOR.all(conn, dict(sha=reply.sha256, iso3=reply.iso3,
                                                                        qid=reply.questionnaire_id))]
                dup = next((r for r in prior if r.evidence_sha256 == reply.sha256), None)
                if dup:
                    return Stored("duplicate", dup.id, dup.version_no, dup.iso3)
                return _insert(store, conn, reply, accept_revisions, prior[0] if prior else None)
        except IntegrityError:
            # Another process stored the same bytes or version between our check and insert
            # (possible only on PostgreSQL without the lock); the next pass sees its row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _insert(store: Store, conn, reply: NewReply, accept_revisions: bool, prev) -> Stored:
    _keep_evidence(conn, reply)
    version_no, replaces, status, outcome = 1, None, "accepted", "accepted"
    if reply.held:
        status, outcome = "held", "held"
    elif prev:
        version_no, replaces = prev.version_no + 1, prev.id
        if accept_revisions:
            _supersede(conn, reply.iso3, reply.questionnaire_id)
            outcome = "revision_accepted"
        else:
            status, outcome = "revision_pending", "revision_pending"
    sub_id = _INSERT_SUBMISSION.insert_id(conn, dict(
        evidence_sha256=reply.sha256, questionnaire_id=reply.questionnaire_id, iso3=reply.iso3,
        issue_id=reply.issue_id, version_no=version_no, replaces_id=replaces, status=status,
        file_name=_without_nul(reply.file_name), source_kind=reply.source_kind, received_on=reply.received_on,
        channel=reply.channel, sender=_without_nul(reply.sender), message_date=_without_nul(reply.message_date),
        late=reply.late,
        accepted_on=reply.received_on if status == "accepted" else None,
        created_at=utcnow(), created_by=store.actor,
    ))
    if reply.answers:
        _INSERT_ANSWERS.executemany(conn, [
            dict(submission_id=sub_id, question=a.question, value=_without_nul(a.value), raw=_without_nul(a.raw),
                 cell=a.cell, valid=a.valid)
            for a in reply.answers
        ])
    if reply.problems:
        _INSERT_PROBLEMS.executemany(conn, [
            dict(submission_id=sub_id, code=p.code, severity=p.severity.value, message=_without_nul(p.message),
                 hint=_without_nul(p.hint or ""), sheet=_without_nul(p.sheet), cell=p.cell, question=p.question)
            for p in reply.problems
        ])
    store.audit(conn, f"reply_{outcome}", iso3=reply.iso3, file_name=_without_nul(reply.file_name), sha256=reply.sha256,
                submission_id=sub_id, version=version_no, received_on=reply.received_on,
                channel=reply.channel, late=reply.late, problems=len(reply.problems), note=reply.note)
    return Stored(outcome, sub_id, version_no, reply.iso3)


def _keep_evidence(conn, reply: NewReply) -> None:
    _KEEP_EVIDENCE[conn.dialect.name].execute(conn, dict(
        sha256=reply.sha256, size=len(reply.content), content=reply.content, original_name=_without_nul(reply.file_name),
        stored_at=utcnow()))


def _without_nul(value):
    """Text as stored. A cell can hold NUL (OOXML writes it _x0000_), which PostgreSQL's text
    cannot: it is stored as the four characters \\x00, on SQLite too, so both hold the same."""
    return value.replace("\x00", "\\x00") if value and "\x00" in value else value


def _supersede(conn, iso3: str, questionnaire_id: int) -> None:
    s = schema.submissions
    conn.execute(update(s).where(s.c.iso3 == iso3, s.c.questionnaire_id == questionnaire_id,
                                 s.c.status == "accepted").values(status="superseded"))


def accept_revision(store: Store, iso3: str, questionnaire_id: int, version_no: int | None = None,
                    on: date | None = None) -> int:
    """Make a pending revision the counted reply; returns its version number."""
    s = schema.submissions
    with store.write() as conn:
        store.lock_recipient(conn, iso3)
        stmt = select(s.c.id, s.c.version_no).where(
            s.c.iso3 == iso3, s.c.questionnaire_id == questionnaire_id, s.c.status == "revision_pending")
        if version_no is not None:
            stmt = stmt.where(s.c.version_no == version_no)
        row = conn.execute(stmt.order_by(s.c.version_no.desc()).limit(1)).first()
        if row is None:
            what = f"version {version_no}" if version_no else "a revision"
            raise MigqError(f"{iso3} has no pending {what} to accept.", hint=f"See 'migq show {iso3}'.")
        _supersede(conn, iso3, questionnaire_id)
        # Older pending versions than the accepted one are superseded too: history stays linear.
        conn.execute(update(s).where(s.c.iso3 == iso3, s.c.questionnaire_id == questionnaire_id,
                                     s.c.status == "revision_pending", s.c.version_no < row.version_no)
                     .values(status="superseded"))
        conn.execute(update(s).where(s.c.id == row.id).values(status="accepted", accepted_on=on or date.today()))
        store.audit(conn, "revision_accepted", iso3=iso3, submission_id=row.id, version=row.version_no)
        return row.version_no


def evidence_bytes(store: Store, sha_or_prefix: str) -> tuple[str, str, bytes]:
    """(sha256, original name, bytes) for a full hash or an unambiguous prefix (>= 8 chars)."""
    e = schema.evidence
    if len(sha_or_prefix) < 8:
        raise MigqError(f"'{sha_or_prefix}' is too short to identify a file.", hint="Give at least 8 characters of the SHA-256.")
    with store.read() as conn:
        rows = conn.execute(select(e.c.sha256, e.c.original_name, e.c.content)
                            .where(e.c.sha256.like(sha_or_prefix.lower() + "%")).limit(2)).all()
    if not rows:
        raise MigqError(f"no stored file has the hash {sha_or_prefix}.", hint="See 'migq show ISO3' for the hashes of a recipient's replies.")
    if len(rows) > 1:
        raise MigqError(f"the hash prefix {sha_or_prefix} matches several files.", hint="Give more characters.")
    return rows[0].sha256, rows[0].original_name, bytes(rows[0].content)


def submissions_of(store: Store, iso3: str) -> list[dict]:
    s = schema.submissions
    with store.read() as conn:
        rows = conn.execute(select(s).where(s.c.iso3 == iso3).order_by(s.c.questionnaire_id, s.c.version_no)).mappings().all()
    return [dict(r) for r in rows]


def answers_of(store: Store, submission_id: int) -> list[dict]:
    a = schema.answers
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(a).where(a.c.submission_id == submission_id)).mappings().all()]


def problems_of(store: Store, submission_id: int) -> list[dict]:
    p = schema.problems
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(p).where(p.c.submission_id == submission_id).order_by(p.c.id)).mappings().all()]


def held_submission(store: Store, sha256: str) -> dict | None:
    s = schema.submissions
    with store.read() as conn:
        row = conn.execute(select(s).where(s.c.evidence_sha256 == sha256, s.c.status == "held")).mappings().first()
    return dict(row) if row else None


def attach_held(store: Store, submission_id: int, iso3: str, questionnaire_id: int, received_late: bool,
                accept_revisions: bool) -> Stored:
    """A person says whose a held (unidentified) reply is: it becomes that recipient's reply."""
    s = schema.submissions
    with store.write() as conn:
        store.lock_recipient(conn, iso3)
        prev = conn.execute(select(func.max(s.c.version_no)).where(
            s.c.iso3 == iso3, s.c.questionnaire_id == questionnaire_id, s.c.status != "held")).scalar()
        version_no = (prev or 0) + 1
        status, outcome = "accepted", "accepted"
        if prev:
            if accept_revisions:
                _supersede(conn, iso3, questionnaire_id)
                outcome = "revision_accepted"
            else:
                status, outcome = "revision_pending", "revision_pending"
        conn.execute(update(s).where(s.c.id == submission_id).values(
            iso3=iso3, questionnaire_id=questionnaire_id, version_no=version_no, status=status, late=received_late,
            accepted_on=date.today() if status == "accepted" else None))
        store.audit(conn, "held_reply_attached", iso3=iso3, submission_id=submission_id, outcome=outcome)
    return Stored(outcome, submission_id, version_no, iso3)
