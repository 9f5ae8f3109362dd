"""Legacy .xls replies: a formula in an answer cell is reported and the identity is recovered
from the custom document properties -- on files LibreOffice converts at test time and on files
built here byte by byte -- and damaged bytes end the scan quietly."""

from __future__ import annotations

import io
import random
import struct
from datetime import date

import pytest

from formtools import fill_form, libreoffice_convert, make_form, soffice, strip_metadata
from migq.forms.cells import CellRef
from migq.forms.cells_xls import UNDECODED, XlsBook, custom_properties, formula_text
from migq.forms.contract import answer_name
from migq.forms.reader import read_form
from migq.forms.xls_records import CompoundFile, Malformed, formula_cells, workbook_layout
from migq.questionnaire import Choice, Question, Questionnaire

L = {"en": "Label"}
YN = (Choice("yes", {"en": "Yes"}), Choice("no", {"en": "No"}))
AB = (Choice("a", {"en": "A"}), Choice("b", {"en": "B"}))
Q = Questionnaire(
    form_id="hld-xls", version="2008", titles={"en": "Questionnaire"}, default_language="en", languages=("en",),
    items=(
        Question("sole", "select_one", L, list_name="yn", choices=YN),
        Question("modalities", "select_multiple", L, list_name="m", choices=AB),
        Question("n", "integer", L),
        Question("q1", "text", L),
    ),
    deadline=date(2008, 4, 30),
)
ANSWERS = {"sole": "Yes", "n": 1234, "q1": "Côte d'Ivoire"}
FORMULAS = {answer_name("n"): "=1000+234", answer_name("modalities", "b"): '=IF(1>0,"x","")'}


def _with_formulas(data: bytes, formulas: dict[str, str]) -> bytes:
    """The form with ``formulas`` (defined name -> formula) typed into the named cells."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for name, formula in formulas.items():
        sheet, coord = next(iter(wb.defined_names[name].destinations))
        wb[sheet][coord.replace("$", "")] = formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def filled():
    soffice()
    return fill_form(make_form(Q, iso3="CIV", issue_id="CIV-0123456789ab"), ANSWERS, {"modalities": ["a"]})


@pytest.fixture(scope="module")
def xls(filled):
    from concurrent.futures import ThreadPoolExecutor

    sources = {
        "formulas": _with_formulas(filled, FORMULAS),
        "no_sheet": strip_metadata(filled, sheet=True, properties=False),
    }
    with ThreadPoolExecutor(len(sources)) as pool:  # each conversion has its own LibreOffice profile
        return dict(zip(sources, pool.map(lambda data: libreoffice_convert(data, "xls"), sources.values())))


def test_a_formula_in_an_xls_answer_cell_is_reported_and_set_aside(xls):
    got = read_form(xls["formulas"], "xls", "CIV.xls", [Q])
    assert [(p.code, p.question) for p in got.problems] == [("formula_in_answer", "modalities"), ("formula_in_answer", "n")]
    found = {p.question: p for p in got.problems}
    assert "=1000+234" in found["n"].message and found["n"].sheet == "Questionnaire"
    assert '=IF(1>0,"x","")' in found["modalities"].message
    assert got.answers["n"].value is None and not got.answers["n"].valid and got.answers["n"].raw == "1234"
    assert not got.answers["modalities"].valid
    assert got.answers["sole"].valid and got.answers["q1"].value == "Côte d'Ivoire"  # the other answers stand


def test_the_identity_of_an_xls_without_its_metadata_sheet_comes_from_its_properties(filled, xls):
    expected = read_form(filled, "xlsx", "CIV.xlsx", [Q]).identity
    got = read_form(xls["no_sheet"], "xls", "CIV.xls", [Q])  # LibreOffice keeps custom properties in .xls
    assert got.identity_source == "properties" and got.identity == expected
    assert got.identity["issue_id"] == "CIV-0123456789ab" and got.problems == []


# --- files built byte by byte: no LibreOffice needed -------------------------------------------

END, FREE = 0xFFFFFFFE, 0xFFFFFFFF
SUMMARY = "\x05DocumentSummaryInformation"


def compound_file(streams: dict[str, bytes], cutoff: int = 4096) -> bytes:
    """A version-3 OLE2 file: 512-byte sectors, one FAT sector, streams under ``cutoff`` in the
    mini stream (64-byte sectors); the directory tree is a plain list of siblings."""
    sectors: list[bytes] = []
    fat: list[int] = []

    def put(data: bytes) -> int:
        chunks = [data[i : i + 512] for i in range(0, len(data), 512)]
        first = len(sectors)
        for k, chunk in enumerate(chunks):
            sectors.append(chunk.ljust(512, b"\0"))
            fat.append(first + k + 1 if k < len(chunks) - 1 else END)
        return first if chunks else END

    mini, minifat, entries = b"", [], []
    for name, data in streams.items():
        if len(data) < cutoff:
            count, first = max(1, -(-len(data) // 64)), len(mini) // 64
            minifat += [first + k + 1 for k in range(count - 1)] + [END]
            mini += data.ljust(count * 64, b"\0")
            entries.append((name, 2, first, len(data)))
        else:
            entries.append((name, 2, put(data), len(data)))
    minifat_start = put(struct.pack(f"<{len(minifat)}I", *minifat)) if minifat else END
    entries.insert(0, ("Root Entry", 5, put(mini) if mini else END, len(mini)))
    directory = b""
    for index, (name, kind, start, size) in enumerate(entries):
        raw = (name + "\0").encode("utf-16-le")
        sibling = index + 1 if 0 < index < len(entries) - 1 else FREE
        links = struct.pack("<III", FREE, sibling, 1 if index == 0 else FREE)
        directory += raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1) + links
        directory += b"\0" * 36 + struct.pack("<IQ", start, size)
    directory_start = put(directory.ljust(-(-len(directory) // 512) * 512, b"\0"))
    fat.append(0xFFFFFFFD)  # the FAT sector itself
    sectors.append(struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff"))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH6x", 0x3E, 3, 0xFFFE, 9, 6)
    minifat_sectors = -(-len(minifat) * 4 // 512)
    header += struct.pack("<9I", 0, 1, directory_start, 0, cutoff, minifat_start, minifat_sectors, END, 0)
    header += struct.pack("<I", len(sectors) - 1) + b"\xff" * 432
    return header + b"".join(sectors)


def record(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def bof(kind: int) -> bytes:  # 5: workbook globals, 0x10: worksheet, 0x20: chart
    return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0, 0, 0, 0))


def sheet_name(name: str) -> bytes:
    wide = any(ord(c) > 255 for c in name)
    return bytes([len(name), int(wide)]) + name.encode("utf-16-le" if wide else "latin-1")


def formula(row: int, col: int, tokens: bytes) -> bytes:
    cached = struct.pack("<d", 1234)
    return record(0x0006, struct.pack("<HHH8sHIH", row, col, 15, cached, 0, 0, len(tokens)) + tokens)


def workbook(sheets: dict[str, list[bytes]]) -> bytes:
    """A BIFF8 Workbook stream: globals listing ``sheets``, then each sheet's records."""
    globals_size = len(bof(5)) + sum(len(record(0x85, b"\0" * 6 + sheet_name(n))) for n in sheets) + 4
    head, body = bof(5), b""
    for name, content in sheets.items():
        head += record(0x85, struct.pack("<IBB", globals_size + len(body), 0, 0) + sheet_name(name))
        body += bof(0x10) + b"".join(content) + record(0x0A, b"")
    return head + record(0x0A, b"") + body


