"""The steward's own file back as .xlsx, each failing cell highlighted with a comment
that says what is wrong and how to fix it (Vietnamese, then English).

An .xlsx upload is annotated in place (its title rows, formats and other sheets kept); a
CSV is laid out as a sheet with the same row numbers (header = row 1), every cell as text
so codes keep their leading zeros. A finding with no column marks its row's first cell; a
finding about the whole file goes on a sheet of its own.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ddss.data_contracts import SourceContract

HEADER_SEARCH_ROWS = 20
FILL = "FFC7CE"  # Excel's own "bad" red
FONT = "9C0006"


def _normalise(value: object) -> str:
    from ddss.ingest.readers import normalise_header

    return normalise_header(str(value)) if value is not None else ""


def _csv_rows(path: Path, contract: SourceContract) -> list[list[str]]:
    try:
        from ddss.ingest.readers import csv_layout

        layout = csv_layout(path, contract, path.name)
        encoding, delimiter = layout.encoding, layout.delimiter
    except Exception:  # noqa: BLE001 - a file the loader refuses is still shown as best we can
        encoding, delimiter = "utf-8-sig", contract.source.delimiter
    text = path.read_bytes().decode(encoding, errors="replace")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _header_columns(sheet, contract: SourceContract) -> dict[str, int]:
    """{normalised header or column name: 1-based column} from the sheet's header row."""
    wanted = {_normalise(c.header or c.name) for c in contract.columns}
    for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS):
        names = {_normalise(cell.value): cell.column for cell in row if cell.value is not None}
        if len(wanted & set(names)) * 2 >= len(wanted):
            by_name = {
                c.name: names[_normalise(c.header or c.name)]
                for c in contract.columns
                if _normalise(c.header or c.name) in names
            }
            return {**names, **by_name}
    return {}


def _comment(failures: list[dict]) -> str:
    lines = []
    for f in failures:
        lines.append(f"[{f.get('criterion') or ''}] {f.get('message_vi') or ''}")
        lines.append(f"{f.get('message_en') or ''}")
    return "\n".join(lines)[:30000]


def _mark(sheet, failures_by_cell: dict[tuple[int, int], list[dict]]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill(start_color=FILL, end_color=FILL, fill_type="solid")
    for (row, column), failures in failures_by_cell.items():
        cell = sheet.cell(row=row, column=column)
        cell.fill = fill
        cell.font = Font(color=FONT)
        comment = Comment(_comment(failures), "ddss")
        comment.width, comment.height = 420, 160
        cell.comment = comment


def _place(failures: list[dict], columns: dict[str, int]) -> tuple[dict, list[dict]]:
    by_cell: dict[tuple[int, int], list[dict]] = {}
    whole_file = []
    for f in failures:
        row = f.get("source_row")
        if not row:
            whole_file.append(f)
            continue
        column = columns.get(f.get("field") or "") or columns.get(_normalise(f.get("column"))) or 1
        by_cell.setdefault((int(row), column), []).append(f)
    return by_cell, whole_file


def _file_sheet(workbook, failures: list[dict]) -> None:
    sheet = workbook.create_sheet("Lỗi cả tệp - File problems")
    sheet.append(["Tiêu chí / Criterion", "Lỗi và cách sửa", "Problem and fix"])
    for f in failures:
        sheet.append([f.get("criterion"), f.get("message_vi"), f.get("message_en")])


def highlighted(path: Path, contract: SourceContract, failures: list[dict]) -> bytes:
    from openpyxl import Workbook, load_workbook

    if contract.source.format == "xlsx":
        workbook = load_workbook(path)
        sheet = workbook.worksheets[0]
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Dữ liệu - Data"
        for record in _csv_rows(path, contract):
            sheet.append(record)
            for cell in sheet[sheet.max_row]:
                cell.number_format = "@"  # text: 00070 stays 00070
                cell.data_type = "s"
    by_cell, whole_file = _place(failures, _header_columns(sheet, contract))
    _mark(sheet, by_cell)
    if whole_file:
        _file_sheet(workbook, whole_file)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template(contract: SourceContract) -> tuple[bytes, str, str]:
    """An empty file in the dataset's format with its headers: (bytes, media type, name).
    Workbook columns are formatted as text, so codes typed into them keep their zeros."""
    headers = [c.header or c.name for c in contract.columns]
    stem = contract.source.pattern.replace("*", "mau").rsplit(".", 1)[0]
    if contract.source.format == "xlsx":
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(headers)
        for index, column in enumerate(contract.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(headers[index - 1]) + 2)
            for row in range(2, 1002):
                sheet[f"{letter}{row}"].number_format = (
                    "@" if column.type != "date" else "dd/mm/yyyy"
                )
        out = io.BytesIO()
        workbook.save(out)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return out.getvalue(), media, f"{stem}.xlsx"
    text = io.StringIO()
    csv.writer(text, delimiter=contract.source.delimiter).writerow(headers)
    # UTF-8 with a byte-order mark for every dataset: Excel shows Vietnamese correctly and
    # the loader recognises the mark before the contract's declared encoding.
    return text.getvalue().encode("utf-8-sig"), "text/csv", f"{stem}.csv"
