"""Group 1 as data: every bad input the campaign sends, the invariant it checks and the
outcome expected of ``ddss check`` (and of the pipeline's extract for the files it refuses).

Inputs are made from clean rows of the demo feeds (``Template``), in every format
(CSV in three encodings and two separators, XLSX, fetched JSON) and several datasets.

Outcomes:

* ``Refused``: the check cannot be run on the file (exit 2), with a bilingual message;
* ``Rejected``: the loader refuses the whole file (exit 1), naming the file and the row,
  column and value where it has them;
* ``Read``: the file is read exactly (every row, values as sent), with a note for the
  steward when there is something to say;
* ``Flagged``: the file loads and the row is a failure of the check, at its spreadsheet
  row and column (these cases share one check per dataset: one dbt run each).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from ddss.data_contracts import SourceContract
from ddss.ingest.readers import header_of, read_rows

DOSSIERS = "admin_procedure_dossiers"  # CSV, comma, UTF-8
PARKING = "cashless_parking_payments"  # CSV, semicolon, Vietnamese number format
HEALTH = "electronic_health_records"  # CSV, Windows-1258
SOCIAL = "cashless_social_payments"  # XLSX, header under a title
ETAX = "etax_mobile_accounts"  # JSON fetched from an API


@dataclass
class Template:
    """Clean rows of one dataset (no injected defect), as the department writes them."""

    contract: SourceContract
    header: list[str]
    rows: list[list[str]]
    sample: Path  # a clean file of the dataset as generated

    @property
    def dataset(self) -> str:
        return self.contract.id

    @property
    def delimiter(self) -> str:
        return self.contract.source.delimiter or ","

    def name(self, stem: str) -> str:
        """A file name the dataset's pattern accepts, without a period (no coverage)."""
        pattern = self.contract.source.pattern
        return pattern.replace("*", f"chaos-{stem}")

    def index(self, header: str) -> int:
        return self.header.index(header)


def template(contract: SourceContract, sample: Path, defect_rows: set[int]) -> Template:
    rows = []
    header: list[str] = [header_of(c) for c in contract.columns]
    names = [c.name for c in contract.columns]
    for row, values, _, _ in read_rows(sample, contract):
        if values is not None and row not in defect_rows:
            rows.append([values[n] for n in names])
    return Template(contract, header, rows, sample)


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def write_csv(t: Template, folder: Path, stem: str, header=None, rows=None, **kw) -> Path:
    text = csv_text(header or t.header, t.rows[:5] if rows is None else rows, t.delimiter)
    encoding = kw.get("encoding", "utf-8")
    return write_bytes(folder, t.name(stem), text.encode(encoding))


