"""The guard, tested on hostile and broken files built at test time (no committed binaries)."""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from migq.errors import MigqError, Severity
from migq.forms import guard_zip
from migq.forms.guard import REJECTIONS, GuardLimits, RejectedFile, inspect_file, sniff_kind

ACTIONS = ("ask the sender", "unzip it", "open it in outlook", "do not open it", "check that")

# --- builders ----------------------------------------------------------------------------


def xlsx_bytes(rows: int = 3) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Questionnaire"
    for r in range(1, rows + 1):
        ws.cell(row=r, column=1, value=f"q{r}")
        ws.cell(row=r, column=2, value=r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def make_zip(parts: dict[str, bytes] | list[tuple[str, bytes]], stored: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    items = parts.items() if isinstance(parts, dict) else parts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names; we want them
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, content in items:
                zf.writestr(name, content, zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: list[tuple[str, bytes]] = ()) -> bytes:
    parts = members(data)
    parts.update(replace or {})
    return make_zip(list(parts.items()) + list(add))


def patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Make the central directory and local header of ``name`` claim ``size`` bytes."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", out, info.header_offset + 22, size)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46 : pos + 46 + name_len] == name.encode():
            struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def make_ole(streams: dict[str, bytes]) -> bytes:
    """A minimal, well-formed OLE2 file: FAT in sector 0, directory in sector 1, then streams
    (each padded to at least 4096 bytes so it lives in regular sectors)."""
    assert len(streams) <= 3
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat, body, entries, next_sector = [0xFFFFFFFD, end], b"", [], 2
    for name, content in streams.items():
        padded = content.ljust(max(4096, -(-len(content) // 512) * 512), b"\x00")
        count = len(padded) // 512
        fat += [next_sector + i + 1 for i in range(count - 1)] + [end]
        entries.append((name, 2, next_sector, len(padded)))
        next_sector += count
        body += padded

    def entry(name: str, kind: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le")
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw) + 2, kind, 1, free, free,
                           1 if kind == 5 else free, b"", 0, 0, 0, start, size)

    directory = entry("Root Entry", 5, end, 0) + b"".join(entry(*e) for e in entries)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), b"", 0x3E, 3,
                         0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    fat_sector = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))
    return header + fat_sector + directory.ljust(512, b"\x00") + body


def biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", rtype, len(payload)) + payload for rtype, payload in records)


def ods_bytes(table_rows: str = '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>') -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="Sheet1">{table_rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    ).encode()
    manifest = b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
    return make_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                     "META-INF/manifest.xml": manifest, "content.xml": content}, stored=("mimetype",))


