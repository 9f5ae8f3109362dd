"""The database schema (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The Alembic migrations in ``migq/store/migrations`` create exactly these tables; a test checks
that the migrated schema and this metadata agree, so new columns go in both places.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Index,
)

# Stable constraint names so migrations can refer to them on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)

# One row per questionnaire version used in this workspace; the definition is kept as JSON so
# a reply can always be read against the exact form that was sent.
questionnaires = Table(
    "questionnaires",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("form_id", String(100), nullable=False),
    Column("version", String(50), nullable=False),
    Column("definition_json", Text, nullable=False),
    Column("definition_sha256", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("form_id", "version", name="uq_questionnaires_form_version"),
)

# HMAC keys that sign the forms. Kept in the database so every analyst of a shared workspace
# verifies with the same keys; retired keys stay to verify forms already sent.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("secret_hex", String(128), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("retired_at", TS),
)

# The dispatch register: one row per form issued to a recipient.
dispatches = Table(
    "dispatches",
    metadata,
    Column("issue_id", String(40), primary_key=True),
    Column("questionnaire_id", ForeignKey("questionnaires.id"), nullable=False),
    Column("iso3", String(3), nullable=False),
    Column("language", String(8), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("deadline", Date),
    Column("to_addresses", Text, nullable=False, default=""),
    Column("cc_addresses", Text, nullable=False, default=""),
    Column("replaced_by", String(40)),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(100), nullable=False),
)
Index("ix_dispatches_iso3_q", dispatches.c.iso3, dispatches.c.questionnaire_id)

# Original bytes of every stored reply, content-addressed, written before parsing.
evidence = Table(
    "evidence",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("original_name", Text, nullable=False),
    Column("stored_at", TS, nullable=False),
)

# One row per received file that is a usable form (or an unidentified one held for a person).
# status: accepted | revision_pending | superseded | held | rejected_revision
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_sha256", ForeignKey("evidence.sha256"), nullable=False),
    Column("questionnaire_id", ForeignKey("questionnaires.id")),
    Column("iso3", String(3)),
    Column("issue_id", String(40)),
    Column("version_no", Integer, nullable=False, default=1),
    Column("replaces_id", ForeignKey("submissions.id")),
    Column("status", String(20), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("source_kind", String(8), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("channel", String(10), nullable=False, default="email"),
    Column("sender", Text),
    Column("message_date", Text),
    Column("late", Boolean, nullable=False, default=False),
    Column("accepted_on", Date),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(100), nullable=False),
    # The same bytes are one reply: a second ingest of them is a duplicate, also under races.
    UniqueConstraint("evidence_sha256", name="uq_submissions_evidence"),
)
Index("ix_submissions_iso3", submissions.c.iso3)
# One version number per recipient and form; held (unidentified) files stand outside the series.
Index("uq_submissions_version", submissions.c.iso3, submissions.c.questionnaire_id, submissions.c.version_no,
      unique=True, sqlite_where=submissions.c.status != "held", postgresql_where=submissions.c.status != "held")

# Answers as read: value is canonical (choice code; space-separated codes for select_multiple,
# as XLSForm does; ISO dates; numbers as text), raw is what the cell held.
answers = Table(
    "answers",
    metadata,
    Column("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True),
    Column("question", String(100), primary_key=True),
    Column("value", Text),
    Column("raw", Text),
    Column("cell", Text),  # 'Sheet!C12': a returned file may name its sheet at any length
    Column("valid", Boolean, nullable=False, default=True),
)

problems = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("hint", Text, nullable=False, default=""),
    Column("sheet", Text),
    Column("cell", Text),
    Column("question", String(100)),
    Column("resolved", Boolean, nullable=False, default=False),
)
Index("ix_problems_submission", problems.c.submission_id)

# Append-only (enforced by triggers in migration 0002): what happened, when, who, which file.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", TS, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("iso3", String(3)),
    Column("file_name", Text),
    Column("sha256", String(64)),
    Column("detail", Text, nullable=False, default=""),
)

contacts = Table(
    "contacts",
    metadata,
    Column("iso3", String(3), primary_key=True),
    Column("mission_emails", Text, nullable=False, default=""),
    Column("focal_point_emails", Text, nullable=False, default=""),
    Column("cc", Text, nullable=False, default=""),
    Column("language", String(8)),
    Column("updated_at", TS, nullable=False),
)

# Every contact with a recipient: phone calls and notes by hand, reminders sent by migq.
contact_log = Table(
    "contact_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("iso3", String(3), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("on_date", Date, nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", String(100), nullable=False),
)
Index("ix_contact_log_iso3", contact_log.c.iso3)

# Reminder outbox: a message is pending until the SMTP server accepted it; never lost, never
# sent twice unknowingly. status: pending -> sending (committed before the server is asked;
# sent_at holds when the attempt began) -> sent, or failed (refused, retried) / cancelled. A row
# left 'sending' may or may not have gone out: a person confirms or resends it (docs/follow-up.md).
reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("iso3", String(3), nullable=False),
    Column("questionnaire_id", ForeignKey("questionnaires.id"), nullable=False),
    Column("template", String(20), nullable=False),
    Column("message_path", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
)
Index("ix_reminders_iso3", reminders.c.iso3)

# Free-text coding: one row per (answer, coder, code) decision; history kept by superseding.
codings = Table(
    "codings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", ForeignKey("submissions.id"), nullable=False),
    Column("question", String(100), nullable=False),
    Column("coder", String(100), nullable=False),
    Column("code", String(100), nullable=False),
    Column("applies", Boolean, nullable=False),
    # 'coder' for a coder's decision, 'final' for the adjudicated code the report counts.
    Column("role", String(12), nullable=False, default="coder"),
    Column("note", Text, nullable=False, default=""),
    Column("at", TS, nullable=False),
    Column("superseded_by", Integer),
)
Index("ix_codings_answer", codings.c.submission_id, codings.c.question)

ALL_TABLES = [t.name for t in metadata.sorted_tables]