def write_xlsx(folder: Path, name: str, sheets: dict[str, list[list]], merged=()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in merged:
            sheet.merge_cells(cells)
    path = folder / name
    book.save(path)
    return path


def xlsx_rows(t: Template, rows: list[list[str]] | None = None) -> list[list]:
    """A title, a blank row, the header, then the rows (as the department's template)."""
    return [["Báo cáo chi trả"], [], list(t.header), *(rows if rows is not None else t.rows[:5])]


# --- outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Exit 2: the file is not of the dataset's kind; the message says what to send
    (and names this, when given)."""

    says: str | None = None


@dataclass(frozen=True)
class Rejected:
    """Exit 1: the whole file refused with this rule, naming row/column/value when known."""

    rule: str
    row: int | None = None
    column: str | None = None
    value: bool = False  # the failure shows the offending value


@dataclass(frozen=True)
class Read:
    """Read exactly: ``rows`` rows equal to the template's first ones (``None``: not compared),
    and a note with this rule when one is expected."""

    rows: int
    note: str | None = None
    same_values: bool = True


@dataclass(frozen=True)
class Flagged:
    """The row is a failure at its spreadsheet row and column (header)."""

    column: str | None


Outcome = Refused | Rejected | Read | Flagged


@dataclass(frozen=True)
class Case:
    id: str
    dataset: str
    invariant: str
    expect: Outcome
    make: Callable[[Template, Path], Path] | None = None
    # For ``Flagged``: the clean row changed into the bad one.
    change: Callable[[Template, list[str]], list[str]] | None = None
    env: dict[str, str] = field(default_factory=dict)
    known_defect: str | None = None  # a failing case waiting for a change elsewhere


def _set(header: str, value: str) -> Callable[[Template, list[str]], list[str]]:
    def change(t: Template, row: list[str]) -> list[str]:
        row = list(row)
        row[t.index(header)] = value
        return row

    return change


def _insert(header: str, at: int, text: str) -> Callable[[Template, list[str]], list[str]]:
    def change(t: Template, row: list[str]) -> list[str]:
        row = list(row)
        value = row[t.index(header)]
        row[t.index(header)] = value[:at] + text + value[at:]
        return row

    return change


# --- makers ------------------------------------------------------------------------------


def _encoded(encoding: str, bom: bytes = b""):
    def make(t: Template, folder: Path) -> Path:
        text = csv_text(t.header, t.rows[:5], t.delimiter)
        return write_bytes(folder, t.name(f"enc-{encoding}"), bom + text.encode(encoding))

    return make


def _sample_head(rows: int):
    """The first rows of the generated sample, bytes as generated (its own encoding)."""

    def make(t: Template, folder: Path) -> Path:
        lines = t.sample.read_bytes().splitlines(keepends=True)
        return write_bytes(folder, t.name("head"), b"".join(lines[: rows + 1]))

    return make


def _line_endings(ending: str | None):
    def make(t: Template, folder: Path) -> Path:
        lines = csv_text(t.header, t.rows[:6], t.delimiter).split("\r\n")[:-1]
        if ending is None:  # mixed: CRLF, LF and CR in turn
            text = "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(lines))
        else:
            text = "".join(line + ending for line in lines)
        return write_bytes(folder, t.name("endings"), text.encode("utf-8"))

    return make


def _cell(header: str, value: str, row: int = 0):
    def make(t: Template, folder: Path) -> Path:
        rows = [list(r) for r in t.rows[:5]]
        rows[row][t.index(header)] = value
        return write_csv(t, folder, "cell", rows=rows)

    return make


def _header(change: Callable[[list[str]], list[str]], rows_change=None):
    def make(t: Template, folder: Path) -> Path:
        rows = [list(r) for r in t.rows[:5]]
        return write_csv(
            t,
            folder,
            "header",
            header=change(list(t.header)),
            rows=rows_change(rows) if rows_change else rows,
        )

    return make


def _reordered(t: Template, folder: Path) -> Path:
    order = list(reversed(range(len(t.header))))
    return write_csv(
        t,
        folder,
        "reordered",
        header=[t.header[i] for i in order],
        rows=[[row[i] for i in order] for row in t.rows[:5]],
    )


def _extra_column(t: Template, folder: Path) -> Path:
    rows = [[*row, "giá trị lạ"] for row in t.rows[:5]]
    return write_csv(t, folder, "extra", header=[*t.header, "Cột không có trong mẫu"], rows=rows)


def _header_on_row_3(t: Template, folder: Path) -> Path:
    text = "Báo cáo hồ sơ tháng\r\n\r\n" + csv_text(t.header, t.rows[:5], t.delimiter)
    return write_bytes(folder, t.name("row3"), text.encode("utf-8"))


def _bom_in_middle(t: Template, folder: Path) -> Path:
    """Two exports glued together: the second one's BOM and header in the middle."""
    first = csv_text(t.header, t.rows[:3], t.delimiter)
    second = csv_text(t.header, t.rows[3:6], t.delimiter)
    data = codecs.BOM_UTF8 + first.encode() + codecs.BOM_UTF8 + second.encode()
    return write_bytes(folder, t.name("bom-middle"), data)


def _megabyte_cell(t: Template, folder: Path) -> Path:
    rows = [list(r) for r in t.rows[:5]]
    rows[1][-1] = "x" * (3 * 1024 * 1024)
    return write_csv(t, folder, "megacell", rows=rows)


def _unclosed_quote(t: Template, folder: Path) -> Path:
    lines = csv_text(t.header, t.rows[:30], t.delimiter).split("\r\n")
    lines[2] = lines[2].replace(t.delimiter, t.delimiter + '"', 1)
    return write_bytes(folder, t.name("quote"), "\r\n".join(lines).encode("utf-8"))


def _million_columns(t: Template, folder: Path) -> Path:
    """A header of a million cells, written as a stream."""
    path = folder / t.name("columns")
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(t.delimiter.join(t.header))
        chunk = "".join(f"{t.delimiter}c{i}" for i in range(1000))
        for _ in range(1000):
            handle.write(chunk)
        handle.write("\r\n")
        for row in t.rows[:3]:
            handle.write(t.delimiter.join(row) + "\r\n")
    return path


def _million_empty_rows(t: Template, folder: Path) -> Path:
    """Two data rows, then two million empty ones (a sheet 'used' to its last row)."""
    path = folder / t.name("empty-rows")
    empty = t.delimiter * (len(t.header) - 1) + "\r\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(csv_text(t.header, t.rows[:2], t.delimiter))
        block = empty * 10_000
        for _ in range(200):
            handle.write(block)
    return path


def _over_limit(t: Template, folder: Path) -> Path:
    return write_csv(t, folder, "big", rows=t.rows[:50])


def _bytes(data: bytes, stem: str = "bytes"):
    def make(t: Template, folder: Path) -> Path:
        return write_bytes(folder, t.name(stem), data)

    return make


def _as_suffix(suffix: str, data: bytes):
    def make(t: Template, folder: Path) -> Path:
        return write_bytes(folder, t.name("kind").rsplit(".", 1)[0] + suffix, data)

    return make


def _zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _workbook_bytes(t: Template) -> bytes:
    return t.sample.read_bytes()


def _zip_bomb(t: Template, folder: Path) -> Path:
    """A valid workbook plus a part of 300 MB of zeros, 300 kB on disk."""
    buffer = io.BytesIO(_workbook_bytes(t))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/zeros.bin", "w", force_zip64=True) as part:
            block = bytes(1 << 20)
            for _ in range(300):
                part.write(block)
    return write_bytes(folder, t.name("bomb"), buffer.getvalue())


def _encrypted(t: Template, folder: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE2 container holding
    EncryptionInfo and EncryptedPackage streams (not a zip)."""
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    ole += "EncryptionInfo".encode("utf-16-le") + bytes(64)
    ole += "EncryptedPackage".encode("utf-16-le") + bytes(4096)
    return write_bytes(folder, t.name("encrypted"), bytes(ole))


def _xls_renamed(t: Template, folder: Path) -> Path:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le")
    return write_bytes(folder, t.name("xls"), ole + bytes(4096))


def _macro_enabled(t: Template, folder: Path) -> Path:
    """An .xlsm with a VBA project: read as data, the macro never runs."""
    path = write_xlsx(folder, t.name("macro").replace(".xlsx", ".xlsm"), {"Số liệu": xlsx_rows(t)})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b'Attribute VB_Name = "Auto_Open"\r\nShell "calc"')
    return path


def _formulas(t: Template, folder: Path) -> Path:
    rows = xlsx_rows(t)
    rows[3] = list(rows[3])
    rows[3][3] = "=1+1"  # openpyxl writes the formula without a cached value
    return write_xlsx(folder, t.name("formula"), {"Số liệu": rows})


def _merged_header(t: Template, folder: Path) -> Path:
    rows = xlsx_rows(t)
    rows[2] = list(rows[2])
    rows[2][4] = None
    return write_xlsx(folder, t.name("merged"), {"Số liệu": rows}, merged=("D3:E3",))


def _two_sheets(t: Template, folder: Path) -> Path:
    return write_xlsx(
        folder,
        t.name("sheets"),
        {"Tháng 7": xlsx_rows(t, t.rows[:3]), "Tháng 7 (tiếp)": xlsx_rows(t, t.rows[3:6])},
    )


def _instructions_first(t: Template, folder: Path) -> Path:
    return write_xlsx(
        folder,
        t.name("guide"),
        {"Hướng dẫn": [["Điền số liệu ở trang sau"]], "Số liệu": xlsx_rows(t)},
    )


def _xlsx_extra_column(t: Template, folder: Path) -> Path:
    rows = xlsx_rows(t)
    rows[2] = [*rows[2], "Ghi chú thêm"]
    return write_xlsx(folder, t.name("xextra"), {"Số liệu": rows})


def _xlsx_low_header(t: Template, folder: Path) -> Path:
    rows = [[f"Ghi chú {n}"] for n in range(25)] + xlsx_rows(t)[2:]
    return write_xlsx(folder, t.name("low"), {"Số liệu": rows})


def _json_doc(t: Template, records: object, stem: str) -> Callable[[Template, Path], Path]:
    def make(t: Template, folder: Path) -> Path:
        body = {"period": "2022-07", "total": 3, "records": records}
        return write_bytes(folder, t.name(stem), json.dumps(body).encode())

    return make


def _json_records(t: Template, n: int = 3) -> list[dict]:
    return [dict(zip(t.header, row, strict=True)) for row in t.rows[:n]]


def _json_text(text_of: Callable[[Template], str], stem: str):
    def make(t: Template, folder: Path) -> Path:
        return write_bytes(folder, t.name(stem), text_of(t).encode("utf-8"))

    return make


def _json_extra_key(t: Template, folder: Path) -> Path:
    records = [r | {"truong_moi": "giá trị"} for r in _json_records(t)]
    body = {"period": "2022-07", "total": 3, "records": records}
    return write_bytes(folder, t.name("extra"), json.dumps(body, ensure_ascii=False).encode())


def _deep_json(t: Template) -> str:
    return '{"period": "2022-07", "records": ' + "[" * 200_000 + "]" * 200_000 + "}"


def _nan_json(t: Template) -> str:
    records = _json_records(t)
    text = json.dumps({"period": "2022-07", "total": 3, "records": records})
    value = json.dumps(records[0][t.header[2]])
    return text.replace(f"{value}", "NaN", 1)


def _duplicate_key_json(t: Template) -> str:
    record = _json_records(t, 1)[0]
    key = t.header[2]
    body = json.dumps(record)[:-1] + f', "{key}": 999999}}'
    return json.dumps({"period": "2022-07", "total": 1}).replace("}", f', "records": [{body}]}}')


DOSSIER_ID, SERVICE, CHANNEL, WARD = "Mã hồ sơ", "Mã thủ tục", "Hình thức nộp", "Mã xã"
RECEIVED, DUE, NOTE = "Ngày tiếp nhận", "Ngày hẹn trả", "Ghi chú"
DAY, REVENUE, TRANSACTIONS = "Ngày", "Doanh thu (đồng)", "Số lượt"
LOT_NAME, LOT_WARD = "Tên điểm đỗ", "Mã phường/xã"
S_PERIOD, S_AMOUNT = "Kỳ chi trả", "Số tiền chi trả (đồng)"
KEEP = "read exactly as sent (every row, every value)"

CASES: list[Case] = [
    # --- encodings ---------------------------------------------------------------------
    Case(
        "utf16-le-bom",
        DOSSIERS,
        "UTF-16 LE with its BOM is " + KEEP,
        Read(5),
        _encoded("utf-16-le", codecs.BOM_UTF16_LE),
    ),
    Case(
        "utf16-be-bom",
        DOSSIERS,
        "UTF-16 BE with its BOM is " + KEEP,
        Read(5),
        _encoded("utf-16-be", codecs.BOM_UTF16_BE),
    ),
    Case(
        "utf16-no-bom",
        DOSSIERS,
        "UTF-16 without a BOM is refused naming the encoding",
        Rejected("encoding", row=1, value=True),
        _encoded("utf-16-le"),
    ),
    Case(
        "utf8-bom",
        PARKING,
        "UTF-8 with a BOM (Excel's 'CSV UTF-8') is " + KEEP,
        Read(5),
        _encoded("utf-8", codecs.BOM_UTF8),
    ),
    Case(
        "bom-in-middle",
        DOSSIERS,
        "two exports glued (a BOM and a header mid-file): the repeated header is not taken as data",
        Rejected("repeated_header", row=5, value=True),
        _bom_in_middle,
    ),
    Case(
        "mixed-line-endings",
        DOSSIERS,
        "CRLF, LF and CR mixed: " + KEEP,
        Read(6),
        _line_endings(None),
    ),
    Case("cr-only", PARKING, "classic-Mac CR-only lines: " + KEEP, Read(6), _line_endings("\r")),
    Case(
        "cp1258-legacy", HEALTH, "the agreed Windows-1258 file is " + KEEP, Read(5), _sample_head(5)
    ),
    Case(
        "invalid-utf8-byte",
        DOSSIERS,
        "one invalid byte is refused naming its line and bytes",
        Rejected("encoding", row=3, value=True),
        _bytes(("a,b\r\n" * 2).encode() + b"\xff\xfe\xfd,x\r\n", "badbyte"),
    ),
    Case(
        "cp1252-for-utf8",
        DOSSIERS,
        "a Windows-1252 export for a UTF-8 dataset is refused",
        Rejected("encoding", value=True),
        _bytes("Ghi chú,Tên\r\n1,Hà\r\n".encode("cp1252"), "cp1252"),
    ),
    Case(
        "random-binary",
        DOSSIERS,
        "random bytes named .csv are refused, not read",
        Rejected("encoding", value=True),
        _bytes(bytes(range(256)) * 40, "binary"),
    ),
    Case(
        "gzip-as-csv",
        DOSSIERS,
        "a gzip file named .csv is refused",
        Rejected("encoding", value=True),
        _bytes(b"\x1f\x8b\x08\x00" + bytes(range(128, 256)) * 4, "gz"),
    ),
    # --- control and invisible characters ---------------------------------------------
    Case(
        "nul-in-code",
        DOSSIERS,
        "a NUL byte inside a code is refused naming the cell",
        Rejected("control_character", row=3, column=DOSSIER_ID, value=True),
        _cell(DOSSIER_ID, "000.00.15.H61\x00-220101", row=1),
    ),
    Case(
        "nul-in-header",
        DOSSIERS,
        "a NUL in the header is refused naming it",
        Rejected("control_character", row=1, value=True),
        _header(lambda h: [h[0] + "\x00", *h[1:]]),
    ),
    Case(
        "escape-in-note",
        DOSSIERS,
        "an ESC/form feed in a note is refused naming the cell",
        Rejected("control_character", row=2, column=NOTE, value=True),
        _cell(NOTE, "trả lại\x1b[31m\x0c"),
    ),
    Case(
        "xlsx-header-too-low",
        SOCIAL,
        "a header below the rows searched (a long title) is refused saying where it was looked for",
        Rejected("missing_columns"),
        _xlsx_low_header,
    ),
    Case(
        "zero-width-in-code",
        DOSSIERS,
        "a zero-width space inside a dossier number is flagged "
        "(it would make a duplicate look new)",
        Flagged(DOSSIER_ID),
        change=_insert(DOSSIER_ID, 6, "\u200b"),
    ),
    Case(
        "nbsp-in-ward",
        DOSSIERS,
        "a non-breaking space inside a ward code is flagged",
        Flagged(WARD),
        change=_insert(WARD, 2, "\u00a0"),
    ),
    Case(
        "rlm-in-service",
        DOSSIERS,
        "a right-to-left mark inside a procedure code is flagged",
        Flagged(SERVICE),
        change=_insert(SERVICE, 1, "\u200f"),
    ),
    Case(
        "bom-in-id",
        DOSSIERS,
        "a BOM (U+FEFF) inside a dossier number is flagged",
        Flagged(DOSSIER_ID),
        change=_insert(DOSSIER_ID, 0, "\ufeff"),
    ),
    # --- drift -------------------------------------------------------------------------
    Case(
        "extra-column",
        DOSSIERS,
        "an unknown extra column is a warning for the steward; the rest is " + KEEP,
        Read(5, note="extra_column"),
        _extra_column,
    ),
    Case(
        "extra-column-xlsx",
        SOCIAL,
        "an unknown extra column in a workbook is a warning",
        Read(5, note="extra_column"),
        _xlsx_extra_column,
    ),
    Case(
        "missing-column",
        DOSSIERS,
        "a missing column is refused naming it",
        Rejected("missing_columns", row=1, column=RECEIVED),
        _header(lambda h: [c if c != RECEIVED else "" for c in h]),
    ),
    Case(
        "renamed-column",
        PARKING,
        "a renamed column is refused naming the expected header, and the unknown one is named",
        Rejected("missing_columns", row=1, column=REVENUE),
        _header(lambda h: [c if c != REVENUE else "Doanh thu" for c in h]),
    ),
    Case(
        "reordered-columns", DOSSIERS, "columns in another order are " + KEEP, Read(5), _reordered
    ),
    Case(
        "duplicated-column",
        DOSSIERS,
        "a template column twice is refused naming it",
        Rejected("duplicate_column", row=1, column=WARD),
        _header(lambda h: [*h, WARD], lambda rows: [[*r, "00070"] for r in rows]),
    ),
    Case(
        "header-on-row-3",
        DOSSIERS,
        "a header under a title is refused naming row 1",
        Rejected("missing_columns", row=1),
        _header_on_row_3,
    ),
    Case(
        "header-case-spaces",
        PARKING,
        "headers in other case with extra spaces are " + KEEP,
        Read(5),
        _header(lambda h: [f"  {c.upper()} " for c in h]),
    ),
    Case(
        "semicolon-for-comma",
        DOSSIERS,
        "a ';' file for a ',' dataset is read, with a note",
        Read(5, note="delimiter"),
        lambda t, folder: write_bytes(
            folder, t.name("semi"), csv_text(t.header, t.rows[:5], ";").encode()
        ),
    ),
    Case(
        "ragged-row",
        DOSSIERS,
        "a row with a cell too many is flagged at its row",
        Flagged(None),
        change=lambda t, row: [*row, "thừa"],
    ),
    Case(
        "unclosed-quote",
        DOSSIERS,
        "an unclosed quotation mark that would swallow the rest "
        "of the file is refused at its row (no row vanishes without a word)",
        Rejected("csv_quote", row=3, value=True),
        _unclosed_quote,
    ),
    # --- values ------------------------------------------------------------------------
    Case(
        "date-31-feb",
        DOSSIERS,
        "a date that does not exist is flagged",
        Flagged(RECEIVED),
        change=_set(RECEIVED, "31/02/2022"),
    ),
    Case(
        "date-29-feb-2022",
        PARKING,
        "29/02 of a common year is flagged",
        Flagged(DAY),
        change=_set(DAY, "29/02/2022"),
    ),
    Case(
        "year-20222",
        DOSSIERS,
        "year 20222 is flagged",
        Flagged(RECEIVED),
        change=_set(RECEIVED, "05/01/20222"),
    ),
    Case(
        "excel-serial-date",
        PARKING,
        "an Excel serial number for a date is flagged",
        Flagged(DAY),
        change=_set(DAY, "44743"),
    ),
    Case(
        "iso-date",
        DOSSIERS,
        "a date in another format is flagged",
        Flagged(DUE),
        change=_set(DUE, "2022-01-16T00:00:00"),
    ),
    Case(
        "thousands-separator",
        PARKING,
        "an amount with en-US thousands separators is flagged, not read as a tenth",
        Flagged(REVENUE),
        change=_set(REVENUE, "1,470,000"),
    ),
    Case(
        "scientific-notation",
        PARKING,
        "an amount in scientific notation is flagged",
        Flagged(REVENUE),
        change=_set(REVENUE, "1.47E+06"),
    ),
    Case(
        "nan-amount",
        PARKING,
        "NaN as an amount is flagged",
        Flagged(REVENUE),
        change=_set(REVENUE, "NaN"),
    ),
    Case(
        "infinity-count",
        PARKING,
        "Infinity as a count is flagged",
        Flagged(TRANSACTIONS),
        change=_set(TRANSACTIONS, "Infinity"),
    ),
    Case(
        "negative-amount",
        PARKING,
        "a negative amount is flagged",
        Flagged(REVENUE),
        change=_set(REVENUE, "-745000"),
    ),
    Case(
        "fullwidth-digits",
        PARKING,
        "full-width (homoglyph) digits in a count are flagged",
        Flagged(TRANSACTIONS),
        change=_set(TRANSACTIONS, "１４９"),
    ),
    Case(
        "arabic-indic-digits",
        PARKING,
        "Arabic-Indic digits in an amount are flagged",
        Flagged(REVENUE),
        change=_set(REVENUE, "٧٤٥٠٠٠"),
    ),
    Case(
        "decimal-count",
        PARKING,
        "a fraction where a count is due is flagged",
        Flagged(TRANSACTIONS),
        change=_set(TRANSACTIONS, "149.5"),
    ),
    Case(
        "huge-amount",
        PARKING,
        "an amount beyond 64 bits is flagged, not a crash",
        Flagged(REVENUE),
        change=_set(REVENUE, "9" * 40),
    ),
    Case(
        "serial-period-xlsx",
        SOCIAL,
        "a period typed as an Excel serial is flagged",
        Flagged(S_PERIOD),
        change=_set(S_PERIOD, "44743"),
    ),
    Case(
        "negative-xlsx-amount",
        SOCIAL,
        "a negative amount in a workbook is flagged",
        Flagged(S_AMOUNT),
        change=_set(S_AMOUNT, "-5"),
    ),
    # --- sizes ---------------------------------------------------------------------------
    Case(
        "megabyte-cell",
        DOSSIERS,
        "a 3 MB cell is refused naming row, column and its start",
        Rejected("cell_too_long", row=3, column=NOTE, value=True),
        _megabyte_cell,
    ),
    Case(
        "million-columns",
        DOSSIERS,
        "a header of a million columns is refused quickly",
        Rejected("too_many_columns", row=1, value=True),
        _million_columns,
    ),
    Case(
        "over-size-limit",
        DOSSIERS,
        "a file over DDSS_MAX_FILE_BYTES is refused naming size and limit",
        Rejected("file_too_large", value=True),
        _over_limit,
        env={"DDSS_MAX_FILE_BYTES": "2000"},
    ),
    Case(
        "million-empty-rows",
        PARKING,
        "two million empty rows are skipped: " + KEEP,
        Read(2),
        _million_empty_rows,
    ),
    Case(
        "empty-file",
        DOSSIERS,
        "an empty file is refused",
        Rejected("empty_file"),
        _bytes(b"", "empty"),
    ),
    Case(
        "header-only",
        PARKING,
        "a header without rows is refused",
        Rejected("empty_file"),
        lambda t, folder: write_csv(t, folder, "header-only", rows=[]),
    ),
    # --- other kinds ---------------------------------------------------------------------
    Case(
        "xlsx-named-csv",
        DOSSIERS,
        "a workbook named .csv exits 2 saying what to send",
        Refused(),
        lambda t, folder: write_bytes(folder, t.name("zip"), _zip_of({"a": b"b"})),
    ),
    Case(
        "pdf-named-csv",
        DOSSIERS,
        "a PDF named .csv is refused",
        Rejected("encoding", value=True),
        _bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
    ),
    Case(
        "xls-for-csv",
        PARKING,
        "an .xls file for a CSV dataset exits 2 saying Save As",
        Refused(),
        _as_suffix(".xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
    ),
    # --- XLSX ----------------------------------------------------------------------------
    Case(
        "xlsx-not-zip",
        SOCIAL,
        "text named .xlsx exits 2 saying what it is",
        Refused(),
        _bytes(b"Ma phuong xa,Ky chi tra\r\n00070,2022-07\r\n", "text"),
    ),
    Case(
        "xlsx-truncated",
        SOCIAL,
        "a workbook cut half-way (an interrupted copy) exits 2",
        Refused(),
        lambda t, folder: write_bytes(
            folder, t.name("cut"), _workbook_bytes(t)[: len(_workbook_bytes(t)) // 2]
        ),
    ),
    Case(
        "xlsx-encrypted",
        SOCIAL,
        "a password-protected workbook exits 2 saying to remove the password",
        Refused(says="password"),
        _encrypted,
    ),
    Case(
        "xlsx-zip-bomb",
        SOCIAL,
        "a zip bomb (300 MB of zeros) is refused before inflating",
        Rejected("file_too_large", value=True),
        _zip_bomb,
    ),
    Case(
        "xls-renamed-xlsx",
        SOCIAL,
        "an .xls renamed .xlsx exits 2 saying Save As .xlsx",
        Refused(),
        _xls_renamed,
    ),
    Case(
        "xlsm-macro",
        SOCIAL,
        "a macro-enabled workbook is read as data; no macro runs",
        Read(5),
        _macro_enabled,
    ),
    Case(
        "xlsx-formulas",
        SOCIAL,
        "formulas without values are refused naming the cells",
        Rejected("formula_without_value", value=True),
        _formulas,
    ),
    Case(
        "xlsx-merged-header",
        SOCIAL,
        "merged header cells (one column's header lost) are refused naming the column",
        Rejected("missing_columns", row=3),
        _merged_header,
    ),
    Case(
        "xlsx-two-sheets",
        SOCIAL,
        "data on two sheets is refused (one would be dropped)",
        Rejected("several_sheets"),
        _two_sheets,
    ),
    Case(
        "xlsx-instructions-first",
        SOCIAL,
        "an instructions sheet first: the data sheet is read, with a note",
        Read(5, note="xlsx_sheet"),
        _instructions_first,
    ),
    Case(
        "xlsx-dtd",
        SOCIAL,
        "a workbook declaring an XML entity (billion laughs) is refused",
        Rejected("xlsx_unsafe"),
        lambda t, folder: write_bytes(
            folder,
            t.name("dtd"),
            _zip_of(
                {
                    "[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x/>',
                    "xl/workbook.xml": b"<workbook/>",
                }
            ),
        ),
    ),
    # --- JSON ----------------------------------------------------------------------------
    Case(
        "json-not-json",
        ETAX,
        "text that is not JSON exits 2 saying so",
        Refused(),
        _json_text(lambda t: "<html>502 Bad Gateway</html>", "html"),
    ),
    Case(
        "json-deep-nesting",
        ETAX,
        "JSON nested 200,000 deep is refused, not a crash",
        Refused(),
        _json_text(_deep_json, "deep"),
    ),
    Case(
        "json-nan",
        ETAX,
        "NaN (not JSON) in a value is refused naming it",
        Refused(),
        _json_text(_nan_json, "nan"),
    ),
    Case(
        "json-duplicate-key",
        ETAX,
        "a record with the same key twice is refused naming it",
        Refused(),
        _json_text(_duplicate_key_json, "dupkey"),
    ),
    Case(
        "json-records-not-list",
        ETAX,
        "records that are not a list exit 2",
        Refused(),
        lambda t, folder: _json_doc(t, {"a": 1}, "shape")(t, folder),
    ),
    Case(
        "json-extra-key",
        ETAX,
        "a field the API added is a warning for the steward; the rest is " + KEEP,
        Read(3, note="extra_column"),
        _json_extra_key,
    ),
    Case(
        "json-utf16",
        ETAX,
        "a UTF-16 JSON with its BOM is " + KEEP,
        Read(3),
        lambda t, folder: write_bytes(
            folder,
            t.name("u16"),
            codecs.BOM_UTF16_LE
            + json.dumps({"period": "2022-07", "total": 3, "records": _json_records(t)}).encode(
                "utf-16-le"
            ),
        ),
    ),
]