ONE_PLUS_TWO = bytes([0x1E, 1, 0, 0x1E, 2, 0, 0x03])
SHARED = b"\x01\x00\x00\x00\x00"  # a cell of a shared formula: its tokens point at the SHRFMLA record
REF_C14, REF_ABS_B2 = b"\x24\x0d\x00\x02\xc0", b"\x24\x01\x00\x01\x00"


def test_formula_records_are_found_in_a_built_workbook():
    chart = [bof(0x20), formula(5, 5, ONE_PLUS_TWO), record(0x0A, b"")]
    string_result = [record(0x0207, b"\x03\x00\x00abc"), record(0x003C, b"\x06\x00" * 2100)]  # CONTINUE: no records inside
    stream = workbook({
        "Données": [record(0x0200, b"\0" * 14)],
        "Ответы": [formula(13, 2, ONE_PLUS_TWO), *string_result, *chart, formula(2, 1, SHARED),
                   formula(40, 3, ONE_PLUS_TWO)],
    })
    book = CompoundFile(compound_file({"Workbook": stream, SUMMARY: b"\xfe\xff" + b"\0" * 26}))
    assert len(stream) > 4096 and book.stream("Workbook") == stream and book.stream("Book") is None
    layout = workbook_layout(book.stream("workbook"))
    assert layout.biff8 and list(layout.sheets) == ["Données", "Ответы"]
    found = formula_cells(stream, layout.sheets["Ответы"], {(13, 2), (2, 1), (5, 5), (0, 0)})
    assert found == {(13, 2): ONE_PLUS_TWO, (2, 1): SHARED}  # a chart's records are not the sheet's
    assert formula_text(found[(13, 2)], True) == "=1+2" and formula_text(found[(2, 1)], True) == UNDECODED
    assert formula_cells(stream, layout.sheets["Données"], {(13, 2)}) == {}


