"""Write the questionnaire as an Excel workbook that honours the form contract.

Speed: openpyxl builds one *template* per language, with placeholder tokens where the recipient,
issue id and signature go; each recipient's form is then the template's zip with those tokens
replaced (``personalise``). That costs a few milliseconds per form instead of a full openpyxl
build, and every form of a language is laid out identically by construction.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from migq.forms import contract
from migq.forms.contract import FormIdentity
from migq.forms.texts import long_date, text
from migq.questionnaire import Question, Questionnaire

TOKENS = {
    "country": "@@MIGQ_COUNTRY@@",
    "iso3": "@@MIGQ_ISO3@@",
    "issue_id": "@@MIGQ_ISSUE@@",
    "key_id": "@@MIGQ_KEYID@@",
    "signature": "@@MIGQ_SIGNATURE@@",
}
HEADER_ROW = 6
TALL_TEXT_SUFFIXES = ("_comment", "_other", "comments")
SERIAL_1900, SERIAL_2100 = 1, 73051  # Excel date serials bounding a sane date


@dataclass(frozen=True)
class Recipient:
    """What the writer needs to know of a recipient."""

    iso3: str
    name: str


def build_template(q: Questionnaire, lang: str, deadline: date | None = None) -> bytes:
    """The form in ``lang`` with placeholder tokens for the recipient-specific values."""
    identity = FormIdentity(
        form_id=q.form_id, version=q.version, iso3=TOKENS["iso3"], issue_id=TOKENS["issue_id"],
        language=lang, key_id=TOKENS["key_id"], signature=TOKENS["signature"],
    )
    wb = build_workbook(q, lang, TOKENS["country"], identity, deadline or q.deadline)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def personalise(template: bytes, recipient: Recipient, identity: FormIdentity) -> bytes:
    """Replace the template's tokens with one recipient's values (XML-escaped)."""
    values = {
        TOKENS["country"]: recipient.name,
        TOKENS["iso3"]: identity.iso3,
        TOKENS["issue_id"]: identity.issue_id,
        TOKENS["key_id"]: identity.key_id,
        TOKENS["signature"]: identity.signature,
    }
    replacements = [(k.encode(), escape(v).encode("utf-8")) for k, v in values.items()]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if b"@@MIGQ_" in data:
                for token, value in replacements:
                    data = data.replace(token, value)
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()


def write_form(q: Questionnaire, lang: str, recipient: Recipient, identity: FormIdentity,
               deadline: date | None = None) -> bytes:
    """One form built directly with openpyxl (no template): the reference the tests and the
    benchmark compare ``personalise`` against."""
    wb = build_workbook(q, lang, recipient.name, identity, deadline or q.deadline)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_workbook(q: Questionnaire, lang: str, country: str, identity: FormIdentity, deadline: date | None):
    from openpyxl import Workbook
    from openpyxl.workbook.protection import WorkbookProtection

    wb = Workbook()
    instructions = wb.active
    instructions.title = contract.INSTRUCTIONS_SHEET
    sheet = wb.create_sheet(contract.QUESTIONNAIRE_SHEET)
    lists = wb.create_sheet(contract.LISTS_SHEET)
    lists.sheet_state = "hidden"
    meta = wb.create_sheet(contract.META_SHEET)
    meta.sheet_state = "veryHidden"

    _fill_instructions(instructions, q, lang, country, identity, deadline)
    _QuestionSheet(wb, sheet, lists, q, lang, country, identity, deadline).fill()
    _fill_metadata(wb, meta, identity)

    wb.properties.title = f"{q.title(lang)} — {country}"
    wb.properties.creator = "migq"
    wb.security = WorkbookProtection(lockStructure=True)  # guidance: keep sheets as sent
    wb.active = 0
    return wb


def _fill_instructions(ws, q, lang, country, identity, deadline) -> None:
    from openpyxl.styles import Alignment, Font

    ws.column_dimensions["A"].width = 110
    ws["A1"] = q.title(lang)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"{text(lang, 'government')} {country}"
    ws["A2"].font = Font(bold=True, size=12)
    ws["A4"] = text(lang, "instructions_title")
    ws["A4"].font = Font(bold=True)
    for i, line in enumerate(text(lang, "instructions").split("\n")):
        cell = ws.cell(row=5 + i, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[5 + i].height = 32
    row = 6 + len(text(lang, "instructions").split("\n"))
    ws.cell(row=row, column=1, value=f"{text(lang, 'deadline')} {long_date(deadline, lang)}").font = Font(bold=True)
    ws.cell(row=row + 1, column=1, value=f"{text(lang, 'reference')}: {identity.issue_id}")
    ws.protection.sheet = True
    _a4(ws, landscape=False)


def _fill_metadata(wb, ws, identity: FormIdentity) -> None:
    from openpyxl.packaging.custom import StringProperty

    for i, (key, value) in enumerate(identity.as_dict().items(), start=1):
        ws.cell(row=i, column=1, value=key)
        ws.cell(row=i, column=2, value=value)
        wb.custom_doc_props.append(StringProperty(name=contract.PROPERTY_PREFIX + key, value=value))
    ws.protection.sheet = True


def _a4(ws, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5


class _QuestionSheet:
    """Lays out the questions, one answer cell (or one tick cell per option) each."""

    def __init__(self, wb, ws, lists, q: Questionnaire, lang, country, identity, deadline):
        self.wb, self.ws, self.lists, self.q, self.lang = wb, ws, lists, q, lang
        self.country, self.identity, self.deadline = country, identity, deadline
        self.row = HEADER_ROW + 1
        self.number = 0
        self.validations: dict[str, object] = {}
        self.list_columns: dict[str, str] = {}

    def fill(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        ws, lang = self.ws, self.lang
        self.bold, self.italic = Font(bold=True), Font(italic=True, color="555555", size=9)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.unlocked = Protection(locked=False)
        self.answer_fill = PatternFill("solid", fgColor="FFF8DC")
        self.section_fill = PatternFill("solid", fgColor="DCE6F1")
        ws.column_dimensions["A"].width = 6
        ws.column_dimensions["B"].width = 70
        ws.column_dimensions["C"].width = 48
        ws["A1"] = self.q.title(lang)
        ws["A1"].font = Font(bold=True, size=13)
        ws.merge_cells("A1:C1")
        ws["B2"], ws["C2"] = text(lang, "government"), self.country
        ws["C2"].font = Font(bold=True, size=12)
        self._name(contract.RECIPIENT_NAME, "C2")
        ws["B3"], ws["C3"] = text(lang, "deadline"), long_date(self.deadline, lang)
        ws["B4"], ws["C4"] = text(lang, "reference"), self.identity.issue_id
        ws["B5"] = text(lang, "required")
        ws["B5"].font = self.italic
        for col, key in zip("ABC", ("no", "question", "answer")):
            cell = ws[f"{col}{HEADER_ROW}"]
            cell.value, cell.font, cell.fill = text(lang, key), self.bold, self.section_fill
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        for item in self.q.items:
            self._item(item)
        for dv in self.validations.values():
            ws.add_data_validation(dv)
        ws.protection.sheet = True
        ws.protection.formatRows = False  # let respondents make a comment row taller
        ws.protection.formatColumns = False
        _a4(ws, landscape=False)

    def _name(self, name: str, ref: str) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        col, row = ref.rstrip("0123456789"), ref[len(ref.rstrip("0123456789")):]
        target = f"'{contract.QUESTIONNAIRE_SHEET}'!${col}${row}"
        self.wb.defined_names[name] = DefinedName(name, attr_text=target)

    def _item(self, item: Question) -> None:
        ws, lang = self.ws, self.lang
        if item.type == "end_group":
            return
        if item.type in ("begin_group", "note"):
            cell = ws.cell(row=self.row, column=2, value=item.label(lang, self.q.default_language))
            cell.alignment = self.wrap
            if item.type == "begin_group":
                for c in range(1, 4):
                    ws.cell(row=self.row, column=c).fill = self.section_fill
                cell.font = self.bold
            self.row += 1
            return
        self.number += 1
        label = item.label(lang, self.q.default_language) + (" *" if item.required else "")
        ws.cell(row=self.row, column=1, value=self.number).alignment = self.wrap
        ws.cell(row=self.row, column=2, value=label).alignment = self.wrap
        hint = item.hint(lang, self.q.default_language)
        if item.type == "select_multiple":
            hint = (hint + " " if hint else "") + f"({text(lang, 'tick')})"
        if hint:
            ws.cell(row=self.row + 1, column=2, value=hint).font = self.italic
            ws.cell(row=self.row + 1, column=2).alignment = self.wrap
        if item.type == "select_multiple":
            self._ticks(item, has_hint=bool(hint))
            return
        answer = ws.cell(row=self.row, column=3)
        answer.protection, answer.fill, answer.alignment = self.unlocked, self.answer_fill, self.wrap
        self._name(contract.answer_name(item.name), answer.coordinate)
        self._validate(item, answer.coordinate)
        if item.type == "text":
            ws.row_dimensions[self.row].height = 75 if item.name.endswith(TALL_TEXT_SUFFIXES) else 30
        elif item.type == "date":
            answer.number_format = "yyyy-mm-dd"
        self.row += 2 if hint else 1

    def _ticks(self, item: Question, has_hint: bool) -> None:
        self.row += 2 if has_hint else 1
        for choice in item.choices:
            self.ws.cell(row=self.row, column=2, value=f"    {choice.label(self.lang, self.q.default_language)}").alignment = self.wrap
            tick = self.ws.cell(row=self.row, column=3)
            tick.protection, tick.fill = self.unlocked, self.answer_fill
            self._name(contract.answer_name(item.name, choice.name), tick.coordinate)
            self._dv("tick", type="list", formula1='"x"', allow_blank=True).add(tick.coordinate)
            self.row += 1

    def _validate(self, item: Question, coord: str) -> None:
        if item.type == "select_one":
            self._dv(f"list:{item.list_name}", type="list", formula1=self._list_range(item), allow_blank=True).add(coord)
        elif item.type == "integer":
            self._dv("integer", type="whole", operator="between", formula1="-2147483648", formula2="2147483647").add(coord)
        elif item.type == "decimal":
            self._dv("decimal", type="decimal", operator="between", formula1="-1E+15", formula2="1E+15").add(coord)
        elif item.type == "date":
            self._dv("date", type="date", operator="between", formula1=str(SERIAL_1900), formula2=str(SERIAL_2100)).add(coord)

    def _dv(self, key: str, **kw):
        from openpyxl.worksheet.datavalidation import DataValidation

        if key not in self.validations:
            dv = DataValidation(showErrorMessage=True, **kw)
            dv.error = text(self.lang, "choose") if kw.get("type") == "list" else None
            self.validations[key] = dv
        return self.validations[key]

    def _list_range(self, item: Question) -> str:
        from openpyxl.utils import get_column_letter

        if item.list_name not in self.list_columns:
            col = get_column_letter(len(self.list_columns) + 1)
            for i, choice in enumerate(item.choices, start=1):
                self.lists[f"{col}{i}"] = choice.label(self.lang, self.q.default_language)
            self.list_columns[item.list_name] = f"'{contract.LISTS_SHEET}'!${col}$1:${col}${len(item.choices)}"
        return self.list_columns[item.list_name]
