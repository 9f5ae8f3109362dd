"""Read the user's contacts file (.csv or .xlsx) into ``Contact`` records and located problems.

The file is the secretariat's own, not an untrusted reply, but it is typed by hand: every
wrong cell is reported with its row and column, all at once (the first hundred; the rest are
counted), and nothing is half-accepted.
Format: docs/recipients.md.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from email.utils import formataddr, parseaddr
from pathlib import Path

from migq.errors import MigqError, Problem, problem
from migq.registry import CORRESPONDENCE_LANGUAGES, Contact, load_roster

# Header spellings accepted for each column (compared lower-case, spaces and dashes as '_').
HEADERS = {
    "iso3": ("iso3", "iso", "iso_3", "iso3_code", "iso_code", "code"),
    "mission_email": ("mission_email", "mission_emails", "mission", "email", "emails"),
    "focal_point_email": ("focal_point_email", "focal_point_emails", "focal_point", "focal_points"),
    "cc": ("cc", "copy"),
    "language": ("language", "lang", "correspondence_language"),
}
LANGUAGE_WORDS = {
    "english": "en", "anglais": "en", "ingles": "en", "inglés": "en",
    "french": "fr", "francais": "fr", "français": "fr", "frances": "fr", "francés": "fr",
    "spanish": "es", "espagnol": "es", "espanol": "es", "español": "es",
}
# A deliberately plain address check: local@domain.tld, no spaces, no quoted local parts.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# The characters that decide where a list of addresses splits (see split_addresses).
QUOTE_OR_SEPARATOR_RE = re.compile(r'[";,]')
# An address cell holds a few addresses; a longer one is a mistake (and would be slow to check).
MAX_EMAIL_CELL = 10_000
# Problems kept for the user; the rest are only counted. A file wrong on every row would
# otherwise take minutes ('Did you mean' runs difflib) and print megabytes.
PROBLEMS_KEPT = 100
# Values quoted in a problem are cut to this length, so one huge cell cannot swamp the table.
VALUE_SHOWN = 60
EMAIL_COLUMNS = (("mission_email", "mission_emails"), ("focal_point_email", "focal_point_emails"),
                 ("cc", "cc"))


class ProblemsFound(list):
    """The first ``PROBLEMS_KEPT`` problems of a file; ``left_out`` counts the others."""

    left_out: int = 0


def read_contacts(path: str | Path) -> tuple[list[Contact], ProblemsFound]:
    """Contacts from ``path`` (.csv or .xlsx, first sheet, header row) and the problems found.

    Raises MigqError when the file cannot be used at all (wrong type, unreadable, no iso3
    column). Rows with problems give no contact; callers should store nothing if any problem.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise MigqError("no such contacts file.", hint="Check the path.", path=str(path))
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(path)
    else:
        raise MigqError(f"a contacts file must be .csv or .xlsx, not '{suffix or 'no extension'}'.",
                        hint="Save it as CSV UTF-8 or Excel workbook (.xlsx).", path=str(path))
    return _parse(table, path.name, str(path))


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MigqError("this CSV file is not UTF-8 text.",
                        hint="Save it again as 'CSV UTF-8' (Excel) or with UTF-8 encoding.",
                        path=str(path)) from None
    except OSError as err:
        raise MigqError(f"cannot read this file ({err.strerror}).", path=str(path)) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count) if first_line else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as err:
        raise MigqError(f"cannot read this CSV file ({err}).", path=str(path)) from None


def _read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # any failure to open the user's workbook is the same answer
        raise _unreadable_workbook(path, err) from None
    try:
        if not wb.worksheets:  # chart sheets are not worksheets
            raise MigqError("this workbook has no worksheet to read contacts from.",
                            hint="Put the contacts table, with its header row, on the first worksheet.",
                            path=str(path))
        sheet = wb.worksheets[0]
        try:
            return [["" if v is None else str(v) for v in row]
                    for row in sheet.iter_rows(values_only=True)]
        except Exception as err:  # a read-only sheet is parsed only now, so damage shows here
            raise _unreadable_workbook(path, err) from None
    finally:
        wb.close()


def _unreadable_workbook(path: Path, err: Exception) -> MigqError:
    return MigqError(f"cannot open this workbook ({type(err).__name__}: {err}).",
                     hint="Check that it is an Excel .xlsx file and not password-protected.",
                     path=str(path))


def _header_map(header: list[str], file: str) -> dict[str, int]:
    """Canonical column name -> index, from the header row."""
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
        for canonical, spellings in HEADERS.items():
            if key in spellings and canonical not in found:
                found[canonical] = index
    if "iso3" not in found:
        raise MigqError("the contacts file has no 'iso3' column.",
                        hint="Put a header row first with a column named iso3 "
                        "(and mission_email, focal_point_email, cc, language as needed).",
                        path=file)
    return found


