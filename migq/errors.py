"""The two error channels of migq.

1. ``MigqError``: something that stops the work (a file that is no form of ours, a database
   that cannot be reached). The CLI prints one ``Error: ...`` line and exits 1.
2. ``Problem``: something wrong *inside* a usable file or definition (a missing answer, a
   label missing in one language). Problems are data: collected, located, shown together.

Every user-facing problem message lives in ``MESSAGES`` so wording stays consistent and
reviewable in one place (the pyxform lesson).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class MigqError(Exception):
    """The work cannot proceed. ``str(err)`` is the whole user-facing message."""

    def __init__(self, message: str, *, hint: str | None = None, path: str | None = None):
        self.message = message
        self.hint = hint
        self.path = path
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.path}: " if self.path else ""
        tail = f" {self.hint}" if self.hint else ""
        return f"{where}{self.message}{tail}"


def printable(text: str) -> str:
    """A file name safe to print, store and send as JSON. A name whose bytes are not in the
    system's encoding (a file saved on another system, say) reaches Python holding surrogate
    escapes, which no UTF-8 output accepts: those bytes are shown as \\xNN."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # surrogates that stand for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class UsageError(MigqError):
    """The user asked for something impossible (bad option value); the CLI exits 2."""


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One located problem: where (file, sheet, cell or row/column), what, and how to fix it."""

    code: str
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    question: str | None = None

    @property
    def location(self) -> str:
        parts = [p for p in (self.file, self.sheet) if p]
        if self.cell:
            parts.append(self.cell)
        elif self.row is not None:
            parts.append(f"row {self.row}" + (f", column {self.column}" if self.column else ""))
        elif self.column:
            parts.append(f"column {self.column}")
        return " / ".join(parts)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def render(self) -> str:
        loc = f"{self.location}: " if self.location else ""
        hint = f" {self.hint}" if self.hint else ""
        return f"{loc}{self.message}{hint}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def problem(code: str, severity: Severity | None = None, **where_and_values) -> Problem:
    """Build a Problem from the catalogue: ``problem("duplicate_name", sheet=..., name=...)``.

    Keyword arguments that are Problem fields locate the problem; the rest fill the message.
    """
    template = MESSAGES[code]
    loc_fields = {"file", "sheet", "cell", "row", "column", "question"}
    loc = {k: v for k, v in where_and_values.items() if k in loc_fields}
    values = {k: v for k, v in where_and_values.items() if k not in loc_fields}
    values.update({k: v for k, v in loc.items() if v is not None})
    return Problem(
        code=code,
        message=template.message.format(**values),
        hint=template.hint.format(**values),
        severity=severity or template.severity,
        **loc,
    )


@dataclass(frozen=True)
class Message:
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR


@dataclass
class ProblemList:
    """An ordered collection of problems with the verdict derived from it (frictionless)."""

    items: list[Problem] = field(default_factory=list)

    def add(self, p: Problem) -> None:
        self.items.append(p)

    def extend(self, ps) -> None:
        self.items.extend(ps)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# The catalogue. Messages say what is wrong; hints say how to fix it.
MESSAGES: dict[str, Message] = {
    # --- questionnaire definitions -------------------------------------------------------
    "missing_sheet": Message("the definition has no '{sheet}' sheet.", "Add a sheet named '{sheet}' (see docs/questionnaires.md)."),
    "empty_survey": Message("the survey sheet has no questions.", "Add one row per question under the headers type, name and label."),
    "duplicate_column": Message("the column '{column}' appears twice; only the first is read.", "Delete or rename the second column."),
    "missing_column": Message("the '{sheet}' sheet has no '{column}' column.", "Add a column headed '{column}'."),
    "missing_setting": Message("settings has no '{column}'.", "Add a '{column}' value to the settings sheet."),
    "bad_setting": Message("settings '{column}' is '{value}', {reason}.", "{fix}"),
    "bad_required": Message("required is '{value}', neither yes nor no.", "Write yes (or true, 1) for a required question; leave it empty otherwise."),
    "missing_type": Message("this row has no type.", "Use one of: {allowed}."),
    "unknown_type": Message("unknown question type '{value}'.", "Use one of: {allowed}."),
    "missing_name": Message("this {what} has no name.", "Give every {what} a name: a letter, then letters, digits or underscores."),
    "bad_name": Message("'{value}' is not a valid name.", "Start with a letter; use only letters, digits and underscores."),
    "name_like_cell": Message("'{value}' reads as a spreadsheet cell address.", "Excel cannot use it as a defined name; use a longer name such as '{value}_answer'."),
    "duplicate_name": Message("the name '{value}' is used twice (first at row {first_row}).", "Rename one of them; names must be unique."),
    "missing_choice_list": Message("'{value}' refers to the choice list '{list_name}', which is not in the choices sheet.", "Add rows with list_name '{list_name}' to the choices sheet, or fix the spelling."),
    "empty_choice_list": Message("the question '{value}' names no choice list.", "Write the type as '{qtype} LIST_NAME'."),
    "missing_list_name": Message("this choice has no list_name.", "Write the name of its list, as used in 'select_one LIST'."),
    "missing_choice_name": Message("this choice has no name.", "Give each choice a name without spaces (answers to select_multiple are names separated by spaces)."),
    "bad_choice_name": Message("the choice name '{value}' contains a space.", "Give each choice a name without spaces (answers to select_multiple are names separated by spaces)."),
    "duplicate_choice": Message("choice '{value}' appears twice in list '{list_name}'.", "Remove or rename the second one."),
    "missing_label": Message("'{value}' has no label in {language}.", "Fill the column '{column}'."),
    "missing_translation": Message("'{value}' has a {base} in other languages but not in {language}.", "Fill the column '{column}', or leave the {base} empty in every language."),
    "unknown_reference": Message("'{expr}' names '{ref}', which is not a question of this form.", "Use ${{name}} with the name of a question defined in the survey sheet."),
    "bad_expression": Message("cannot read the expression '{expr}': {reason}.", "Supported: ${{q}} = 'x', ${{q}} != 'x', selected(${{q}}, 'x'), comparisons with numbers, 'and', 'or', 'not()' and parentheses."),
    "unknown_choice_in_expression": Message("'{expr}' compares '{ref}' with '{value}', which is not one of its choices.", "Use one of: {allowed}."),
    "unbalanced_group": Message("{reason}.", "Every begin_group needs a matching end_group."),
    "position_unknown_question": Message("position '{value}' counts answers to '{ref}', which is not a closed question of this form.", "Name a select_one or select_multiple question."),
    "position_unknown_choice": Message("position '{value}' counts choice '{ref}', which '{question_name}' does not offer.", "Use one of: {allowed}."),
    "position_bad_base": Message("position '{value}' has base '{ref}'.", "Use one of: respondents, member_states, recipients."),
    "position_no_choices": Message("position '{value}' names no choices to count.", "List the choices that count, separated by spaces."),
    "position_choices_and_codes": Message("position '{value}' names both choices and codes.", "Count either choices of a closed question or codes of a text question, not both."),
    "position_unknown_coded_question": Message("position '{value}' counts codes on '{ref}', which is not a question of this form.", "Name the text question whose coded answers it counts."),
    "position_unknown_code": Message("position '{value}' counts code '{ref}', which the codes sheet does not define for '{question_name}'.", "Use one of: {allowed}."),
    "bad_yaml": Message("this YAML file cannot be read: {reason}.", "Check indentation and quoting near the line shown."),
    "not_a_definition": Message("this is not a questionnaire definition: {reason}.", "A definition is an XLSForm .xlsx workbook or a .yaml file with the same sheets."),
    "unknown_language": Message("the language '{value}' is not declared by the form.", "Declared languages: {allowed}."),
    "unknown_code_question": Message("code '{value}' applies to '{ref}', which is not a question of this form.", "Name text questions of the survey sheet, separated by spaces."),
    "code_without_question": Message("code '{value}' applies to no question.", "Name the text questions it codes, separated by spaces."),
    "code_not_text_question": Message("code '{value}' applies to '{ref}', a {qtype} question.", "Codes classify free-text answers; name text questions only."),
    # --- contacts ---------------------------------------------------------------------------
    "missing_iso3": Message("this row has no ISO3 code.", "Fill the iso3 column with the three-letter code from 'migq recipients list'."),
    "unknown_iso3": Message("'{value}' is not the ISO3 code of a recipient.", "Use the three-letter code from 'migq recipients list'."),
    "bad_email": Message("'{value}' is not an e-mail address.", "Write addresses like name@example.org, several separated by ';'."),
    "bad_language_code": Message("'{value}' is not a correspondence language.", "Use en, fr or es."),
    "duplicate_iso3": Message("'{value}' appears twice (first at row {first_row}).", "Keep one row per recipient."),
    # --- returned forms ----------------------------------------------------------------
    "required_missing": Message("'{value}' is required and has no answer.", "Ask the sender to complete it, or accept the reply without it.", W),
    "unknown_choice": Message("'{value}' is not one of the answers offered for '{ref}'.", "Expected one of: {allowed}."),
    "not_a_number": Message("'{value}' is not a number.", "Enter a number in this cell."),
    "not_an_integer": Message("'{value}' is not a whole number.", "Enter a whole number."),
    "number_not_finite": Message("the value is not a finite number ({value}).", "Enter an ordinary number."),
    "integer_too_big": Message("{value} is too large to store.", "Check the value; integers must lie between -2^63 and 2^63-1."),
    "not_a_date": Message("'{value}' is not a date.", "Enter a date as YYYY-MM-DD."),
    "impossible_date": Message("the date {value} is not plausible.", "Enter a date between 1900 and 2100."),
    "constraint_failed": Message("the answer {value} breaks the rule '{expr}'.", "{constraint_message}"),
    "answer_not_relevant": Message("'{ref}' was answered but does not apply given the other answers.", "The answer is kept but not counted.", W),
    "formula_in_answer": Message("the answer cell holds a formula ({value}).", "Its cached value was not trusted; ask for the value typed in.", W),
    "text_too_long": Message("the text is {value} characters, more than a cell can hold (32,767).", "The text was cut at the limit; ask for the full text."),
    "tick_not_understood": Message("'{value}' in a tick cell is neither a tick nor blank.", "Mark chosen options with x (or yes/1); leave others blank."),
    "country_mismatch": Message("the printed country '{value}' is not {ref}, whose form this is.", "Check with the sender which Government's answers these are."),
    "replaced_form": Message("this is an earlier form ({value}); a newer one was issued.", "The answers are read all the same.", W),
    "answer_cell_missing": Message("the form has no answer cell for '{question}' (defined name {names} not found).",
                                   "That answer cannot be read and counts as unanswered; ask the sender to answer on the form that was sent.", W),
    # --- untrusted files: warnings of the guard ----------------------------------------------
    "macros": Message("the file contains macros or active content.", "Macros never run: migq reads only cell values. Ask the sender to save as .xlsx next time.", W),
    "external_links": Message("the file links to other workbooks.", "Links are never followed: migq reads only the values typed into this file. Check answers that may have been formulas.", W),
    # --- coding sheets ----------------------------------------------------------------------
    "coding_unknown_export": Message("this sheet (export {value}) was not exported from this workspace.", "Import it into the workspace it came from (--db), or export a new sheet here."),
    "coding_coder_mismatch": Message("this sheet was exported for coder '{value}', not '{ref}'.", "Give the right --coder, or export a sheet for this coder."),
    "coding_wrong_role": Message("this is {value}, not {ref}.", "Use 'migq code import' for coders' sheets and 'migq code adjudicate --from' for adjudication sheets."),
    "coding_unknown_code": Message("'{value}' is not a code of the codebook of {ref}.", "Put back the column header as exported (see the Codebook sheet)."),
    "coding_no_key": Message("the 'key' column is missing.", "Keep the key column of the exported sheet."),
    "coding_unknown_row": Message("the row key '{value}' matches no answer of this export.", "Do not edit the key column; copy rows only from this export."),
    "coding_duplicate_row": Message("the row key '{value}' appears again (first on row {first_row}).", "Keep one row per key."),
    "coding_code_not_applicable": Message("the code '{value}' does not apply to question {ref}.", "Leave the grey cells blank."),
    "coding_bad_value": Message("'{value}' is not a coding value.", "Enter 1 (applies), 0 (does not apply) or leave blank."),
    "coding_answer_missing": Message("row key {value} points to answer {ref}, which this workspace does not hold.", "Export a new sheet from this workspace."),
}
