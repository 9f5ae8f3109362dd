"""Tell apart the files that share the OLE2 compound-file container (magic D0 CF 11 E0).

Legacy .xls, password-protected .xlsx (Office wraps the encrypted package in OLE), Word .doc,
PowerPoint .ppt and Outlook .msg all look the same from their first bytes; their stream names
tell them apart. We read the container's directory with a minimal parser (header, FAT, directory
chain; every loop bounded by the file size) and, if that fails on a malformed file, fall back to
searching the bytes for the UTF-16LE stream names -- simple and sufficient to route the file.
"""

from __future__ import annotations

import struct

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_BOF_RECORDS = {0x0809, 0x0209, 0x0409, 0x0009}
_FILEPASS = 0x002F
_KNOWN_NAMES = (
    "EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument",
    "PowerPoint Document", "__properties_version1.0",
)


class _Ole:
    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(OLE_MAGIC):
            raise ValueError("no OLE header")
        self.data = data
        self.sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        if self.sector_size not in (512, 4096):
            raise ValueError("odd sector size")
        self.max_sectors = len(data) // self.sector_size + 1
        self.mini_cutoff = struct.unpack_from("<I", data, 0x38)[0]
        self.fat = self._read_fat()

    def sector(self, n: int) -> bytes:
        start = (n + 1) * self.sector_size
        if n >= self.max_sectors or start >= len(self.data):
            raise ValueError("sector outside the file")
        return self.data[start : start + self.sector_size]

    def _read_fat(self) -> list[int]:
        fat_sectors = [s for s in struct.unpack_from("<109I", self.data, 0x4C) if s < _END]
        difat, per_sector = struct.unpack_from("<I", self.data, 0x44)[0], self.sector_size // 4 - 1
        for _ in range(self.max_sectors):  # DIFAT chain, only in files above ~7 MB
            if difat >= _END:
                break
            entries = struct.unpack_from(f"<{per_sector + 1}I", self.sector(difat))
            fat_sectors += [s for s in entries[:per_sector] if s < _END]
            difat = entries[per_sector]
        # A FAT that maps every sector of the file needs no more sectors than this; a crafted
        # header listing the same sector thousands of times would otherwise build a huge table.
        per_fat_sector = self.sector_size // 4
        needed = -(-self.max_sectors // per_fat_sector)
        fat: list[int] = []
        for s in fat_sectors[:needed]:
            fat += struct.unpack(f"<{per_fat_sector}I", self.sector(s))
        return fat

    def chain(self, start: int):
        seen = 0
        while start < _END and seen < self.max_sectors:
            yield start
            start = self.fat[start] if start < len(self.fat) else _END
            seen += 1

    def entries(self) -> list[tuple[str, int, int, int]]:
        """(name, type, start sector, size) of every directory entry."""
        found = []
        for s in self.chain(struct.unpack_from("<I", self.data, 0x30)[0]):
            block = self.sector(s)
            for off in range(0, len(block), 128):
                raw = block[off : off + 128]
                name_len, kind = struct.unpack_from("<HB", raw, 64)
                if kind == 0 or not 2 <= name_len <= 64:
                    continue
                name = raw[: name_len - 2].decode("utf-16-le", errors="replace")
                start, size = struct.unpack_from("<IQ", raw, 116)
                found.append((name, kind, start, size & 0xFFFFFFFF))
        return found


def stream_names(data: bytes) -> set[str]:
    """The lower-cased stream names of an OLE2 file (best effort; see the module docstring)."""
    try:
        return {name.lower() for name, *_ in _Ole(data).entries()}
    except (ValueError, struct.error, IndexError):
        names = {n.lower() for n in _KNOWN_NAMES if n.encode("utf-16-le") in data}
        if b"_\x00_\x00s\x00u\x00b\x00s\x00t\x00g\x001\x00" in data:
            names.add("__substg1.0_")
        return names


def xls_has_filepass(data: bytes) -> bool:
    """True if the Workbook stream of a legacy .xls starts with BOF then FILEPASS (encrypted).

    Only the stream's first sector is read; a stream small enough to live in the mini stream,
    or any oddity, returns False and leaves the verdict to the reader.
    """
    try:
        ole = _Ole(data)
        for name, kind, start, size in ole.entries():
            if kind == 2 and name.lower() in ("workbook", "book") and size >= ole.mini_cutoff:
                head = ole.sector(start)
                pos = 0
                for index in range(20):
                    rtype, rlen = struct.unpack_from("<HH", head, pos)
                    if index == 0 and rtype not in _BOF_RECORDS:
                        return False
                    if rtype == _FILEPASS:
                        return True
                    pos += 4 + rlen
                    if pos + 4 > len(head):
                        return False
    except (ValueError, struct.error, IndexError):
        return False
    return False


def classify_ole(data: bytes) -> tuple[str, str]:
    """(kind, detail) where kind is 'encrypted', 'xls', 'word_document', 'presentation',
    'outlook_msg' or 'unknown'."""
    names = stream_names(data)
    if {"encryptioninfo", "encryptedpackage"} <= names:
        return "encrypted", ""
    if names & {"workbook", "book"}:
        return "xls", ""
    if "worddocument" in names:
        return "word_document", "a Word .doc file"
    if "powerpoint document" in names:
        return "presentation", "a PowerPoint .ppt file"
    if "__properties_version1.0" in names or any(n.startswith("__substg1.0_") for n in names):
        return "outlook_msg", ""
    return "unknown", "an Office compound file of an unknown kind"
