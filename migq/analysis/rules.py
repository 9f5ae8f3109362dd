"""The one place that decides which reply counts and whether a reply is late.

The rules (docs/report.md, "How replies are counted"):
- The deadline that applies to a dispatch is the dispatch's own deadline (``migq send
  --deadline``), else the questionnaire's deadline, else none.
- A reply is late when it was received after the deadline that applies; with no deadline it
  is never late. A recipient is late when its first accepted reply is late.
- As of date D, the versions that count are those received on or before D whose status is
  'accepted' or 'superseded' (a version superseded later was the counted one before that);
  the version that counts is the one with the highest version_no, per questionnaire.
  Pending revisions, held replies and rejected revisions never count.

Pure functions (stdlib only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

COUNTED_STATUSES = ("accepted", "superseded")


def applicable_deadline(dispatch_deadline: date | None, questionnaire_deadline: date | None) -> date | None:
    """The dispatch's own deadline, else the questionnaire's (None when neither is set)."""
    return dispatch_deadline or questionnaire_deadline


def is_late(received_on: date | None, deadline: date | None) -> bool:
    """Received after the deadline that applies; never late without a deadline or a date."""
    return bool(deadline is not None and received_on is not None and received_on > deadline)


def counts(status: str) -> bool:
    """Whether a reply with this status can be the counted one."""
    return status in COUNTED_STATUSES


def _get(row: Any, key: str):
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


def counting_versions(rows: Iterable[Any], as_of: date | None = None,
                      questionnaire_id: int | None = None) -> list[Any]:
    """The rows that may count as of ``as_of``, lowest version_no first (of one questionnaire if given)."""
    out = [r for r in rows if counts(_get(r, "status"))
           and (as_of is None or _get(r, "received_on") <= as_of)
           and (questionnaire_id is None or _get(r, "questionnaire_id") == questionnaire_id)]
    return sorted(out, key=lambda r: _get(r, "version_no"))


def counted_version(rows: Iterable[Any], as_of: date | None = None,
                    questionnaire_id: int | None = None) -> Any | None:
    """The row that counts as of ``as_of``: the highest counting version_no, or None."""
    eligible = counting_versions(rows, as_of, questionnaire_id)
    return eligible[-1] if eligible else None


def first_counting(rows: Iterable[Any], as_of: date | None = None,
                   questionnaire_id: int | None = None) -> Any | None:
    """The first accepted reply (earliest received, then lowest version): the one lateness looks at."""
    eligible = counting_versions(rows, as_of, questionnaire_id)
    return min(eligible, key=lambda r: (_get(r, "received_on"), _get(r, "version_no"))) if eligible else None
