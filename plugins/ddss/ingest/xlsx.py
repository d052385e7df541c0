"""Excel workbooks (.xlsx) as rows of text with their Excel row numbers."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.readers import Records, header_of, normalise_header

# Departments put a title (and blank rows) above the header: it is looked for this far down.
HEADER_SEARCH_ROWS = 20


def cell_text(value: object, column_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(column_format or "%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open(path: Path, display: str):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected(
            Problem(
                display,
                None,
                None,
                None,
                "not_xlsx",
                "Tệp không phải bảng tính Excel (.xlsx) hợp lệ. Hãy lưu lại bằng Excel dạng .xlsx.",
                f"Not a valid Excel workbook (.xlsx): {exc}. Save it again as .xlsx from Excel.",
            )
        ) from exc


def _header_formats(cells: list, contract: SourceContract) -> dict[int, str | None]:
    by_header = {normalise_header(header_of(c)): c for c in contract.columns}
    formats = {}
    for index, cell in enumerate(cells):
        column = by_header.get(normalise_header(str(cell))) if cell is not None else None
        formats[index] = column.format if column else None
    return formats


def _is_header(cells: list, wanted: set[str]) -> bool:
    names = {normalise_header(str(c)) for c in cells if c is not None}
    return bool(names) and len(wanted & names) * 2 >= len(wanted)


def xlsx_records(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None = None
) -> Records:
    """(Excel row number, cells) of the first sheet: the header is the first row naming
    most contract columns."""
    workbook = _open(path, display)
    wanted = {normalise_header(header_of(c)) for c in contract.columns}
    formats: dict[int, str | None] = {}
    header_at = None
    try:
        for number, values in enumerate(
            workbook.worksheets[0].iter_rows(values_only=True), start=1
        ):
            cells = list(values)
            while cells and cells[-1] is None:
                cells.pop()
            if header_at is not None:
                yield number, [cell_text(v, formats.get(i)) for i, v in enumerate(cells)]
            elif _is_header(cells, wanted):
                header_at = number
                formats = _header_formats(cells, contract)
                yield number, [str(c) if c is not None else "" for c in cells]
            elif number >= HEADER_SEARCH_ROWS:
                break
    finally:
        workbook.close()
    if header_at is None:
        raise FileRejected(
            Problem(
                display,
                None,
                None,
                None,
                "missing_columns",
                "Không tìm thấy dòng tiêu đề trong 20 dòng đầu của bảng tính. Hãy dùng đúng mẫu.",
                "No header row among the sheet's first 20 rows. Use the dataset's template.",
            )
        )