def _parse(table: list[list[str]], file: str, full_path: str):
    roster = load_roster()
    rows = table
    if not rows:
        raise MigqError("the contacts file is empty.", hint="Add a header row and one row per recipient.",
                        path=full_path)
    columns = _header_map(rows[0], full_path)
    headers = {name: rows[0][i].strip() for name, i in columns.items()}
    contacts: list[Contact] = []
    problems = ProblemsFound()
    first_row: dict[str, int] = {}
    for row_number, cells in enumerate(rows[1:], start=2):
        def cell(name: str) -> str:
            i = columns.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        if not any(c.strip() for c in cells):
            continue  # blank lines are not errors
        where = {"file": file, "row": row_number}
        row_problems: list[Problem] = []
        code = cell("iso3").upper()
        if not code:
            row_problems.append(problem("missing_iso3", column=headers["iso3"], **where))
        elif code not in roster:
            p = problem("unknown_iso3", column=headers["iso3"], value=_shown(cell("iso3")), **where)
            suggestion = roster.suggest(cell("iso3")) if len(problems) < PROBLEMS_KEPT else ""
            if suggestion:
                p = dataclasses.replace(p, hint=f"{p.hint} Did you mean {suggestion}?")
            row_problems.append(p)
        elif code in first_row:
            row_problems.append(problem("duplicate_iso3", column=headers["iso3"], value=code,
                                        first_row=first_row[code], **where))
        else:
            first_row[code] = row_number
        addresses = {}
        for column, attr in EMAIL_COLUMNS:
            text = cell(column)
            if len(text) > MAX_EMAIL_CELL:
                p = problem("bad_email", column=headers[column], value=_shown(text), **where)
                row_problems.append(dataclasses.replace(
                    p, hint=f"{p.hint} This cell has {len(text):,} characters; "
                    f"an address cell may hold at most {MAX_EMAIL_CELL:,}."))
                continue
            good, bad = split_addresses(text)
            addresses[attr] = good
            row_problems += [problem("bad_email", column=headers[column], value=_shown(b), **where)
                             for b in bad]
        language = parse_language(cell("language"))
        if language is False:
            row_problems.append(problem("bad_language_code", column=headers["language"],
                                        value=_shown(cell("language")), **where))
        kept = row_problems[:PROBLEMS_KEPT - len(problems)]
        problems += kept
        problems.left_out += len(row_problems) - len(kept)
        if not row_problems:
            contacts.append(Contact(iso3=code, language=language or None, **addresses))
    return contacts, problems


def _shown(value: str) -> str:
    """``value`` as quoted in a problem: cut short, with its length, when it is long."""
    if len(value) <= VALUE_SHOWN:
        return value
    return f"{value[:VALUE_SHOWN]}… ({len(value):,} characters)"


def split_addresses(text: str) -> tuple[tuple[str, ...], list[str]]:
    """'a@x.org; Mission <b@y.org>' -> (good addresses, bad pieces)."""
    good: list[str] = []
    bad: list[str] = []
    for piece in _split_outside_quotes(text or ""):
        piece = piece.strip()
        if not piece:
            continue
        try:
            name, addr = parseaddr(piece)
        except RecursionError:  # the parser recurses into nested '(' or ':'
            bad.append(piece)
            continue
        shown = piece.rstrip(">").rsplit("<", 1)[-1].strip() if "<" in piece else piece
        if addr and EMAIL_RE.match(addr) and addr == shown:
            good.append(formataddr((name, addr)) if name else addr)
        else:
            bad.append(piece)
    return tuple(good), bad


def _split_outside_quotes(text: str) -> list[str]:
    """``text`` split at each ';' or ',' outside a quoted display name.

    A separator is outside quotes when an even number of '"' follows it. Counting down the
    quotes in one pass keeps this linear; a look-ahead regex rescanning the rest of the text
    for every separator took minutes on a long cell.
    """
    pieces: list[str] = []
    start = 0
    quotes_after = text.count('"')
    for match in QUOTE_OR_SEPARATOR_RE.finditer(text):
        if match.group() == '"':
            quotes_after -= 1
        elif quotes_after % 2 == 0:
            pieces.append(text[start:match.start()])
            start = match.end()
    pieces.append(text[start:])
    return pieces


def parse_language(text: str) -> str | None | bool:
    """'fr' / 'French' / 'Français' -> 'fr'; '' -> None; anything else -> False."""
    key = (text or "").strip().lower()
    if not key:
        return None
    if key in CORRESPONDENCE_LANGUAGES:
        return key
    return LANGUAGE_WORDS.get(key, False)
