"""Which encoding a department's text file is in.

A byte-order mark is proof: UTF-8 with a BOM, or UTF-16 (little or big endian), whatever
the contract says. Without one, a file that is valid UTF-8 throughout is UTF-8 (a legacy
Windows-1258 export with Vietnamese letters is practically never valid UTF-8, while every
UTF-8 file "decodes" as Windows-1258 into nonsense, so UTF-8 is tried first); otherwise the
contract's encoding. A file that is neither is refused with the line, the bytes, and the
encoding to save it in.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ddss.errors import FileRejected, Problem

CHUNK = 1 << 20
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1258": "Windows-1258"}
SAVE_AS_UTF8_VI = "Hãy lưu lại tệp với bảng mã UTF-8 (trong Excel: Lưu dạng → 'CSV UTF-8')."
SAVE_AS_UTF8_EN = "Save it again as UTF-8 (in Excel: Save As → 'CSV UTF-8')."


def canonical(encoding: str) -> str:
    return codecs.lookup(encoding).name


def display_name(encoding: str) -> str:
    name = canonical(encoding)
    return NAMES.get(name, name)


def bom_encoding(head: bytes) -> str | None:
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    return None


def first_error(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """(line, offending bytes) of the first byte sequence ``encoding`` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                start = max(exc.start, 0)
                return line + chunk[:start].count(b"\n"), chunk[start : start + 4]
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line, b""
    return None


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: text whose every other byte is NUL."""
    sample = head[:4096]
    return len(sample) >= 4 and sample.count(0) * 3 >= len(sample)


def _refused(display: str, line: int | None, bad: bytes, vi: str, en: str) -> FileRejected:
    value = bad.hex(" ") if bad else None
    return FileRejected(Problem(display, line, None, value, "encoding", vi, en))


def file_encoding(path: Path, declared: str, display: str) -> str:
    """The encoding to read ``path`` with (see the module's docstring), or FileRejected."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    by_bom = bom_encoding(head)
    if by_bom:
        error = first_error(path, by_bom)
        if error is None:
            return by_bom
        line, bad = error
        name = display_name(by_bom)
        raise _refused(
            display,
            line,
            bad,
            f"Tệp bắt đầu bằng dấu BOM của {name} nhưng có byte không hợp lệ ({bad.hex(' ')} ở "
            f"dòng {line}). {SAVE_AS_UTF8_VI}",
            f"The file starts with a {name} byte-order mark but holds invalid bytes "
            f"({bad.hex(' ')} on line {line}). {SAVE_AS_UTF8_EN}",
        )
    if _looks_like_utf16(head):
        raise _refused(
            display,
            1,
            head[:4],
            f"Tệp có vẻ là UTF-16 nhưng thiếu dấu BOM ở đầu tệp. {SAVE_AS_UTF8_VI}",
            f"The file looks like UTF-16 without its byte-order mark. {SAVE_AS_UTF8_EN}",
        )
    utf8_error = first_error(path, "utf-8")
    if utf8_error is None:
        return "utf-8"
    if canonical(declared) != "utf-8" and first_error(path, declared) is None:
        return declared
    line, bad = utf8_error
    also_vi = also_en = ""
    if canonical(declared) != "utf-8":
        also_vi = f" (hoặc {display_name(declared)} như đã thỏa thuận)"
        also_en = f" (or {display_name(declared)}, as agreed)"
    raise _refused(
        display,
        line,
        bad,
        f"Tệp không đúng bảng mã UTF-8{also_vi} (byte {bad.hex(' ')} ở dòng {line}). "
        + SAVE_AS_UTF8_VI,
        f"The file is not valid UTF-8{also_en} (bytes {bad.hex(' ')} on line {line}). "
        + SAVE_AS_UTF8_EN,
    )
