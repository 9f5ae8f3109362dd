"""Helpers for the database tests: replies built without Excel, and the 'no partial reply' audit.

Also a worker run as a separate process (``python tests/opstools.py SPEC.json``) so that the
concurrency and kill tests exercise real parallel processes, each with its own connections.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class Ans:
    """Shaped like the reader's Answer: what store_reply needs of one."""

    question: str
    value: str | None
    raw: str | None = None
    cell: str | None = None
    valid: bool = True


def reply_bytes(iso3: str, revision: str, size: int = 2000) -> bytes:
    """Deterministic bytes for one (recipient, revision): two processes build the same file."""
    seed = f"{iso3}:{revision}:".encode()
    return (seed * (size // len(seed) + 1))[:size]


def reply_answers(iso3: str, revision: str, n: int = 12) -> list[Ans]:
    return [Ans(f"q{i:02d}", f"{iso3.lower()}-{revision}-{i}", cell=f"C{i + 5}") for i in range(n)]


def make_reply(qid: int, iso3: str, revision: str = "a", n_answers: int = 12, content: bytes | None = None):
    from migq.store.replies import NewReply

    data = content if content is not None else reply_bytes(iso3, revision)
    return NewReply(sha256=hashlib.sha256(data).hexdigest(), content=data, file_name=f"{iso3}-{revision}.xlsx",
                    source_kind="xlsx", received_on=date(2008, 4, 2), channel="email", iso3=iso3,
                    questionnaire_id=qid, issue_id=None, late=False, held=False,
                    answers=reply_answers(iso3, revision, n_answers))


def bundled_questionnaire_id(store) -> int:
    from migq.store.register import register_questionnaire
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    return register_questionnaire(store, load_questionnaire(bundled_questionnaire_path()))


def partial_replies(store, expected_answers: dict[str, int] | None = None) -> list[str]:
    """Every way a reply could be half-stored; [] when each submission is whole.

    ``expected_answers`` maps an evidence SHA-256 to the number of answers its file holds.
    """
    from migq.store import schema

    s, a, e, log = schema.submissions, schema.answers, schema.evidence, schema.audit_log
    found: list[str] = []
    with store.read() as conn:
        rows = conn.execute(select(s.c.id, s.c.evidence_sha256, s.c.file_name)).all()
        n_answers = dict(conn.execute(select(a.c.submission_id, func.count()).group_by(a.c.submission_id)).all())
        have_evidence = set(conn.execute(select(e.c.sha256)).scalars())
        audited = set(conn.execute(select(log.c.sha256).where(log.c.action.like("reply_%"))).scalars())
        stray = conn.execute(select(func.count()).select_from(e).where(
            ~e.c.sha256.in_(select(s.c.evidence_sha256)))).scalar()
    for r in rows:
        if r.evidence_sha256 not in have_evidence:
            found.append(f"{r.file_name}: no evidence")
        if r.evidence_sha256 not in audited:
            found.append(f"{r.file_name}: no audit entry")
        if expected_answers is not None and n_answers.get(r.id, 0) != expected_answers.get(r.evidence_sha256):
            found.append(f"{r.file_name}: {n_answers.get(r.id, 0)} answers, expected {expected_answers.get(r.evidence_sha256)}")
    if stray:
        found.append(f"{stray} evidence row(s) without their submission")
    return found


def versions_by_recipient(store) -> dict[str, list[tuple[int, str]]]:
    """ISO3 -> [(version_no, evidence sha)] in version order."""
    from migq.store import schema

    s = schema.submissions
    with store.read() as conn:
        rows = conn.execute(select(s.c.iso3, s.c.version_no, s.c.evidence_sha256).order_by(s.c.iso3, s.c.version_no)).all()
    out: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        out.setdefault(r.iso3, []).append((r.version_no, r.evidence_sha256))
    return out


def spawn_worker(spec: dict, tmp_path: Path, name: str = "worker"):
    """Start this file as a worker process on ``spec``; returns the Popen (stdout piped)."""
    import subprocess

    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, str(HERE), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _worker(spec: dict) -> None:
    """Store the replies of ``spec`` one by one; with ``slow`` pause inside each transaction.

    Prints 'stored ISO3 REV OUTCOME' after each commit and 'inside ISO3 REV' when a slow
    transaction has written its rows but not committed, so a test can kill it right there.
    """
    from migq.store import db as store_db
    from migq.store.db import open_store
    from migq.store.replies import store_reply

    if spec.get("slow"):
        real_audit = store_db.Store.audit

        def slow_audit(self, conn, action, **kw):
            real_audit(self, conn, action, **kw)  # every row of the reply is now written, uncommitted
            print(f"inside {kw.get('iso3')} {kw.get('file_name')}", flush=True)
            time.sleep(spec["slow"])

        store_db.Store.audit = slow_audit
    with open_store(spec["db"]) as store:
        if spec.get("barrier"):  # start together: wait for the go file
            while not Path(spec["barrier"]).exists():
                time.sleep(0.005)
        for iso3, rev in spec["replies"]:
            stored = store_reply(store, make_reply(spec["qid"], iso3, rev), accept_revisions=spec.get("accept", False))
            print(f"stored {iso3} {rev} {stored.outcome}", flush=True)


if __name__ == "__main__":
    _worker(json.loads(Path(sys.argv[1]).read_text()))


# --- real forms: send, fill, read ------------------------------------------------------------

RECIPIENTS = ["FRA", "DEU", "ITA", "ESP", "MEX", "BRA", "SEN", "MAR", "PHL", "IND", "CHN", "JPN",
              "KEN", "EGY", "TUR", "CAN", "USA", "ARG", "CHL", "PER"]
OUTCOMES = ["good_outcome", "not_formal_outcome", "no_position"]


def send_real_forms(db: str, out_dir: Path, iso3s: list[str]) -> dict[str, Path]:
    """Send signed forms with migq itself; ISO3 -> the form file."""
    from migq.registry import load_roster
    from migq.send import send_forms
    from migq.store.db import open_store
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    q = load_questionnaire(bundled_questionnaire_path())
    with open_store(db) as store:
        result = send_forms(store, q, load_roster(), out_dir=out_dir, to=iso3s, sent_on=date(2008, 3, 18))
    return {s.iso3: s.path for s in result.sent}


def fill_real_form(blank: Path, n: int, comment: str = "") -> bytes:
    """A plausibly filled reply; ``n`` varies the answers, ``comment`` makes a distinct revision."""
    from formtools import fill_form

    answers = {"ministry": f"Ministry of Foreign Affairs {n}", "gfmd_outcome": OUTCOMES[n % 3],
               "gfmd_sole_followup": "yes" if n % 2 else "no", "followup_within_un": "yes",
               "gfmd_un_link": "strengthen_link", "gfmd_outcome_comment": comment or f"Reply {n}"}
    return fill_form(blank.read_bytes(), answers, ticks={"modalities": ["ga_agenda_item", "ga_regional_views"]})


def expected_answer_counts(db: str, files: list[Path]) -> dict[str, int]:
    """Evidence SHA-256 -> number of answers the reader finds in that file (what must be stored)."""
    from migq.forms.reader import read_form
    from migq.store.db import open_store
    from migq.store.register import registered_questionnaires

    with open_store(db) as store:
        qs = [q for _, q in registered_questionnaires(store)]
    out = {}
    for f in files:
        data = f.read_bytes()
        out[hashlib.sha256(data).hexdigest()] = len(read_form(data, "xlsx", f.name, qs).answers)
    return out


def ingest_cmd(db: str, *paths: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "migq", "ingest", *map(str, paths), "--db", db, "--received-on", "2008-04-02",
            "--format", "json", *extra]


_FORMS: dict[str, dict] = {}


def prepared_forms(root: Path) -> dict:
    """Send and fill the forms once per test session: {'src': db, 'filled': {iso3: path},
    'revisions': [path, path]} (two further different replies of FRA)."""
    if "forms" not in _FORMS:
        root.mkdir(parents=True, exist_ok=True)
        src = str(root / "source.db")
        blanks = send_real_forms(src, root / "outbox", RECIPIENTS)
        filled_dir, rev_dir = root / "filled", root / "revisions"
        filled_dir.mkdir()
        rev_dir.mkdir()
        filled = {}
        for n, iso3 in enumerate(RECIPIENTS):
            filled[iso3] = filled_dir / blanks[iso3].name
            filled[iso3].write_bytes(fill_real_form(blanks[iso3], n))
        revisions = []
        for tag in ("b", "c"):
            path = rev_dir / f"FRA-revision-{tag}.xlsx"
            path.write_bytes(fill_real_form(blanks["FRA"], 0, comment=f"Revised reply {tag}"))
            revisions.append(path)
        every = list(filled.values()) + revisions
        _FORMS["forms"] = dict(src=src, filled=filled, revisions=revisions,
                               expected=expected_answer_counts(src, every))
    return _FORMS["forms"]


def clone_workspace(src: str, dst: str) -> None:
    """Give ``dst`` the questionnaires, keys and dispatch register of ``src``: forms sent from
    ``src`` become replies ``dst`` recognises, without writing the forms again."""
    from sqlalchemy import insert

    from migq.store import schema
    from migq.store.db import open_store

    tables = (schema.questionnaires, schema.signing_keys, schema.dispatches)
    with open_store(src) as a, a.read() as conn:
        rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()] for t in tables}
    with open_store(dst) as b, b.write() as conn:
        for t in tables:
            if rows[t.name]:
                conn.execute(insert(t), rows[t.name])


def copy_files(paths, folder: Path) -> Path:
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        shutil.copyfile(p, folder / Path(p).name)
    return folder
