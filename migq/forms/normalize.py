"""Turn what a cell held into the canonical answer, or say why it cannot be.

Each function takes the raw cell value (str, float, int, bool, date, datetime, None) and
returns ``(value, problem)``: the canonical text (or None for no answer) and, when the cell
cannot be understood, ``(code, values)`` for the message catalogue.

Canonical forms: a choice code; integers and decimals as plain text ('12', '3.5'); dates as
'YYYY-MM-DD'; text as typed, without control characters or trailing whitespace.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from migq.forms.contract import BLANK_TICK_VALUES, TICK_VALUES
from migq.questionnaire import Question

MAX_TEXT = 32_767  # what one Excel cell can hold
INT64 = 2**63
MIN_YEAR, MAX_YEAR = 1900, 2100
EXCEL_EPOCH = date(1899, 12, 30)  # from serial 61 on; Excel counts a 29 February 1900

Problem = tuple[str, dict] | None

# Typographic variants that NFKD leaves alone.
_VARIANTS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fold(text: str) -> str:
    """A matching key: accents, case, width, quote/dash variants and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_VARIANTS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def cell_text(raw) -> str | None:
    """The cell as text, for messages and ``Answer.raw``; None when empty."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if raw.is_integer() and math.isfinite(raw):
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw)
    return text if text.strip() else None


class ChoiceMatcher:
    """Codes and labels of one question, in every language, mapped back to codes."""

    def __init__(self, question: Question, lang: str, fallback: str | None = None):
        self.question, self.lang, self.fallback = question, lang, fallback
        self.exact = {c.name: c.name for c in question.choices}
        self.folded: dict[str, str] = {}
        languages = [lang] + sorted({k for c in question.choices for k in c.labels} - {lang})
        keys = [(c.name, c.name) for c in question.choices]
        keys += [(c.labels[lg], c.name) for lg in languages for c in question.choices if c.labels.get(lg)]
        for text, code in keys:  # first claim wins: codes, then the form's language, then others
            self.folded.setdefault(fold(text), code)

    def match(self, raw) -> tuple[str | None, Problem]:
        text = cell_text(raw)
        if text is None:
            return None, None
        code = self.exact.get(text.strip()) or self.folded.get(fold(text))
        if code is None:
            return None, ("unknown_choice", {"value": text.strip(), "ref": self.question.name, "allowed": self.allowed})
        return code, None

    @property
    def allowed(self) -> str:
        return ", ".join(f"'{c.label(self.lang, self.fallback)}'" for c in self.question.choices)


_TICKS = {fold(t) for t in TICK_VALUES}
_BLANKS = {fold(t) for t in BLANK_TICK_VALUES}


def tick(raw) -> tuple[bool, Problem]:
    """Is this option chosen? True for x/yes/1..., False for blank/no/0..."""
    if raw is True or raw is False:
        return raw, None
    text = cell_text(raw)
    key = fold(text) if text is not None else ""
    if key in _TICKS:
        return True, None
    if key in _BLANKS:
        return False, None
    return False, ("tick_not_understood", {"value": text})


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’_]")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def _number(raw, lang: str) -> tuple[Decimal | None, Problem]:
    if isinstance(raw, bool) or isinstance(raw, (date, datetime, timedelta)):
        return None, ("not_a_number", {"value": cell_text(raw)})
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, ("number_not_finite", {"value": repr(raw)})
        return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw), None
    text = cell_text(raw)
    if text is None:
        return None, None
    s = _SPACES.sub("", text.strip().translate(_VARIANTS))
    if "," in s and "." in s:  # the later separator is the decimal one
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if lang == "en" and _THOUSANDS_COMMA.match(s) else s.replace(",", ".")
    elif s.count(".") > 1:
        s = s.replace(".", "")  # 1.234.567: dots grouping thousands
    try:
        number = Decimal(s)
    except InvalidOperation:
        return None, ("not_a_number", {"value": text.strip()})
    if not number.is_finite():
        return None, ("number_not_finite", {"value": text.strip()})
    return number, None


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def integer(raw, lang: str = "en") -> tuple[str | None, Problem]:
    number, problem = _number(raw, lang)
    if number is None:
        return None, problem
    if number != number.to_integral_value():
        return None, ("not_an_integer", {"value": cell_text(raw).strip()})
    value = int(number)
    if not -INT64 <= value < INT64:
        return None, ("integer_too_big", {"value": value})
    return str(value), None


def decimal(raw, lang: str = "en") -> tuple[str | None, Problem]:
    number, problem = _number(raw, lang)
    return (None, problem) if number is None else (_plain(number), None)


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def date_value(raw) -> tuple[str | None, Problem]:
    """Date cells, Excel serial numbers, ISO text and dd/mm/yyyy text -> 'YYYY-MM-DD'."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        if not MIN_YEAR <= raw.year <= MAX_YEAR:
            return None, ("impossible_date", {"value": raw.isoformat()})
        return raw.isoformat(), None
    if isinstance(raw, bool) or isinstance(raw, timedelta):
        return None, ("not_a_date", {"value": cell_text(raw)})
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw) or not 1 <= raw < 2_958_466:  # Excel's own serial range
            return None, ("impossible_date", {"value": cell_text(raw)})
        if int(raw) == 60:  # 1900-02-29, a day that exists only in Excel
            return None, ("not_a_date", {"value": cell_text(raw)})
        epoch = EXCEL_EPOCH if raw > 60 else EXCEL_EPOCH + timedelta(days=1)
        return date_value(epoch + timedelta(days=int(raw)))
    text = cell_text(raw)
    if text is None:
        return None, None
    text = text.strip()
    m = _ISO.match(text)
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None and (m := _DMY.match(text)):
        parts = (m.group(3), m.group(2), m.group(1))
    if parts is None:
        return None, ("not_a_date", {"value": text})
    try:
        return date_value(date(int(parts[0]), int(parts[1]), int(parts[2])))
    except ValueError:
        return None, ("not_a_date", {"value": text})


def text_value(raw) -> tuple[str | None, Problem]:
    """Text as typed, control characters (other than line breaks and tabs) removed."""
    text = cell_text(raw)
    if text is None:
        return None, None
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).rstrip()
    if not text:
        return None, None
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], ("text_too_long", {"value": f"{len(text):,}"})
    return text, None
