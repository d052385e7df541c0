"""Excel workbooks (.xlsx) as rows of text with their Excel row numbers, read defensively.

Before openpyxl opens a workbook, its zip directory is checked: the sizes its parts declare
(which Python's zipfile holds them to) may not add up to more than ``DDSS_XLSX_MAX_BYTES``
(256 MiB) — a small file that inflates to gigabytes is refused, not read — and no XML part
may declare a DTD (entity expansion: the "billion laughs"); ``defusedxml`` parses the
workbook's own parts, and openpyxl uses it for the rest once it is installed.

The sheet read is the first whose first 20 rows hold the header (a first sheet of
instructions is skipped); the steward is told which, and about every other sheet that is
not empty. Another sheet with the same header (data continued there) refuses the file:
reading one sheet would drop the other's rows without a word. A formula without a cached
value (a workbook written by a program, never opened in Excel) would load as an empty
cell: the file is refused naming those cells. Rows are limited to ``DDSS_XLSX_MAX_ROWS``.
Empty cells at the end of a row are just empty cells, not a short (ragged) row.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.limits import env_number
from ddss.ingest.readers import Records, header_of, normalise_header, spreadsheet_kind

# Departments put a title (and blank rows) above the header: it is looked for this far down.
HEADER_SEARCH_ROWS = 20
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
FORMULA_TAG = re.compile(rb"<(\w+:)?f[\s>/]")
SHOWN_CELLS = 10


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # its XML part inside the zip, e.g. xl/worksheets/sheet1.xml


def max_uncompressed_bytes() -> int:
    return int(env_number("DDSS_XLSX_MAX_BYTES", 256 * 1024**2))


def max_rows() -> int:
    return int(env_number("DDSS_XLSX_MAX_ROWS", 1_048_576))  # Excel's own limit


def cell_text(value: object, column_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(column_format or "%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _refused(
    display: str,
    rule: str,
    vi: str,
    en: str,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> FileRejected:
    return FileRejected(Problem(display, row, column, value, rule, vi, en))


def _not_xlsx(display: str, reason: object) -> FileRejected:
    return _refused(
        display,
        "not_xlsx",
        "Tệp không phải bảng tính Excel (.xlsx) hợp lệ. Hãy lưu lại bằng Excel dạng .xlsx.",
        f"Not a valid Excel workbook (.xlsx): {reason}. Save it again as .xlsx from Excel.",
    )


def _unsafe(display: str, part: str) -> FileRejected:
    return _refused(
        display,
        "xlsx_unsafe",
        f"Bảng tính chứa khai báo DTD/thực thể XML ({part}), điều Excel không bao giờ ghi; "
        "tệp bị từ chối để an toàn. Hãy mở bằng Excel và lưu lại dạng .xlsx.",
        f"The workbook declares an XML DTD or entities ({part}), which Excel never writes; "
        "it is refused for safety. Open it in Excel and save it again as .xlsx.",
    )


def _check_sizes(archive: zipfile.ZipFile, display: str) -> None:
    declared = sum(info.file_size for info in archive.infolist())
    limit = max_uncompressed_bytes()
    if declared > limit:
        raise _refused(
            display,
            "file_too_large",
            f"Bảng tính giải nén ra {declared} byte (tối đa {limit}). Hãy chia tệp theo tháng "
            "hoặc xóa các trang tính không cần thiết.",
            f"The workbook unpacks to {declared} bytes (limit {limit}). Split it by month or "
            "remove sheets that are not needed.",
            value=str(declared),
        )


def _check_no_dtd(archive: zipfile.ZipFile, display: str) -> None:
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as handle:
                prolog = handle.read(4096)  # a DTD can only come before the root element
            if DTD.search(prolog):
                raise _unsafe(display, info.filename)


def _parse_part(archive: zipfile.ZipFile, part: str, display: str) -> Any:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(archive.read(part))
    except DefusedXmlException as exc:
        raise _unsafe(display, part) from exc
    except KeyError as exc:
        raise _not_xlsx(display, f"{part} is missing") from exc
    except ElementTree.ParseError as exc:
        raise _not_xlsx(display, f"{part}: {exc}") from exc


def _sheets(archive: zipfile.ZipFile, display: str) -> list[Sheet]:
    """The workbook's sheets in order, each with its XML part."""
    workbook = _parse_part(archive, "xl/workbook.xml", display)
    rels = _parse_part(archive, "xl/_rels/workbook.xml.rels", display)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    sheets = []
    for node in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets.get(node.get(f"{{{REL_NS}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        sheets.append(Sheet(node.get("name", "?"), part))
    return sheets


def _is_encrypted(path: Path) -> bool:
    """A password-protected .xlsx is not a zip but an OLE2 container with the streams
    EncryptionInfo and EncryptedPackage (MS-OFFCRYPTO); their names sit in its directory."""
    name = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as handle:
        if name in handle.read(1 << 16):
            return True
        handle.seek(max(path.stat().st_size - (1 << 16), 0))  # the directory may come last
        return name in handle.read()


def _refuse_kind(path: Path, display: str) -> None:
    kind = spreadsheet_kind(path)
    if kind == "xls" and _is_encrypted(path):
        raise _refused(
            display,
            "not_xlsx",
            "Bảng tính được đặt mật khẩu nên không đọc được. Hãy mở bằng Excel, bỏ mật khẩu "
            "(File > Info > Protect Workbook > Encrypt with Password, xoá mật khẩu) rồi lưu lại.",
            "The workbook is password-protected, so it cannot be read. Open it in Excel, remove "
            "the password (File > Info > Protect Workbook > Encrypt with Password, clear it) "
            "and save it again.",
        )
    if kind == "xls":
        raise _refused(
            display,
            "not_xlsx",
            "Tệp là bảng tính Excel 97-2003 (.xls). Hãy mở bằng Excel và Lưu dạng → "
            "'Sổ làm việc Excel (.xlsx)'.",
            "The file is an Excel 97-2003 workbook (.xls). Open it in Excel and Save As → "
            "'Excel Workbook (.xlsx)'.",
        )
    if kind is None:
        raise _refused(
            display,
            "not_xlsx",
            "Tệp không phải bảng tính Excel (.xlsx) (có thể là tệp CSV hoặc văn bản). Hãy mở "
            "bằng Excel và Lưu dạng → 'Sổ làm việc Excel (.xlsx)'.",
            "The file is not an Excel workbook (.xlsx) (perhaps a CSV or text file). Open it "
            "in Excel and Save As → 'Excel Workbook (.xlsx)'.",
        )


def inspect_workbook(path: Path, display: str) -> list[Sheet]:
    """Check the zip before openpyxl opens it (sizes, no DTD); return its sheets."""
    _refuse_kind(path, display)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_sizes(archive, display)
            _check_no_dtd(archive, display)
            return _sheets(archive, display)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_xlsx(display, exc) from exc


def _has_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    overlap = b""
    with archive.open(part) as handle:
        while chunk := handle.read(1 << 20):
            if FORMULA_TAG.search(overlap + chunk):
                return True
            overlap = chunk[-16:]
    return False


def formulas_without_values(path: Path, part: str, from_row: int) -> list[str]:
    """Addresses (``B7``) of formula cells at or below ``from_row`` with no cached value."""
    from defusedxml.ElementTree import iterparse

    with zipfile.ZipFile(path) as archive:
        if part not in archive.namelist() or not _has_formulas(archive, part):
            return []
        found = []
        with archive.open(part) as handle:
            for _, element in iterparse(handle):
                if element.tag != f"{{{MAIN_NS}}}c":
                    continue
                address = element.get("r", "?")
                formula = element.find(f"{{{MAIN_NS}}}f")
                value = element.find(f"{{{MAIN_NS}}}v")
                row = int(re.sub(r"\D", "", address) or 0)
                # Excel stores a text formula that gives "" as t="str" with an empty value.
                empty = value is None or (not value.text and element.get("t") != "str")
                if formula is not None and empty and row >= from_row:
                    found.append(address)
                element.clear()
        return found


def _open(path: Path, display: str) -> Any:
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except DefusedXmlException as exc:
        raise _unsafe(display, "?") from exc
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _not_xlsx(display, exc) from exc


def _header_formats(cells: list, contract: SourceContract) -> dict[int, str | None]:
    by_header = {normalise_header(header_of(c)): c for c in contract.columns}
    formats = {}
    for index, cell in enumerate(cells):
        column = by_header.get(normalise_header(str(cell))) if cell is not None else None
        formats[index] = column.format if column else None
    return formats


def _is_header(cells: tuple | list, wanted: set[str]) -> bool:
    names = {normalise_header(str(c)) for c in cells if c is not None}
    return bool(names) and len(wanted & names) * 2 >= len(wanted)


def _header_row(worksheet: Any, wanted: set[str]) -> int | None:
    if not hasattr(worksheet, "iter_rows"):  # a chart sheet
        return None
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if _is_header(values, wanted):
            return number
        if number >= HEADER_SEARCH_ROWS:
            break
    return None


def _is_empty(worksheet: Any) -> bool:
    if not hasattr(worksheet, "iter_rows"):  # a chart sheet
        return True
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if any(v is not None and str(v).strip() for v in values):
            return False
        if number > max_rows():
            break
    return True


@dataclass
class _Choice:
    sheet: Sheet
    header_at: int
    others: list[str]  # other sheets that hold something


def _choose_sheet(workbook: Any, sheets: list[Sheet], wanted: set[str], display: str) -> _Choice:
    with_header = []
    for sheet in sheets:
        row = _header_row(workbook[sheet.name], wanted)
        if row is not None:
            with_header.append((sheet, row))
    if not with_header:
        names = ", ".join(f"'{s.name}'" for s in sheets)
        raise _refused(
            display,
            "missing_columns",
            f"Không tìm thấy dòng tiêu đề trong {HEADER_SEARCH_ROWS} dòng đầu của trang tính "
            f"{names}. Hãy dùng đúng mẫu của bộ dữ liệu.",
            f"No header row among the first {HEADER_SEARCH_ROWS} rows of sheet(s) {names}. "
            "Use the dataset's template.",
        )
    if len(with_header) > 1:
        names = ", ".join(f"'{s.name}'" for s, _ in with_header)
        raise _refused(
            display,
            "several_sheets",
            f"Dữ liệu nằm trên nhiều trang tính ({names}); chỉ đọc một trang sẽ bỏ sót dòng. "
            "Hãy gộp tất cả các dòng vào một trang tính, hoặc gửi mỗi trang thành một tệp.",
            f"The data is on several sheets ({names}); reading one would leave rows out. Put "
            "all rows on one sheet, or send each sheet as its own file.",
        )
    chosen, header_at = with_header[0]
    others = [s.name for s in sheets if s != chosen and not _is_empty(workbook[s.name])]
    return _Choice(chosen, header_at, others)


def _sheet_note(display: str, choice: _Choice) -> Problem:
    vi = f"Đã đọc trang tính '{choice.sheet.name}' (tiêu đề ở dòng {choice.header_at})."
    en = f"Read sheet '{choice.sheet.name}' (header on row {choice.header_at})."
    if choice.others:
        names = ", ".join(f"'{n}'" for n in choice.others)
        vi += f" Không đọc các trang tính khác có nội dung: {names} (không có dòng tiêu đề)."
        en += f" Not read, though not empty: {names} (no header row)."
    return Problem(display, choice.header_at, None, choice.sheet.name, "xlsx_sheet", vi, en)


def _refuse_formulas(display: str, sheet: str, cells: list[str]) -> FileRejected:
    shown = ", ".join(cells[:SHOWN_CELLS]) + (" …" if len(cells) > SHOWN_CELLS else "")
    row = int(re.sub(r"\D", "", cells[0]) or 0) or None
    return _refused(
        display,
        "formula_without_value",
        f"Trang tính '{sheet}' có {len(cells)} ô công thức chưa có giá trị tính sẵn ({shown}); "
        "nếu đọc sẽ thành ô trống. Hãy mở tệp bằng Excel để Excel tính lại, rồi lưu và gửi lại.",
        f"Sheet '{sheet}' has {len(cells)} formula cell(s) without a computed value ({shown}); "
        "they would load as empty cells. Open the file in Excel so it recalculates, then save "
        "and send it again.",
        row=row,
        value=cells[0],
    )


def _rows(worksheet: Any, choice: _Choice, contract: SourceContract, display: str) -> Records:
    limit = max_rows()
    formats: dict[int, str | None] = {}
    width = 0
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > limit:
            raise _refused(
                display,
                "file_too_large",
                f"Trang tính '{choice.sheet.name}' có hơn {limit} dòng. Hãy chia tệp theo tháng.",
                f"Sheet '{choice.sheet.name}' has more than {limit} rows. Split it by month.",
                row=number,
            )
        if number < choice.header_at:
            continue
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if number == choice.header_at:
            formats, width = _header_formats(cells, contract), len(cells)
            yield number, [str(c) if c is not None else "" for c in cells]
            continue
        cells += [None] * (width - len(cells))  # empty trailing cells are not a short row
        yield number, [cell_text(v, formats.get(i)) for i, v in enumerate(cells)]


def xlsx_records(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(Excel row number, cells) of the sheet holding the header, header first."""
    from defusedxml import DefusedXmlException

    sheets = inspect_workbook(path, display)
    workbook = _open(path, display)
    wanted = {normalise_header(header_of(c)) for c in contract.columns}
    try:
        choice = _choose_sheet(workbook, sheets, wanted, display)
        missing = formulas_without_values(path, choice.sheet.part, choice.header_at)
        if missing:
            raise _refuse_formulas(display, choice.sheet.name, missing)
        if notes is not None:
            notes.append(_sheet_note(display, choice))
        yield from _rows(workbook[choice.sheet.name], choice, contract, display)
    except DefusedXmlException as exc:
        raise _unsafe(display, "?") from exc
    finally:
        workbook.close()