@pytest.mark.parametrize("tokens, text", [
    (ONE_PLUS_TWO, "=1+2"),
    (REF_C14 + REF_ABS_B2 + b"\x05", "=C14*$B$2"),
    (b"\x25\x00\x00\x02\x00\x00\xc0\x00\xc0" + b"\x19\x10\x00\x00", "=SUM(A1:A3)"),
    (b"\x1f" + struct.pack("<d", 2.5) + b"\x1e\x00\x00\x41\x1b\x00\x15\x13", "=-(ROUND(2.5,0))"),
    (b"\x17\x02\x01" + "Ча".encode("utf-16-le") + b"\x17\x01\x00\"\x08", '="Ча"&""""'),
    (b"\x1d\x01\x1c\x07\x16\x42\x03\x01\x00", "=IF(TRUE,#DIV/0!,)"),
    (b"\x1e\x01\x00" + b"\x15" * 200, ("=" + "(" * 200 + "1" + ")" * 200)[:254] + "…"),
    (b"\x3a\x00\x00\x00\x00\x00\x00", UNDECODED),  # another sheet's cell
    (SHARED, UNDECODED), (b"\x03", UNDECODED), (b"\x1e\x01", UNDECODED), (b"\x1e\x01\x00\x1e\x02\x00", UNDECODED),
    (b"", UNDECODED),
])
def test_formula_tokens_are_shown_as_text(tokens, text):
    assert formula_text(tokens, True) == text
    assert formula_text(tokens, False) == UNDECODED  # BIFF5 tokens are not decoded


