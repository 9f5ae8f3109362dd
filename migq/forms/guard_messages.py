"""Why a returned file was refused, in words for the person who received it.

Each rejection has a stable machine key (``code``), a phrase saying what the file is, and a
phrase saying what to do. ``RejectedFile`` joins them as "NAME is WHAT: WHAT TO DO." so the one
``Error:`` line the CLI prints is enough to act on.
"""

from __future__ import annotations

from pathlib import Path

from migq.errors import MigqError, printable

_SAVE_AGAIN = "ask the sender to open it in Excel, save it again as .xlsx and resend it"
_EXCEL_PLEASE = "ask the sender for the Excel file (.xlsx)"

# code -> (what the file is, what to do). Placeholders are filled from RejectedFile's values.
REJECTIONS: dict[str, tuple[str, str]] = {
    "unreadable": ("cannot be read ({detail})", "check that the file exists and is not open in another program"),
    "empty": ("is empty (0 bytes)", "ask the sender to attach the completed form again"),
    "too_large": (
        "is {size_mb} MB, more than the {limit_mb} MB a returned form may be",
        "ask the sender to remove pictures or extra sheets and send the form alone",
    ),
    "pdf": ("is a PDF document, not a workbook", _EXCEL_PLEASE),
    "html": ("is a web page ({detail}), not a workbook", _EXCEL_PLEASE + ", not a page saved from a browser or webmail"),
    "xml_spreadsheet": ("is an Excel 2003 XML spreadsheet, not the workbook we sent", _SAVE_AGAIN),
    "csv": (
        "is a text file of comma- or tab-separated values (CSV), not the workbook we sent",
        "ask the sender to return the Excel form itself; a CSV loses the form's answer cells",
    ),
    "text": ("is a plain text file, not a workbook", _EXCEL_PLEASE),
    "rtf": ("is a Rich Text (RTF) document, not a workbook", _EXCEL_PLEASE),
    "image": ("is a picture ({detail}), not a workbook", _EXCEL_PLEASE + "; a scan or screenshot cannot be read"),
    "word_document": ("is a word-processing document ({detail}), not a workbook", _EXCEL_PLEASE),
    "presentation": ("is a presentation ({detail}), not a workbook", _EXCEL_PLEASE),
    "outlook_msg": (
        "is a saved Outlook message (.msg), not a workbook",
        "open it in Outlook, save the attached form, and ingest that file",
    ),
    "xlsb": ("is an Excel binary workbook (.xlsb)", "ask the sender to save it as 'Excel Workbook (.xlsx)' and resend it"),
    "encrypted": ("is protected with a password", "ask the sender to remove the password and send it again"),
    "legacy_xls_encrypted": (
        "is an old-format Excel file (.xls) protected with a password",
        "ask the sender to remove the password, save it as .xlsx and send it again",
    ),
    "not_a_workbook_zip": ("is a ZIP archive that holds no workbook ({detail})", _EXCEL_PLEASE),
    "zipped_workbook": (
        "is a ZIP archive with a workbook inside ({detail})",
        "unzip it and ingest the workbook it contains",
    ),
    "zip_bomb": (
        "would expand to far more data than any questionnaire holds ({detail}), so it was not opened",
        _SAVE_AGAIN + "; if the sender did not mean to send it, treat it as hostile",
    ),
    "too_many_members": (
        "is made of {count} internal parts, more than a form ever has ({limit})",
        _SAVE_AGAIN,
    ),
    "duplicate_part": ("contains the internal part '{part}' twice{detail}", _SAVE_AGAIN),
    "dtd": (
        "contains a DTD or entity declaration in '{part}', which spreadsheet programs never write",
        "do not open it; " + _SAVE_AGAIN,
    ),
    "unusual_encoding": (
        "has an internal part '{part}' in the unusual text encoding '{detail}'",
        _SAVE_AGAIN,
    ),
    "sheet_too_large": (
        "has a sheet ('{part}') that reaches {detail}, beyond the {rows} rows and {cols} columns the form uses",
        "ask the sender to delete the extra rows and columns, or to copy the answers into a fresh copy of the form",
    ),
    "corrupt_zip": (
        "is damaged: the workbook inside cannot be read ({detail})",
        "ask the sender to send it again; it may have been cut off in transit",
    ),
    "unknown_type": ("is not a file type migq can read ({detail})", _EXCEL_PLEASE),
}


class RejectedFile(MigqError):
    """An untrusted file refused before any spreadsheet library opened it.

    ``code`` is a stable key from ``REJECTIONS``; ``str(err)`` is the whole sentence.
    """

    def __init__(self, code: str, path: str | Path, **values):
        what, todo = REJECTIONS[code]
        self.code = code
        self.name = printable(Path(path).name)
        self.values = values
        self.what = what.format(**values)
        message = f"{self.name} {self.what}: {todo.format(**values)}."
        super().__init__(message, path=str(path))
        self.hint = todo.format(**values)

    def render(self) -> str:
        # The message already names the file; MigqError would prefix the full path again.
        return self.message
