"""Read a questionnaire definition's sheets, from an XLSForm workbook or from YAML, as text rows.

Both sources become the same thing: for each sheet, its column headers and its rows as
``{header: text}`` with spreadsheet row numbers (header = row 1), so the checks can point at
the cell to fix whichever format the author used. Every cell is read as text (the YAML loader
resolves no types), because 'no', '2008' and '1.0' are names here, not booleans or numbers.

A definition may come from anyone, so the YAML loader refuses what a definition never needs
and a hostile file would use: aliases (a few lines of them expand to billions of cells), deep
nesting (it exhausts Python's stack), duplicate keys (one value would silently be lost) and
escapes such as "\\uD800" that stand for no character (no output can print them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path

from migq.errors import Problem, printable, problem
from migq.questionnaire import LANGUAGE_NAMES

SHEETS = ("survey", "choices", "settings", "positions", "codes")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
YAML_SUFFIXES = (".yaml", ".yml")

# Language names as they appear in XLSForm headers ("label::English (en)"), mapped to codes.
_LANGUAGE_CODES = {name.lower(): code for code, name in LANGUAGE_NAMES.items()} | {
    "english": "en", "french": "fr", "spanish": "es", "arabic": "ar", "russian": "ru", "chinese": "zh",
}
_CODE_IN_PARENS = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\s*\)\s*$")
# A definition nests at most sheets > rows > row > list value (4); anything far deeper is hostile.
MAX_YAML_DEPTH = 20


@dataclass
class Sheet:
    name: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns

    def translations(self, base: str, default_language: str) -> dict[str, str]:
        """``{language: header}`` for a translatable column ('label', 'hint', ...)."""
        found = {}
        for header in self.columns:
            if header == base:
                found.setdefault(default_language, header)
            elif header.startswith(base + "::"):
                found[language_of(header)] = header  # a translated column wins over plain
        return found


def language_of(header: str) -> str:
    """'label::Français (fr)' -> 'fr'; 'label::fr' -> 'fr'; 'label::French' -> 'fr'."""
    suffix = header.split("::", 1)[1].strip()
    m = _CODE_IN_PARENS.search(suffix)
    if m:
        return m.group(1).lower()
    if re.fullmatch(r"[A-Za-z]{2,3}", suffix):
        return suffix.lower()
    return _LANGUAGE_CODES.get(suffix.lower(), suffix)


def language_header(base: str, lang: str) -> str:
    """The XLSForm header for ``base`` in ``lang``: label::English (en)."""
    return f"{base}::{LANGUAGE_NAMES.get(lang, lang)} ({lang})"


def cell_text(value) -> str:
    """A cell as text: Excel dates become YYYY-MM-DD, whole floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):  # YAML lists, e.g. choices: [a, b]
        return " ".join(cell_text(v) for v in value)
    return str(value).strip()


def _header(value) -> str:
    """Normalise a header: 'Label :: English (en)' -> 'label::English (en)'."""
    text = cell_text(value)
    if "::" in text:
        base, rest = text.split("::", 1)
        return f"{base.strip().lower()}::{rest.strip()}"
    return text.lower()


def _sheet_from_rows(name: str, numbered_rows) -> Sheet:
    """Build a Sheet from (row number, [(header, value), ...]); the first of twin headers wins."""
    sheet = Sheet(name)
    for number, pairs in numbered_rows:
        row: dict[str, str] = {}
        for raw_header, value in pairs:
            header = _header(raw_header)
            if not header or header in row:
                continue
            if header not in sheet.columns:
                sheet.columns.append(header)
            row[header] = cell_text(value)
        if any(row.values()):
            sheet.rows.append((number, row))
    return sheet


def _duplicate_headers(name: str, headers: list, file: str) -> list[Problem]:
    seen: set[str] = set()
    found = []
    for header in (_header(h) for h in headers):
        if header and header in seen:
            found.append(problem("duplicate_column", file=file, sheet=name, row=1, column=header))
        seen.add(header)
    return found


def read_definition(path: Path) -> tuple[dict[str, Sheet] | None, list[Problem]]:
    """The sheets of a definition file, or None and the problems that make it unreadable."""
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return _read_yaml(path)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    reason = "it is a legacy .xls workbook; save it as .xlsx" if suffix == ".xls" else (
        f"the file name ends in '{suffix or '(nothing)'}', not .xlsx, .yaml or .yml"
    )
    return None, [problem("not_a_definition", file=str(path), reason=reason)]


