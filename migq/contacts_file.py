"""Read the user's contacts file (.csv or .xlsx) into ``Contact`` records and located problems.

The file is the secretariat's own, not an untrusted reply, but it is typed by hand: every
wrong cell is reported with its row and column, all at once, and nothing is half-accepted.
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
# Split on ';' or ',' that are not inside a quoted display name.
SEPARATOR_RE = re.compile(r'[;,](?=(?:[^"]*"[^"]*")*[^"]*$)')
EMAIL_COLUMNS = (("mission_email", "mission_emails"), ("focal_point_email", "focal_point_emails"),
                 ("cc", "cc"))


def read_contacts(path: str | Path) -> tuple[list[Contact], list[Problem]]:
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
        raise MigqError(f"cannot open this workbook ({type(err).__name__}: {err}).",
                        hint="Check that it is an Excel .xlsx file and not password-protected.",
                        path=str(path)) from None
    try:
        sheet = wb.worksheets[0]
        return [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()


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
    problems: list[Problem] = []
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
            p = problem("unknown_iso3", column=headers["iso3"], value=cell("iso3"), **where)
            suggestion = roster.suggest(cell("iso3"))
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
            good, bad = split_addresses(cell(column))
            addresses[attr] = good
            row_problems += [problem("bad_email", column=headers[column], value=b, **where)
                             for b in bad]
        language = parse_language(cell("language"))
        if language is False:
            row_problems.append(problem("bad_language_code", column=headers["language"],
                                        value=cell("language"), **where))
        problems += row_problems
        if not row_problems:
            contacts.append(Contact(iso3=code, language=language or None, **addresses))
    return contacts, problems


def split_addresses(text: str) -> tuple[tuple[str, ...], list[str]]:
    """'a@x.org; Mission <b@y.org>' -> (good addresses, bad pieces)."""
    good: list[str] = []
    bad: list[str] = []
    for piece in SEPARATOR_RE.split(text or ""):
        piece = piece.strip()
        if not piece:
            continue
        name, addr = parseaddr(piece)
        shown = piece.rstrip(">").rsplit("<", 1)[-1].strip() if "<" in piece else piece
        if addr and EMAIL_RE.match(addr) and addr == shown:
            good.append(formataddr((name, addr)) if name else addr)
        else:
            bad.append(piece)
    return tuple(good), bad


def parse_language(text: str) -> str | None | bool:
    """'fr' / 'French' / 'Français' -> 'fr'; '' -> None; anything else -> False."""
    key = (text or "").strip().lower()
    if not key:
        return None
    if key in CORRESPONDENCE_LANGUAGES:
        return key
    return LANGUAGE_WORDS.get(key, False)
