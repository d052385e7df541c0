"""Readers: a department's file (CSV, XLSX, fetched JSON) as rows of text, exactly as sent,
each with its spreadsheet row number (header = 1). Typing happens in dbt staging.

Whatever makes a whole file unreadable raises ``FileRejected`` with a message naming the
file, row, column and value, and the fix.
"""

from __future__ import annotations

import codecs
import csv
import json
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from ddss.data_contracts import Column, SourceContract
from ddss.errors import FileRejected, Problem

CHUNK = 1 << 20
# (spreadsheet row number, cells): what every format's reader yields, header first.
Records = Iterator[tuple[int, list[str]]]
# (source row, values by column name or None when ragged, ragged cells, expected count)
Row = tuple[int, dict[str, str] | None, list[str] | None, int]


def normalise_header(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def header_of(column: Column) -> str:
    """The header a department writes for ``column`` (source columns always declare one)."""
    return column.header or column.name


def _check_encoding(path: Path, encoding: str, display: str) -> str:
    """Decode the whole file once; on failure name the line and the bytes."""
    with path.open("rb") as handle:
        head = handle.read(3)
    if head == codecs.BOM_UTF8 and encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                bad = chunk[exc.start : exc.start + 4]
                raise FileRejected(
                    Problem(
                        display,
                        line,
                        None,
                        bad.hex(" "),
                        "encoding",
                        f"Tệp không đúng bảng mã {encoding} (byte {bad.hex(' ')} ở dòng {line}). "
                        "Hãy lưu lại tệp với bảng mã UTF-8.",
                        f"The file is not valid {encoding} (bytes {bad.hex(' ')} on line {line}). "
                        "Save it again as UTF-8.",
                    )
                ) from exc
            line += chunk.count(b"\n")
        decoder.decode(b"", final=True)
    return encoding


def _csv_records(path: Path, contract: SourceContract, display: str) -> Records:
    """(spreadsheet row number, cells) of a CSV file, header first."""
    encoding = _check_encoding(path, contract.source.encoding, display)
    with path.open("r", encoding=encoding, newline="") as handle:
        yield from enumerate(csv.reader(handle, delimiter=contract.source.delimiter), start=1)


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_document(path: Path, display: str) -> list:
    _check_encoding(path, "utf-8", display)
    try:
        document = json.loads(path.read_text("utf-8"))
        records = document["records"] if isinstance(document, dict) else document
        if not isinstance(records, list):
            raise TypeError("records is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise FileRejected(
            Problem(
                display,
                None,
                None,
                None,
                "not_json",
                f"Tệp không phải JSON hợp lệ theo mẫu ({exc}).",
                f"Not valid JSON in the expected shape ({exc}).",
            )
        ) from exc
    return records


def _json_records(path: Path, contract: SourceContract, display: str) -> Records:
    """(row number, cells) of a fetched API file: the record keys the contract names as
    headers come first (row 1), then record n as row n + 1 — the row it has when the same
    records are exported to a spreadsheet."""
    records = _json_document(path, display)
    present = {key for record in records if isinstance(record, dict) for key in record}
    headers = [h for h in (header_of(c) for c in contract.columns) if h in present]
    yield 1, headers
    for number, record in enumerate(records, start=2):
        if isinstance(record, dict):
            yield number, [_json_cell(record.get(h)) for h in headers]
        else:
            yield number, [json.dumps(record, ensure_ascii=False)]


def _xlsx_records(path: Path, contract: SourceContract, display: str) -> Records:
    from ddss.ingest.xlsx import xlsx_records

    return xlsx_records(path, contract, display)


READERS: dict[str, Callable[[Path, SourceContract, str], Records]] = {
    "csv": _csv_records,
    "xlsx": _xlsx_records,
    "json": _json_records,
}


def _refused(display: str, row: int | None, rule: str, vi: str, en: str) -> FileRejected:
    return FileRejected(Problem(display, row, None, None, rule, vi, en))


def column_positions(
    header: list[str], header_row: int, contract: SourceContract, display: str
) -> dict[str, int]:
    """Each contract column's index in ``header``; FileRejected naming what is missing."""
    wanted = {normalise_header(header_of(c)): c for c in contract.columns}
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = wanted.get(normalise_header(name))
        if column:
            positions[column.name] = index
    missing = [c for c in contract.columns if c.name not in positions]
    if missing:
        names = ", ".join(f"'{header_of(c)}'" for c in missing)
        raise FileRejected(
            Problem(
                display,
                header_row,
                header_of(missing[0]),
                None,
                "missing_columns",
                f"Thiếu cột {names} trong dòng tiêu đề. Hãy dùng đúng mẫu của bộ dữ liệu.",
                f"The header lacks column(s) {names}. Use the dataset's template.",
            )
        )
    return positions


def read_rows(path: Path, contract: SourceContract, display: str | None = None) -> Iterator[Row]:
    """Yield (source_row, values dict, ragged cells, expected count) for each data row.

    Raises FileRejected for what makes the whole file unreadable.
    """
    display = display or path.name
    if path.stat().st_size == 0:
        raise _refused(
            display, None, "empty_file", "Tệp rỗng, không có dữ liệu.", "The file is empty."
        )
    records = READERS[contract.source.format](path, contract, display)
    first = next(records, None)
    if not first or not first[1]:
        raise _refused(
            display, 1, "empty_file", "Tệp không có dòng tiêu đề.", "The file has no header row."
        )
    header_row, header = first
    positions = column_positions(header, header_row, contract, display)
    expected = len(header)
    rows = 0
    for index, record in records:
        if not record or all(not cell.strip() for cell in record):
            continue  # blank line
        rows += 1
        if len(record) != expected:
            yield index, None, record, expected
            continue
        yield index, {name: record[pos] for name, pos in positions.items()}, None, expected
    if rows == 0:
        raise _refused(
            display,
            None,
            "empty_file",
            "Tệp chỉ có dòng tiêu đề, không có dữ liệu.",
            "The file has a header but no data rows.",
        )