def property_set(props: list[tuple[int, str, int, bytes]], codepage: int) -> bytes:
    """A DocumentSummaryInformation stream: an empty first section, then the user-defined one
    holding ``props`` (id, name, type, value bytes), its names in ``codepage``."""
    wide = codepage == 1200
    names = b""
    for pid, name, _, _ in props:
        raw = (name + "\0").encode("utf-16-le" if wide else f"cp{codepage}")
        padded = raw.ljust(-(-len(raw) // 4) * 4, b"\0") if wide else raw
        names += struct.pack("<II", pid, len(raw) // (2 if wide else 1)) + padded
    signed_codepage = codepage - 65536 * (codepage > 32767)  # VT_I2: 65001 is stored as -535
    values = [(0, struct.pack("<I", len(props)) + names), (1, struct.pack("<HHh", 2, 0, signed_codepage))]
    values += [(pid, struct.pack("<HH", vt, 0) + raw) for pid, _, vt, raw in props]
    index, body, at = b"", b"", 8 + 8 * len(values)
    for pid, raw in values:
        raw = raw.ljust(-(-len(raw) // 4) * 4, b"\0")
        index, body, at = index + struct.pack("<II", pid, at), body + raw, at + len(raw)
    user = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")
    header = struct.pack("<HHI16sI", 0xFFFE, 0, 0, b"\0" * 16, 2) + b"\x02" * 16 + struct.pack("<I16sI", 68, user, 76)
    return header + struct.pack("<II", 8, 0) + struct.pack("<II", at, len(values)) + index + body


def lpstr(text: str, codec: str) -> bytes:
    raw = (text + "\0").encode(codec)
    return struct.pack("<I", len(raw)) + raw


TICKS_2008_04_30 = (date(2008, 4, 30) - date(1601, 1, 1)).days * 86_400 * 10_000_000  # FILETIME: 100 ns since 1601
TYPED = [  # the migq_iso3 value is filled in each code page
    (2, "migq_iso3", 0x1E, None), (3, "Ville", 0x1F, struct.pack("<I", 6) + "Genève".encode("utf-16-le")),
    (4, "Count", 0x03, struct.pack("<i", -7)), (5, "Done", 0x0B, struct.pack("<h", -1)), (6, "No", 0x0B, b"\0\0"),
    (7, "Share", 0x05, struct.pack("<d", 2.75)), (8, "Sent", 0x40, struct.pack("<Q", TICKS_2008_04_30)),
    (9, "Blob", 0x41, b"\x04\0\0\0abcd"),  # a type migq does not read: left out
]


def typed(iso3: str, codec: str) -> list[tuple[int, str, int, bytes]]:
    return [(pid, name, vt, lpstr(iso3, codec) if raw is None else raw) for pid, name, vt, raw in TYPED]


@pytest.mark.parametrize("codepage, codec", [(1252, "cp1252"), (1200, "utf-16-le"), (65001, "utf-8")])
def test_custom_properties_of_every_type_are_read(codepage, codec):
    got = custom_properties(property_set(typed("CIV-Côte", codec), codepage))
    assert got == {"migq_iso3": "CIV-Côte", "Ville": "Genève", "Count": "-7", "Done": "true", "No": "false",
                   "Share": "2.75", "Sent": "2008-04-30T00:00:00Z"}
    book = CompoundFile(compound_file({SUMMARY: property_set(typed("CIV-Côte", codec), codepage)}))
    assert custom_properties(book.stream(SUMMARY.lower())) == got


def test_a_damaged_record_in_an_xls_sheet_is_an_unreadable_form(xls):
    """Found by fuzzing: xlrd reads a sheet's records only when the sheet is asked for, and a
    record cut short there escaped as a struct.error, worded for programmers."""
    from migq.forms.cells import FormError

    # Every LABELSST record (a text cell, 10 bytes long) said to be 2 bytes long.
    data = xls["formulas"].replace(b"\xfd\x00\x0a\x00", b"\xfd\x00\x02\x00")
    with pytest.raises(FormError, match="CIV.xls cannot be opened as a workbook .*ask the sender"):
        read_form(data, "xls", "CIV.xls", [Q])


def test_an_xls_the_reader_gives_up_on_without_a_word_is_named_inconsistent(xls):
    """Found by fuzzing: xlrd stops on a failed assert, with no message, for a header that
    claims too many mini-stream sectors; the user read '(AssertionError)'."""
    from migq.forms.cells import FormError

    data = bytearray(xls["formulas"])
    data[0x42] = 89  # the high byte of the compound file header's count of MiniFAT sectors
    with pytest.raises(FormError, match=r"CIV.xls cannot be opened as a workbook \(its internal structure is inconsistent\)"):
        read_form(bytes(data), "xls", "CIV.xls", [Q])


def test_an_xls_book_gives_the_formulas_and_properties_of_a_built_file():
    sheets = {"Ответы": [formula(13, 2, REF_C14 + b"\x1e\x02\x00\x05"), formula(3, 3, ONE_PLUS_TWO)]}
    summary = property_set(typed("CIV", "utf-16-le"), 1200)
    book = XlsBook(compound_file({"Workbook": workbook(sheets), SUMMARY: summary}), "CIV.xls")
    wanted = [CellRef("Ответы", 13, 2), CellRef("Ответы", 0, 0), CellRef("Elsewhere", 13, 2)]
    assert book.formulas(wanted) == {wanted[0]: "=C14*2"} and book.formulas([]) == {}
    assert book.properties()["migq_iso3"] == "CIV" and book.properties()["Sent"] == "2008-04-30T00:00:00Z"


def _scan(data: bytes) -> None:
    """Every parser on ``data`` taken as a compound file, as a Workbook stream and as a
    property set: Malformed is the only exception allowed out."""
    for attempt in (_scan_file, _scan_stream, custom_properties):
        try:
            attempt(data)
        except Malformed:
            pass


def _scan_file(data: bytes) -> None:
    book = CompoundFile(data)
    _scan_stream(book.stream("Workbook") or b"")
    custom_properties(book.stream(SUMMARY) or b"")


def _scan_stream(stream: bytes) -> None:
    for offset in workbook_layout(stream).sheets.values():
        for tokens in formula_cells(stream, offset, {(13, 2), (1, 1)}).values():
            formula_text(tokens, True)


def _damaged(good: bytes, rng: random.Random, header: int = 0) -> list[bytes]:
    """``good`` cut short at many points, and garbled (half the time in its first ``header`` bytes)."""
    variants = [good[:n] for n in range(0, len(good), max(1, len(good) // 150))]
    for _ in range(300):
        garbled = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            garbled[rng.randrange(header if header and rng.random() < 0.5 else len(good))] = rng.randrange(256)
        variants.append(bytes(garbled))
    return variants


def _looped(good: bytes, table_at: int) -> bytes:
    """``good`` with every entry of the allocation table whose sector the header gives at
    ``table_at`` pointing at sector 0: every chain it describes becomes a loop."""
    looped = bytearray(good)
    start = 512 * (1 + struct.unpack_from("<I", good, table_at)[0])
    looped[start : start + 512] = b"\0" * 512
    return bytes(looped)


def test_damaged_files_and_streams_end_the_scan_without_an_exception():
    rng = random.Random(2008)
    summary = property_set(typed("CIV", "cp1252"), 1252)
    stream = workbook({"Q": [formula(13, 2, ONE_PLUS_TWO)] * 200, "R": [formula(1, 1, REF_C14)]})
    good = compound_file({"Workbook": stream, SUMMARY: summary})
    looped_fat, looped_minifat = _looped(good, 0x4C), _looped(good, 0x3C)
    assert CompoundFile(looped_minifat).stream(SUMMARY) != summary  # the loop ends, with the wrong bytes
    odd = [looped_fat, looped_minifat, good + b"\xff" * 5000, b"", b"\xfe\xff" + b"\xff" * 60, b"\x09\x08\x08\x00" + b"\xff" * 8]
    for data in _damaged(good, rng, header=512) + _damaged(stream, rng) + _damaged(summary, rng, header=120) + odd:
        _scan(data)
    assert custom_properties(summary[:40]) == {} and workbook_layout(stream[:4]).sheets == {}
