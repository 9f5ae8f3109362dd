"""The questionnaire table and the dispatch register (what was sent, to whom, signed how)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from migq.questionnaire import Questionnaire, from_dict, to_dict
from migq.store import schema
from migq.store.db import Store, utcnow


def _definition_json(q: Questionnaire) -> str:
    d = to_dict(q)
    d.pop("source", None)  # where it was loaded from is not part of the definition
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def register_questionnaire(store: Store, q: Questionnaire) -> int:
    """The id of this form version in the workspace, recording it on first use.

    A different definition under the same form_id and version is refused: the forms already
    sent were built from the first one, so the replies must be read against it.
    """
    from migq.errors import MigqError

    text = _definition_json(q)
    sha = hashlib.sha256(text.encode()).hexdigest()
    t = schema.questionnaires
    for _ in range(2):  # a second try covers a concurrent first registration
        with store.write() as conn:
            row = conn.execute(
                select(t.c.id, t.c.definition_sha256).where(t.c.form_id == q.form_id, t.c.version == q.version)
            ).first()
            if row:
                if row.definition_sha256 != sha:
                    raise MigqError(
                        f"the questionnaire {q.form_id} version {q.version} differs from the one "
                        "this workspace already sent.",
                        hint="Give the changed questionnaire a new version in its settings sheet.",
                    )
                return row.id
            try:
                qid = conn.execute(
                    insert(t).values(form_id=q.form_id, version=q.version, definition_json=text,
                                     definition_sha256=sha, created_at=utcnow())
                ).inserted_primary_key[0]
                store.audit(conn, "questionnaire_registered", form_id=q.form_id, version=q.version, sha256=sha)
                return qid
            except IntegrityError:
                conn.rollback()
                continue
    raise MigqError("could not register the questionnaire; run the command again.")


def load_questionnaire_by_id(store: Store, qid: int) -> Questionnaire:
    with store.read() as conn:
        text = conn.execute(select(schema.questionnaires.c.definition_json).where(schema.questionnaires.c.id == qid)).scalar_one()
    return from_dict(json.loads(text))


def find_questionnaire(store: Store, form_id: str, version: str) -> tuple[int, Questionnaire] | None:
    t = schema.questionnaires
    with store.read() as conn:
        row = conn.execute(select(t.c.id, t.c.definition_json).where(t.c.form_id == form_id, t.c.version == version)).first()
    return (row.id, from_dict(json.loads(row.definition_json))) if row else None


def registered_questionnaires(store: Store) -> list[tuple[int, Questionnaire]]:
    t = schema.questionnaires
    with store.read() as conn:
        rows = conn.execute(select(t.c.id, t.c.definition_json).order_by(t.c.id)).all()
    return [(r.id, from_dict(json.loads(r.definition_json))) for r in rows]


@dataclass(frozen=True)
class Dispatch:
    issue_id: str
    questionnaire_id: int
    iso3: str
    language: str
    file_name: str
    file_sha256: str
    key_id: str
    sent_on: date
    deadline: date | None
    to_addresses: str
    cc_addresses: str
    replaced_by: str | None


def current_dispatches(store: Store, questionnaire_id: int) -> dict[str, Dispatch]:
    """The live (not replaced) dispatch per recipient for this form version."""
    t = schema.dispatches
    with store.read() as conn:
        rows = conn.execute(
            select(t).where(t.c.questionnaire_id == questionnaire_id, t.c.replaced_by.is_(None))
        ).mappings().all()
    return {r["iso3"]: _dispatch(r) for r in rows}


def get_dispatch(store: Store, issue_id: str) -> Dispatch | None:
    t = schema.dispatches
    with store.read() as conn:
        row = conn.execute(select(t).where(t.c.issue_id == issue_id)).mappings().first()
    return _dispatch(row) if row else None


def all_dispatches(store: Store, questionnaire_id: int | None = None) -> list[Dispatch]:
    t = schema.dispatches
    stmt = select(t).order_by(t.c.iso3, t.c.created_at)
    if questionnaire_id is not None:
        stmt = stmt.where(t.c.questionnaire_id == questionnaire_id)
    with store.read() as conn:
        return [_dispatch(r) for r in conn.execute(stmt).mappings().all()]


def _dispatch(r) -> Dispatch:
    return Dispatch(**{f: r[f] for f in Dispatch.__dataclass_fields__})


def record_dispatches(store: Store, rows: list[dict]) -> None:
    """Record issued forms in one transaction; a re-issue marks the earlier dispatch replaced."""
    t = schema.dispatches
    now = utcnow()
    with store.write() as conn:
        for r in rows:
            conn.execute(
                update(t)
                .where(t.c.questionnaire_id == r["questionnaire_id"], t.c.iso3 == r["iso3"],
                       t.c.replaced_by.is_(None))
                .values(replaced_by=r["issue_id"])
            )
            conn.execute(insert(t).values(**r, created_at=now, created_by=store.actor))
        store.audit(conn, "forms_sent", count=len(rows), recipients=[r["iso3"] for r in rows],
                    questionnaire_id=rows[0]["questionnaire_id"] if rows else None)


def pick_questionnaire(store: Store, spec: str | None = None) -> tuple[int, Questionnaire]:
    """(id, Questionnaire) for 'FORM_ID:VERSION', or None for the only (else the latest)
    registered questionnaire. Every command's --questionnaire option goes through here."""
    from migq.errors import MigqError, UsageError

    if spec:
        form_id, sep, version = spec.partition(":")
        if not sep or not form_id.strip() or not version.strip():
            raise UsageError(f"'{spec}' does not name a questionnaire version.",
                             hint="Write --questionnaire FORM_ID:VERSION, e.g. hld-followup:2008.")
        found = find_questionnaire(store, form_id.strip(), version.strip())
        if found is None:
            known = ", ".join(f"{q.form_id}:{q.version}" for _, q in registered_questionnaires(store))
            raise MigqError(f"the questionnaire {spec} was never sent from this workspace.",
                            hint=f"Use one of: {known}." if known else "Send the forms first (migq send).")
        return found
    registered = registered_questionnaires(store)
    if not registered:
        raise MigqError("no questionnaire has been sent from this workspace yet.",
                        hint="Send the forms first (migq send), or check the --db option.")
    return registered[-1]
