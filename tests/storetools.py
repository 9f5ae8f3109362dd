"""Put known replies into a store without Excel files, for tests of anything downstream of ingest.

    qid = register_questionnaire(store, q)
    send_forms(store, qid, ["FRA", "DEU"], sent_on=date(2008, 3, 18), deadline=date(2008, 4, 30))
    add_reply(store, qid, "FRA", {"agenda": "yes"}, date(2008, 4, 2))

Rows are inserted directly, as the ingest would leave them, so tests control every status.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from contextlib import contextmanager
from datetime import date
from typing import Iterator

from sqlalchemy import create_engine, insert, text

from migq.questionnaire import Choice, Code, Position, Question, Questionnaire
from migq.store import schema
from migq.store.db import Store, utcnow
from migq.store.register import record_dispatches, register_questionnaire

__all__ = ["add_reply", "add_coding", "send_forms", "register_questionnaire", "record_dispatches",
           "sample_questionnaire"]

_serial = itertools.count(1)


def add_reply(store: Store, q_id: int, iso3: str | None, answers: dict[str, str | None],
              received_on: date, status: str = "accepted", version_no: int = 1,
              valid: dict[str, bool] | None = None, late: bool | None = None,
              channel: str = "email") -> int:
    """Insert one submission with its answers; returns the submission id.

    ``valid`` marks answers invalid (set aside) by question name; ``late`` defaults to False.
    """
    n = next(_serial)
    sha = hashlib.sha256(f"{q_id}:{iso3}:{version_no}:{received_on}:{n}:{id(store)}".encode()).hexdigest()
    valid = valid or {}
    with store.write() as conn:
        conn.execute(insert(schema.evidence).values(
            sha256=sha, size=1, content=b"x", original_name=f"reply-{n}.xlsx", stored_at=utcnow()))
        sid = conn.execute(insert(schema.submissions).values(
            evidence_sha256=sha, questionnaire_id=q_id, iso3=iso3, version_no=version_no,
            status=status, file_name=f"reply-{n}.xlsx", source_kind="xlsx", received_on=received_on,
            channel=channel, late=bool(late), created_at=utcnow(), created_by="tester",
            accepted_on=received_on if status in ("accepted", "superseded") else None,
        )).inserted_primary_key[0]
        for question, value in answers.items():
            conn.execute(insert(schema.answers).values(
                submission_id=sid, question=question, value=value, raw=value,
                valid=valid.get(question, True)))
    return sid


def add_coding(store: Store, submission_id: int, question: str, code: str, applies: bool = True,
               role: str = "final", coder: str = "adjudicator", superseded_by: int | None = None) -> int:
    with store.write() as conn:
        return conn.execute(insert(schema.codings).values(
            submission_id=submission_id, question=question, coder=coder, code=code,
            applies=applies, role=role, at=utcnow(), superseded_by=superseded_by,
        )).inserted_primary_key[0]


def send_forms(store: Store, q_id: int, iso3s, sent_on: date = date(2008, 3, 18),
               deadline: date | None = date(2008, 4, 30), language: str = "en") -> None:
    """Record one live dispatch per recipient (a second call re-issues, replacing the first)."""
    rows = [dict(issue_id=f"T{next(_serial):06d}{iso3}", questionnaire_id=q_id, iso3=iso3,
                 language=language, file_name=f"{iso3}.xlsx", file_sha256="0" * 64, key_id="k1",
                 sent_on=sent_on, deadline=deadline, to_addresses="", cc_addresses="")
            for iso3 in iso3s]
    record_dispatches(store, rows)


def _labels(en: str, fr: str = "", es: str = "") -> dict[str, str]:
    return {k: v for k, v in {"en": en, "fr": fr or en, "es": es or en}.items()}


def sample_questionnaire(form_id: str = "hld-followup", version: str = "2008.1") -> Questionnaire:
    """A small questionnaire with the shapes the report handles: select_one, select_multiple,
    a coded text question, and positions on each base."""
    yes_no = (Choice("yes", _labels("Yes", "Oui", "Sí")), Choice("no", _labels("No", "Non", "No")))
    items = (
        Question("agenda", "select_one", _labels("Should the Forum continue?", "Le Forum doit-il continuer ?",
                                                  "¿Debe continuar el Foro?"), list_name="yn", choices=yes_no),
        Question("topics", "select_multiple", _labels("Topics", "Thèmes", "Temas"), list_name="topics",
                 choices=(Choice("remit", _labels("Remittances", "Envois de fonds", "Remesas")),
                          Choice("brain", _labels("Brain drain", "Fuite des cerveaux", "Fuga de cerebros")),
                          Choice("rights", _labels("Rights", "Droits", "Derechos")))),
        Question("comments", "text", _labels("Comments", "Observations", "Observaciones")),
    )
    positions = (
        Position("continue", _labels("considered that the Forum should continue",
                                     "ont estimé que le Forum devait continuer",
                                     "consideraron que el Foro debía continuar"), "agenda", ("yes",)),
        Position("remit_ms", _labels("named remittances", "ont cité les envois de fonds",
                                     "citaron las remesas"), "topics", ("remit",), base="member_states"),
        Position("regional", _labels("called for regional consultations",
                                     "ont demandé des consultations régionales",
                                     "pidieron consultas regionales"), "comments", (), codes=("regional",)),
    )
    return Questionnaire(form_id=form_id, version=version, titles=_labels("HLD follow-up", "Suivi du DHN",
                                                                          "Seguimiento del DAN"),
                         default_language="en", languages=("en", "fr", "es"), items=items,
                         deadline=date(2008, 4, 30), positions=positions,
                         codes=(Code("regional", _labels("Regional consultations"), ("comments",)),))


@contextmanager
def scratch_pg_database(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on the server of ``server_url`` (empty, or a copy of
    ``template``), dropped afterwards, whatever the test left connected; yields its URL."""
    base = server_url.rsplit("/", 1)[0]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
                          isolation_level="AUTOCOMMIT")
    name = prefix + uuid.uuid4().hex[:12]
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def send_three_with_two_replies(store) -> int:
    """FRA, DEU and VAT sent; FRA replied on time, DEU after the 15 July report date."""
    import datetime as _dt

    qid = register_questionnaire(store, sample_questionnaire())
    send_forms(store, qid, ["FRA", "DEU", "VAT"])
    add_reply(store, qid, "FRA", {"agenda": "yes", "topics": "remit"}, _dt.date(2008, 4, 2))
    add_reply(store, qid, "DEU", {"agenda": "no", "topics": "remit rights"}, _dt.date(2008, 7, 16))
    return qid