def put(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rejected(path: Path, code: str, limits: GuardLimits = GuardLimits()) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        inspect_file(path, limits=limits)
    err = caught.value
    assert err.code == code, str(err)
    text = str(err)
    assert text.startswith(f"{path.name} "), text  # names the file
    assert any(action in err.hint.lower() for action in ACTIONS), text  # says what to do
    assert err.hint in text and err.path == str(path)
    return err


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """An xlsx whose sheet is 200 MB of zeros, about 200 KB compressed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members(xlsx_bytes()).items():
            if name != "xl/worksheets/sheet1.xml":
                zf.writestr(name, content)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            zeros = bytes(1 << 20)
            for _ in range(200):
                part.write(zeros)
    return buf.getvalue()


# --- files that are not workbooks ----------------------------------------------------------


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        (b"\xef\xbb\xbf  \n<!DOCTYPE html>\n<html><body><table></table></body></html>", "html"),
        (b"\n<HTML xmlns:x='urn:schemas-microsoft-com:office:excel'><body>", "html"),
        (b"MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related\r\n\r\n", "html"),
        (b"country;answer;comment\nFRA;yes;none\nDEU;no;later\n", "csv"),
        (b"\xff\xfe" + "q1\tq2\r\nyes\tno\r\n".encode("utf-16-le"), "csv"),
        (b"Dear colleagues, please find our reply below.\nRegards", "text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"{\\rtf1\\ansi Reply}", "rtf"),
        (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', "xml_spreadsheet"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00", "unknown_type"),
    ],
)
def test_non_workbooks_are_rejected_by_their_bytes(tmp_path, data, code):
    err = rejected(put(tmp_path, "FRA_reply.xlsx", data), code)
    if code == "pdf":
        assert str(err) == "FRA_reply.xlsx is a PDF document, not a workbook: ask the sender for the Excel file (.xlsx)."


def test_a_real_xlsx_passes_with_its_hash(tmp_path):
    data = xlsx_bytes()
    report = inspect_file(put(tmp_path, "FRA.xlsx", data))
    assert (report.kind, report.size, report.warnings) == ("xlsx", len(data), ())
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.path.endswith("FRA.xlsx")


def test_the_checked_parts_are_handed_on_as_one_uncompressed_package(tmp_path):
    from python_calamine import CalamineWorkbook

    data = rezip(xlsx_bytes(rows=40), add=[("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(300))])
    unpacked = inspect_file(put(tmp_path, "FRA.xlsx", data)).package.unpacked
    with zipfile.ZipFile(io.BytesIO(unpacked)) as copy, zipfile.ZipFile(io.BytesIO(data)) as original:
        assert copy.testzip() is None
        assert [i.filename for i in copy.infolist()] == [i.filename for i in original.infolist()]
        assert {i.compress_type for i in copy.infolist()} == {zipfile.ZIP_STORED}
        assert members(unpacked) == members(data)
    sheet = lambda d: CalamineWorkbook.from_filelike(io.BytesIO(d)).get_sheet_by_name("Questionnaire").to_python()
    assert sheet(unpacked) == sheet(data) and len(sheet(data)) == 40


def test_a_package_too_large_to_hold_is_read_from_the_file_itself(tmp_path, monkeypatch):
    data = xlsx_bytes()
    monkeypatch.setattr(guard_zip, "UNPACKED_LIMIT", len(members(data)["xl/styles.xml"]))
    assert inspect_file(put(tmp_path, "FRA.xlsx", data)).package.unpacked is None
    monkeypatch.undo()
    monkeypatch.setattr(guard_zip, "WHOLE_PART", 0)  # every part streamed, none held whole
    assert inspect_file(put(tmp_path, "FRA.xlsx", data)).package.unpacked is None


def test_bytes_in_hand_are_checked_without_reading_the_path():
    report = inspect_file(Path("attachment/DEU.xlsx"), data=xlsx_bytes())
    assert report.kind == "xlsx"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = put(tmp_path, "big.xlsx", xlsx_bytes())
    err = rejected(path, "too_large", GuardLimits(max_file_bytes=1000))
    assert "MB" in str(err)
    with pytest.raises(RejectedFile, match="too_large|more than"):
        inspect_file(Path("big.xlsx"), data=b"x" * 2000, limits=GuardLimits(max_file_bytes=1000))


def test_a_missing_file_is_unreadable(tmp_path):
    rejected(tmp_path / "gone.xlsx", "unreadable")


def test_an_eml_is_recognised(tmp_path):
    mail = b"Return-Path: <mission@example.org>\r\nFrom: Mission <mission@example.org>\r\nSubject: Questionnaire\r\nMIME-Version: 1.0\r\n\r\nSee attached."
    assert inspect_file(put(tmp_path, "reply.eml", mail)).kind == "eml"


def test_sniff_kind_ignores_the_extension():
    assert sniff_kind(xlsx_bytes(), "reply.pdf") == "zip"
    assert sniff_kind(b"%PDF-1.4", "reply.xlsx") == "pdf"
    assert sniff_kind(b"GIF89a....", "x.xls") == "gif"
    assert sniff_kind(b"single column\nvalue\n", "x.csv") == "csv"
    assert sniff_kind(b"single column\nvalue\n", "x.xlsx") == "text"


# --- OLE2 compound files ---------------------------------------------------------------------


def test_password_protected_xlsx_by_stream_names_in_a_crude_ole(tmp_path):
    crude = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600) + "EncryptionInfo".encode("utf-16-le") \
        + bytes(50) + "EncryptedPackage".encode("utf-16-le")
    err = rejected(put(tmp_path, "X.xlsx", crude), "encrypted")
    assert str(err) == "X.xlsx is protected with a password: ask the sender to remove the password and send it again."


def test_an_ole_header_listing_one_fat_sector_many_times_builds_a_bounded_table():
    from migq.forms.guard_ole import _Ole

    ole = bytearray(make_ole({"Workbook": b"abc"}))
    struct.pack_into("<109I", ole, 0x4C, *([0] * 109))  # the same FAT sector, 109 times
    table = _Ole(bytes(ole))
    assert len(table.fat) <= table.max_sectors + 128  # one FAT sector covers 128 sectors here


def test_password_protected_xlsx_in_a_well_formed_ole(tmp_path):
    ole = make_ole({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x00" * 100})
    rejected(put(tmp_path, "X.xlsx", ole), "encrypted")


def test_legacy_xls_passes_and_an_encrypted_one_is_refused(tmp_path):
    bof = (0x0809, b"\x00\x06\x05\x00" + bytes(12))
    plain = make_ole({"Workbook": biff(bof, (0x0042, b"\xe4\x04"))})
    assert inspect_file(put(tmp_path, "old.xls", plain)).kind == "xls"
    locked = make_ole({"Workbook": biff(bof, (0x002F, bytes(54)))})
    rejected(put(tmp_path, "locked.xls", locked), "legacy_xls_encrypted")


@pytest.mark.parametrize("stream, code", [("WordDocument", "word_document"), ("PowerPoint Document", "presentation"),
                                          ("__properties_version1.0", "outlook_msg")])
def test_other_office_compound_files_are_named(tmp_path, stream, code):
    rejected(put(tmp_path, "reply.xls", make_ole({stream: b"abc"})), code)


# --- ZIP packages -----------------------------------------------------------------------------


def test_macros_make_an_xlsm_with_a_warning(tmp_path):
    data = xlsx_bytes()
    types = members(data)["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    xlsm = rezip(data, {"[Content_Types].xml": types}, add=[("xl/vbaProject.bin", b"\xcc" * 300)])
    report = inspect_file(put(tmp_path, "FRA.xlsm", xlsm))
    assert report.kind == "xlsm"
    [warning] = report.warnings
    assert (warning.code, warning.severity, warning.file) == ("macros", Severity.WARNING, "FRA.xlsm")


def test_external_links_are_a_warning(tmp_path):
    linked = rezip(xlsx_bytes(), add=[("xl/externalLinks/externalLink1.xml", b"<externalLink/>")])
    report = inspect_file(put(tmp_path, "FRA.xlsx", linked))
    assert report.kind == "xlsx"
    assert [w.code for w in report.warnings] == ["external_links"]
    assert not report.warnings[0].is_error


def test_a_zip_bomb_is_refused_on_its_declared_sizes(tmp_path, bomb):
    assert len(bomb) < 1024 * 1024
    err = rejected(put(tmp_path, "bomb.xlsx", bomb), "zip_bomb")
    assert "sheet1.xml" in str(err)


def test_a_member_lying_about_its_size_is_stopped_early(tmp_path, monkeypatch):
    sheet = b"<worksheet>" + b" " * (8 * 1024 * 1024) + b"</worksheet>"
    liar = patch_declared_size(rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet}), "xl/worksheets/sheet1.xml", 1000)
    inflated = []
    real_inflate, real_inflate_whole = guard_zip.inflate, guard_zip.inflate_whole

    def counting(*args):
        for chunk in real_inflate(*args):
            inflated.append(len(chunk))
            yield chunk

    def counting_whole(*args):
        inflated.append(len(out := real_inflate_whole(*args)))
        return out

    monkeypatch.setattr(guard_zip, "inflate", counting)
    monkeypatch.setattr(guard_zip, "inflate_whole", counting_whole)
    err = rejected(put(tmp_path, "liar.xlsx", liar), "zip_bomb")
    assert "declares" in str(err)
    assert inflated and sum(inflated) < 1024 * 1024  # the 8 MB part was never inflated in full


def test_a_part_that_lies_about_its_size_is_a_bomb_whatever_it_holds(tmp_path):
    """Size and checksum are checked before what is inside: the verdict does not depend on
    which of a doubly broken part's faults a scan would meet first."""
    data = xlsx_bytes()
    workbook = b'<!DOCTYPE workbook [<!ENTITY lol "lol">]>' + members(data)["xl/workbook.xml"]
    liar = patch_declared_size(rezip(data, {"xl/workbook.xml": workbook}), "xl/workbook.xml", 100)
    rejected(put(tmp_path, "liar.xlsx", liar), "zip_bomb")


def test_too_many_members(tmp_path):
    crowded = rezip(xlsx_bytes(), add=[(f"xl/media/image{i}.png", b"") for i in range(600)])
    err = rejected(put(tmp_path, "crowded.xlsx", crowded), "too_many_members")
    assert "500" in str(err)


@pytest.mark.parametrize("second", ["xl/workbook.xml", "xl/Workbook.xml", "/xl/workbook.xml"])
def test_duplicate_and_case_equivalent_parts(tmp_path, second):
    twice = rezip(xlsx_bytes(), add=[(second, b"<workbook/>")])
    err = rejected(put(tmp_path, "twice.xlsx", twice), "duplicate_part")
    assert "workbook.xml" in str(err)


def test_a_dtd_in_the_workbook_part_is_refused(tmp_path, scan_mode):
    data = xlsx_bytes()
    workbook = members(data)["xl/workbook.xml"]
    hostile = b'<!DOCTYPE workbook [<!ENTITY lol "lol">]>' + workbook
    err = rejected(put(tmp_path, "xxe.xlsx", rezip(data, {"xl/workbook.xml": hostile})), "dtd")
    assert "xl/workbook.xml" in str(err)


@pytest.mark.parametrize("part", [b'<!doctype x><x/>', b'<x/><!EnTiTy y "z">', b'<x><!-- a comment --></x><!DocType x>'])
def test_a_declaration_in_any_letter_case_is_refused(tmp_path, scan_mode, part):
    rejected(put(tmp_path, "case.xlsx", rezip(xlsx_bytes(), {"docProps/core.xml": part})), "dtd")


def test_an_entity_split_across_two_chunks_is_still_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(guard_zip, "WHOLE_PART", 0)
    part = b"<root>" + b"x" * (guard_zip.CHUNK - 4 - 6) + b'<!ENTITY x "y"><root/>'
    data = rezip(xlsx_bytes(), {"xl/styles.xml": part})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        first = next(guard_zip.inflate(data, zf.getinfo("xl/styles.xml"), "split.xlsx"))
    assert first.endswith(b"<!EN")  # the declaration really straddles two chunks
    rejected(put(tmp_path, "split.xlsx", data), "dtd")


def test_a_dtd_in_a_utf16_part_is_refused(tmp_path, scan_mode):
    part = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16")
    rejected(put(tmp_path, "u16.xlsx", rezip(xlsx_bytes(), {"docProps/app.xml": part})), "dtd")


def test_an_unusual_declared_encoding_is_refused(tmp_path):
    part = b'<?xml version="1.0" encoding="UTF-7"?><x/>'
    rejected(put(tmp_path, "utf7.xlsx", rezip(xlsx_bytes(), {"docProps/core.xml": part})), "unusual_encoding")


@pytest.mark.parametrize("parts, code", [
    ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}, "word_document"),
    ({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}, "presentation"),
    ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01"}, "xlsb"),
    ({"notes.txt": b"hello", "photo.jpg": b"\xff\xd8\xff"}, "not_a_workbook_zip"),
    ({"replies/FRA.xlsx": b"PK"}, "zipped_workbook"),
])
def test_zips_that_hold_no_workbook(tmp_path, parts, code):
    rejected(put(tmp_path, "reply.xlsx", make_zip(parts)), code)


