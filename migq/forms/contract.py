"""The form contract: what a workbook written by migq promises to whoever reads it back.

Shared by the writer and the reader, documented in docs/form-contract.md. Change it only with
a new CONTRACT_VERSION, and keep reading the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

CONTRACT_VERSION = "1"

QUESTIONNAIRE_SHEET = "Questionnaire"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "_lists"  # hidden: the labels behind the dropdowns
META_SHEET = "_migq"  # very hidden: the form's identity and signature

# Workbook-level defined names that are not answers.
RECIPIENT_NAME = "_migq_recipient"  # the printed country (locked)

# Keys of the metadata sheet (column A) and of the custom document properties ("migq_" + key).
META_KEYS = ("contract", "form_id", "version", "iso3", "issue_id", "language", "key_id", "signature")
SIGNED_KEYS = ("contract", "form_id", "version", "iso3", "issue_id", "language", "key_id")
PROPERTY_PREFIX = "migq_"

# A tick in a multiple-choice cell: what the reader accepts as "chosen" (after folding case).
TICK_VALUES = {"x", "✓", "✔", "☑", "yes", "oui", "sí", "si", "1", "true", "vrai", "verdadero", "y"}
BLANK_TICK_VALUES = {"", "0", "no", "non", "false", "faux", "falso", "n", "-"}

_CELL_REF = re.compile(r"^(?:[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*|[Rr]|[Cc])$")


def answer_name(question: str, choice: str | None = None) -> str:
    """The defined name of an answer cell: the question name; '<question>.<choice>' for ticks.

    Excel refuses names that read as cell references (``q1``, ``AB12``, ``R1C1``): those get a
    leading underscore. Reader and writer both call this function.
    """
    name = question if _CELL_REF.match(question) is None else f"_{question}"
    return f"{name}.{choice}" if choice is not None else name


@dataclass(frozen=True)
class FormIdentity:
    """What the metadata sheet and document properties carry."""

    form_id: str
    version: str
    iso3: str
    issue_id: str
    language: str
    key_id: str
    contract: str = CONTRACT_VERSION
    signature: str = ""

    def signed_message(self) -> bytes:
        values = [getattr(self, k) for k in SIGNED_KEYS]
        return "\n".join(["migq-form"] + [str(v) for v in values]).encode("utf-8")

    def sign(self, secret: bytes) -> "FormIdentity":
        sig = hmac.new(secret, self.signed_message(), hashlib.sha256).hexdigest()
        return FormIdentity(**{**self.as_dict(), "signature": sig})

    def verify(self, secret: bytes) -> bool:
        expected = hmac.new(secret, self.signed_message(), hashlib.sha256).hexdigest().encode("ascii")
        # Compared as bytes: the signature comes from the returned file and may hold any text,
        # and compare_digest refuses str that is not ASCII.
        return hmac.compare_digest(expected, (self.signature or "").encode("utf-8", "replace"))

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in META_KEYS}


def new_issue_id(iso3: str) -> str:
    """A unique, unguessable id for one issued form: 'FRA-3f9c2a71b0d4'."""
    import secrets

    return f"{iso3}-{secrets.token_hex(6)}"