def _read_xlsx(path: Path) -> tuple[dict[str, Sheet] | None, list[Problem]]:
    import openpyxl

    file = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged or foreign file
        reason = f"it cannot be opened as an Excel workbook ({type(exc).__name__})"
        return None, [problem("not_a_definition", file=file, reason=reason)]
    problems: list[Problem] = []
    sheets: dict[str, Sheet] = {}
    try:
        for ws in wb.worksheets:
            name = ws.title.strip().lower()
            if name not in SHEETS or name in sheets:
                continue
            rows = ws.iter_rows(values_only=True)
            headers = list(next(rows, ()) or ())
            numbered = ((number, list(zip(headers, values))) for number, values in enumerate(rows, start=2))
            sheets[name] = _sheet_from_rows(name, numbered)
            problems += _duplicate_headers(name, headers, file)
            for header in (_header(h) for h in headers):  # keep headers of empty columns too
                if header and header not in sheets[name].columns:
                    sheets[name].columns.append(header)
    except Exception as exc:  # a damaged sheet part: report, never a traceback
        reason = f"a sheet cannot be read ({type(exc).__name__})"
        return None, [problem("not_a_definition", file=file, reason=reason)]
    finally:
        wb.close()
    return sheets, problems


def _read_yaml(path: Path) -> tuple[dict[str, Sheet] | None, list[Problem]]:
    import yaml

    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None, [problem("not_a_definition", file=file, reason="it is not UTF-8 text")]
    try:
        data = yaml.load(text, Loader=_definition_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, [problem("bad_yaml", file=file, row=mark.line + 1 if mark else None, reason=reason + line)]
    if not isinstance(data, dict):
        return None, [problem("not_a_definition", file=file, reason="the top level is not a mapping of sheets")]
    problems: list[Problem] = []
    sheets: dict[str, Sheet] = {}
    for key, rows in data.items():
        name = str(key).strip().lower()
        if name not in SHEETS:
            continue
        if name == "settings" and isinstance(rows, dict):
            rows = [rows]  # settings may be written as one mapping
        if rows == "":
            rows = []
        if not isinstance(rows, list):
            reason = f"the '{name}' sheet is not a list of rows"
            problems.append(problem("not_a_definition", file=file, sheet=name, reason=reason))
            continue
        numbered = []
        for number, row in enumerate(rows, start=2):
            if not isinstance(row, dict):
                reason = "this row is not a mapping of column: value"
                problems.append(problem("not_a_definition", file=file, sheet=name, row=number, reason=reason))
                continue
            for header, value in row.items():
                if isinstance(value, dict):
                    reason = f"the value of '{header}' is a mapping, not text"
                    problems.append(problem("not_a_definition", file=file, sheet=name, row=number, reason=reason))
            numbered.append((number, [(k, v) for k, v in row.items() if not isinstance(v, dict)]))
        sheets[name] = _sheet_from_rows(name, numbered)
    return sheets, problems


@lru_cache(maxsize=1)
def _definition_loader() -> type:
    """The YAML loader for definitions, built on first use so that importing this module stays cheap."""
    import yaml
    from yaml.composer import ComposerError
    from yaml.constructor import ConstructorError

    class DefinitionLoader(yaml.BaseLoader):  # BaseLoader: every scalar stays text ('no' is not False)
        def __init__(self, stream):
            super().__init__(stream)
            self.depth = 0

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                reason = "the definition uses YAML aliases (&/*), which are not allowed: write the values out"
                raise ComposerError(None, None, reason, event.start_mark)
            if self.depth >= MAX_YAML_DEPTH:
                reason = (f"lists or mappings are nested more than {MAX_YAML_DEPTH} deep: a definition is sheets "
                          "of rows of column: text, a few levels at most")
                raise ComposerError(None, None, reason, event.start_mark)
            self.depth += 1
            node = super().compose_node(parent, index)
            self.depth -= 1
            return node

        def construct_mapping(self, node, deep=False):
            keys = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None and key in keys:
                    reason = f"the key '{printable(key)}' appears twice in one mapping: keep one"
                    raise ConstructorError(None, None, reason, key_node.start_mark)
                keys.add(key)
            return super().construct_mapping(node, deep)

        def construct_scalar(self, node):
            value = super().construct_scalar(node)
            if printable(value) != value:  # a lone surrogate, from an escape such as "\\uD800"
                reason = (f"'{printable(value)}' holds an escape that stands for no character (a lone surrogate): "
                          "write the intended character itself")
                raise ConstructorError(None, None, reason, node.start_mark)
            return value

    return DefinitionLoader
