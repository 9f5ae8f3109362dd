"""Free-text coding: coding sheets out and back, intercoder agreement, adjudicated final codes.

Workflow (docs/coding.md): each coder gets a sheet (``export_coding_sheet``), codes the answers
and returns it (``import_coding_sheet``); ``agreement_for`` compares the coders; disagreements
are settled on an adjudication sheet or one by one (``adjudicate``); the report counts only the
final codes (``final_codes``).
"""

from migq.coding.actions import adjudicate, agreement_for
from migq.coding.agreement import AgreementReport, cohen_kappa, fleiss_kappa, krippendorff_alpha_nominal
from migq.coding.store import Decision, coded_questions, coding_history, coding_units, final_codes, live_codings
from migq.coding.workbook import SheetExport, export_coding_sheet
from migq.coding.workbook_import import SheetImport, import_coding_sheet

__all__ = [
    "AgreementReport", "Decision", "SheetExport", "SheetImport", "adjudicate", "agreement_for",
    "coded_questions", "coding_history", "coding_units", "cohen_kappa", "export_coding_sheet", "final_codes",
    "fleiss_kappa",
    "import_coding_sheet", "krippendorff_alpha_nominal", "live_codings",
]