def test_a_truncated_workbook_is_corrupt(tmp_path):
    data = xlsx_bytes()
    rejected(put(tmp_path, "cut.xlsx", data[: len(data) // 2]), "corrupt_zip")


def test_a_damaged_member_fails_its_checksum(tmp_path):
    data = bytearray(make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook>abcdef</workbook>"},
                              stored=("xl/workbook.xml",)))
    at = data.find(b"abcdef")
    data[at] = ord("z")
    rejected(put(tmp_path, "flipped.xlsx", bytes(data)), "corrupt_zip")


def test_a_member_needing_an_unknown_zip_version_is_corrupt(tmp_path):
    """Found by fuzzing: the zip module raises NotImplementedError for such a member, which
    the guard let through as a reader failure with a programmer's message."""
    data = bytearray(xlsx_bytes())
    pos = data.find(b"PK\x01\x02")
    data[pos + 6] = 223  # "version needed to extract" of the first central-directory entry: 22.3
    assert "zip file version 22.3" in rejected(put(tmp_path, "future.xlsx", bytes(data)), "corrupt_zip").message


def test_a_zip_level_password_is_encrypted(tmp_path):
    data = bytearray(xlsx_bytes())
    pos = data.find(b"PK\x01\x02")
    data[pos + 8] |= 0x01  # the "encrypted" flag bit of the first central-directory entry
    rejected(put(tmp_path, "zipcrypto.xlsx", bytes(data)), "encrypted")


# --- used range -----------------------------------------------------------------------------


def test_a_sheet_dimension_beyond_the_bounds(tmp_path):
    data = xlsx_bytes()
    sheet = members(data)["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<dimension ref="') + len(b'<dimension ref="')
    huge = sheet[:start] + b"A1:ZZ99999" + sheet[sheet.index(b'"', start):]
    err = rejected(put(tmp_path, "huge.xlsx", rezip(data, {"xl/worksheets/sheet1.xml": huge})), "sheet_too_large")
    assert "xl/worksheets/sheet1.xml" in str(err) and "A1:ZZ99999" in str(err)


@pytest.fixture(params=["whole", "streamed"])
def scan_mode(request, monkeypatch):
    """Parts are scanned whole when small and streamed in chunks when large: test both."""
    if request.param == "streamed":
        monkeypatch.setattr(guard_zip, "WHOLE_PART", 0)
    return request.param


def test_rows_are_counted_when_the_dimension_is_missing(tmp_path, scan_mode):
    data = xlsx_bytes(rows=30)
    sheet = members(data)["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<dimension")
    no_dimension = sheet[:start] + sheet[sheet.index(b"/>", start) + 2:]
    path = put(tmp_path, "rows.xlsx", rezip(data, {"xl/worksheets/sheet1.xml": no_dimension}))
    assert inspect_file(path, limits=GuardLimits(max_sheet_rows=30)).kind == "xlsx"
    err = rejected(path, "sheet_too_large", GuardLimits(max_sheet_rows=20))
    # Streaming stops at the first row past the bound; a whole part is measured to its end.
    assert ("row 21" if scan_mode == "streamed" else "row 30") in str(err)


@pytest.mark.parametrize("rows_prefixed", [True, False])
def test_rows_written_with_a_namespace_prefix_are_counted_too(tmp_path, scan_mode, rows_prefixed):
    """Some writers use a prefix (<x:row>); the guard counts those rows like plain ones."""
    row = "x:row" if rows_prefixed else "row"
    body = "".join(f'<{row} r="{n}"><c r="A{n}"><v>1</v></c></{row}>' for n in range(1, 31))
    sheet = (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             f'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}'
             f'</sheetData></worksheet>').encode()
    path = put(tmp_path, "rows.xlsx", rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet}))
    assert inspect_file(path, limits=GuardLimits(max_sheet_rows=30)).kind == "xlsx"
    rejected(path, "sheet_too_large", GuardLimits(max_sheet_rows=29))


def test_an_ods_passes(tmp_path):
    report = inspect_file(put(tmp_path, "FRA.ods", ods_bytes()))
    assert (report.kind, report.warnings) == ("ods", ())


def test_ods_empty_repeats_pass_but_repeats_with_content_do_not(tmp_path, scan_mode):
    empty_tail = '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    assert inspect_file(put(tmp_path, "lo.ods", ods_bytes(empty_tail))).kind == "ods"
    filled = '<table:table-row table:number-rows-repeated="1000000"><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row>'
    rejected(put(tmp_path, "rows.ods", ods_bytes(filled)), "sheet_too_large")
    wide = '<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>'
    rejected(put(tmp_path, "wide.ods", ods_bytes(wide)), "sheet_too_large")


def test_an_encrypted_ods(tmp_path):
    parts = members(ods_bytes())
    parts["META-INF/manifest.xml"] = b"<manifest:manifest><manifest:file-entry><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"
    rejected(put(tmp_path, "locked.ods", make_zip(parts, stored=("mimetype",))), "encrypted")


# --- messages ---------------------------------------------------------------------------------


def test_every_rejection_says_what_and_what_to_do():
    values = dict(detail="d", size_mb=30, limit_mb=20, count=600, limit=500, part="p.xml", rows=10, cols=5)
    for code in REJECTIONS:
        err = RejectedFile(code, Path("some/dir/FRA.xlsx"), **values)
        assert isinstance(err, MigqError)
        assert str(err).startswith("FRA.xlsx ") and str(err).endswith(".")
        assert "some/dir" not in str(err)
        assert any(action in err.hint.lower() for action in ACTIONS), code


def test_rows_spanning_many_chunks_are_counted_once(tmp_path, scan_mode):
    data = xlsx_bytes(rows=3000)
    sheet = members(data)["xl/worksheets/sheet1.xml"]
    assert len(sheet) > 2 * guard_zip.CHUNK
    start = sheet.index(b"<dimension")
    no_dimension = sheet[:start] + sheet[sheet.index(b"/>", start) + 2:]
    path = put(tmp_path, "long.xlsx", rezip(data, {"xl/worksheets/sheet1.xml": no_dimension}))
    assert inspect_file(path, limits=GuardLimits(max_sheet_rows=3000)).kind == "xlsx"
    assert "row 3000" in str(rejected(path, "sheet_too_large", GuardLimits(max_sheet_rows=2999)))


def test_a_workbook_written_by_xlsxwriter_passes(tmp_path):
    import xlsxwriter

    path = tmp_path / "other_writer.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Form")
        ws.write("A1", "Question")
        ws.write_comment("A1", "a note")  # adds a VML drawing part
        wb.define_name("answer_q1", "=Form!$B$1")
    assert inspect_file(path).kind == "xlsx"
