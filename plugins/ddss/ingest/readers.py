"""Readers: a department's file (CSV, XLSX, fetched JSON) as rows of text, exactly as sent,
each with its spreadsheet row number (header = 1). Typing happens in dbt staging.

Whatever makes a whole file unreadable raises ``FileRejected`` with a message naming the
file, row, column and value, and the fix.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ddss.data_contracts import Column, SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.encodings import file_encoding

# Separators a spreadsheet program may have written instead of the agreed one.
DELIMITERS = (",", ";", "\t", "|")
# (spreadsheet row number, cells): what every format's reader yields, header first.
Records = Iterator[tuple[int, list[str]]]
# (source row, values by column name or None when ragged, ragged cells, expected count)
Row = tuple[int, dict[str, str] | None, list[str] | None, int]


def normalise_header(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def header_of(column: Column) -> str:
    """The header a department writes for ``column`` (source columns always declare one)."""
    return column.header or column.name


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file is written: its encoding, its separator and its header's width."""

    encoding: str
    delimiter: str
    header_cells: int


def _first_record(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header as split by ``delimiter``; empty when it cannot be (a wide header read
    with another file's separator is one cell over the csv field limit)."""
    with path.open("r", encoding=encoding, newline="") as handle:
        try:
            return next(csv.reader(handle, delimiter=delimiter), [])
        except csv.Error:
            return []


def _matched(header: list[str], wanted: set[str]) -> int:
    return len(wanted & {normalise_header(cell) for cell in header})


ZIP_MAGIC = b"PK\x03\x04"  # .xlsx (and every zip)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, Excel 97-2003


def spreadsheet_kind(path: Path) -> str | None:
    """'xlsx' or 'xls' when the file is an Excel workbook whatever its name says."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head == OLE2_MAGIC:
        return "xls"
    return None


def _refuse_workbook(display: str, kind: str) -> FileRejected:
    return _refused(
        display,
        None,
        "wrong_format",
        f"Tệp là bảng tính Excel (.{kind}), không phải CSV. Hãy mở bằng Excel và chọn Lưu dạng "
        "→ 'CSV UTF-8 (Comma delimited)'.",
        f"The file is an Excel workbook (.{kind}), not a CSV. Open it in Excel and Save As → "
        "'CSV UTF-8 (Comma delimited)'.",
    )


def csv_layout(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None = None
) -> CsvLayout:
    """The file's encoding and separator. Excel with Vietnamese regional settings writes
    ``;`` where the contract says ``,`` (and the other way round): the separator whose header
    names the most contract columns is used, and the steward is told."""
    kind = spreadsheet_kind(path)
    if kind:
        raise _refuse_workbook(display, kind)
    encoding = file_encoding(path, contract.source.encoding, display)
    agreed = contract.source.delimiter
    wanted = {normalise_header(header_of(c)) for c in contract.columns}
    headers = {d: _first_record(path, encoding, d) for d in (agreed, *DELIMITERS) if d}
    best = max(headers, key=lambda d: (_matched(headers[d], wanted), d == agreed))
    if best != agreed and notes is not None:
        notes.append(
            Problem(
                display,
                1,
                None,
                best,
                "delimiter",
                f"Tệp dùng dấu {best!r} để phân cách cột (mẫu quy định {agreed!r}); đã đọc theo "
                f"dấu {best!r}. Lần sau có thể xuất CSV với dấu {agreed!r}.",
                f"The file separates columns with {best!r} (the template says {agreed!r}); it "
                f"was read with {best!r}. Next time the file can be exported with {agreed!r}.",
            )
        )
    return CsvLayout(encoding, best, len(headers[best]))


def _csv_records(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None
) -> Records:
    """(spreadsheet row number, cells) of a CSV file, header first, read strictly (RFC 4180):
    a quotation mark never closed would otherwise swallow every later row into one cell
    without a word, and ``"a"b`` is not CSV. Such a row, or a cell longer than the csv
    module's field limit (128 KiB; Excel itself stops at 32,767 characters), refuses the
    file naming its row, column and the cell's start."""
    layout = csv_layout(path, contract, display, notes)
    with path.open("r", encoding=layout.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter, strict=True)
        number = 0
        try:
            for number, record in enumerate(reader, start=1):
                yield number, record
        except csv.Error as exc:
            raise _unreadable_record(path, layout, display, number + 1, exc) from None


def _unreadable_record(
    path: Path, layout: CsvLayout, display: str, number: int, error: csv.Error
) -> FileRejected:
    """The record the csv module gave up on, named for the steward: its row, and — read
    again without the field limit — its longest cell's column and first characters."""
    header: list[str] = []
    cells: list[str] = []
    limit = csv.field_size_limit()
    try:
        # Process-wide, hence restored at once; only this diagnosis reads past the limit.
        csv.field_size_limit((1 << 31) - 1)
        with path.open("r", encoding=layout.encoding, newline="") as handle:
            for index, record in enumerate(csv.reader(handle, delimiter=layout.delimiter), 1):
                if index == 1:
                    header = record
                if index == number:
                    cells = record
                    break
    except csv.Error:
        pass
    finally:
        csv.field_size_limit(limit)
    column = value = None
    length = 0
    if cells:
        widest = max(range(len(cells)), key=lambda i: len(cells[i]))
        length = len(cells[widest])
        column = header[widest] if widest < len(header) else f"#{widest + 1}"
        value = _shown(cells[widest])
    if "field larger than field limit" not in str(error):
        return FileRejected(
            Problem(
                display,
                number,
                column,
                value,
                "csv_quote",
                f'Dòng này không đúng định dạng CSV ({error}): một dấu ngoặc kép (") không '
                "được đóng hoặc đặt sai chỗ, nên các dòng sau có thể bị gộp vào một ô. Hãy "
                "kiểm tra dấu ngoặc kép trong ô này rồi xuất lại tệp từ Excel.",
                f'This row is not valid CSV ({error}): a quotation mark (") is never closed or '
                "is misplaced, so later rows may be merged into one cell. Check the quotation "
                "marks in this cell and export the file from Excel again.",
            )
        )
    return FileRejected(
        Problem(
            display,
            number,
            column,
            value,
            "cell_too_long",
            f"Không đọc được dòng này ({error}): một ô dài {length or 'hơn ' + str(limit)} ký "
            f"tự, vượt giới hạn {limit} ký tự (Excel chỉ cho phép 32.767 ký tự mỗi ô). Kiểm "
            "tra dấu ngoặc kép không đóng hoặc dữ liệu bị dán nhầm vào ô.",
            f"This row cannot be read ({error}): a cell of {length or 'over ' + str(limit)} "
            f"characters exceeds the limit of {limit} (Excel allows 32,767 per cell). Look for "
            "an unclosed quotation mark or data pasted into the cell by mistake.",
        )
    )


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _not_a_json_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object: a key given twice (which value the API meant is unknown) is refused."""
    document: dict = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document


# How much of a fetched JSON file is decoded at a time: records are read one by one from a
# window of the text, never the whole document (291 MB at scale 100).
JSON_CHUNK = 1 << 20
JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what the json module skips between tokens
# A value that ends this close to the window's end may have been cut by it (a number, an
# escape): it is decoded again with more text before it is believed or refused.
JSON_CUT = 16


class _JsonText:
    """A JSON text read through a sliding window of ``JSON_CHUNK`` characters, decoded with
    the json module's own scanner one value at a time (strict: NaN, Infinity and a key given
    twice refused). Errors carry the json module's message and the position in the whole
    text, as ``json.loads`` of the whole file gives them."""

    def __init__(self, handle: TextIO, checked: bool = False):
        self.handle = handle
        self.window = ""
        self.at = 0  # the next character's index in the window
        self.dropped = 0  # characters before the window
        self.lines = 0  # line breaks before the window
        self.line_start = 0  # index in the whole text of the line the window starts on
        self.ended = False
        # A text already read once without error (``checked``) is decoded without the
        # strict hooks, which cost a Python call per object and would find nothing.
        decoder = (
            json.JSONDecoder()
            if checked
            else json.JSONDecoder(
                parse_constant=_not_a_json_constant, object_pairs_hook=_unique_keys
            )
        )
        # raw_decode without its Python wrapper: one call less per record.
        self.scan = decoder.scan_once  # type: ignore[attr-defined]

    def _more(self) -> bool:
        """Slide the window past what is read and add the next chunk; False at the end."""
        if self.ended:
            return False
        read = self.window[: self.at]
        breaks = read.count("\n")
        if breaks:
            self.lines += breaks
            self.line_start = self.dropped + read.rindex("\n") + 1
        self.dropped += self.at
        rest = self.window[self.at :]
        # A value longer than a chunk (decoded again each time more is read) doubles the
        # window at each try rather than adding a chunk: linear, not quadratic, in its length.
        chunk = self.handle.read(max(JSON_CHUNK, len(rest)))
        self.window = rest + chunk
        self.at = 0
        self.ended = not chunk
        return not self.ended

    def error(self, message: str, at: int | None = None) -> ValueError:
        """``message`` at window index ``at``, worded as json.JSONDecodeError words it."""
        at = self.at if at is None else at
        before = self.window[:at]
        line = self.lines + before.count("\n") + 1
        start = self.dropped + before.rindex("\n") + 1 if "\n" in before else self.line_start
        position = self.dropped + at
        return ValueError(f"{message}: line {line} column {position - start + 1} (char {position})")

    def peek(self) -> str:
        """The next character after white space; empty at the end of the text."""
        while True:
            self.at = JSON_SPACE.match(self.window, self.at).end()  # type: ignore[union-attr]
            if self.at < len(self.window) or not self._more():
                return self.window[self.at : self.at + 1]

    def value(self) -> object:
        """The next whole value (an object, a list, a string, a number, a literal)."""
        self.peek()
        if self.dropped == 0 and self.at == 0 and self.window.startswith("\ufeff"):
            raise self.error("Unexpected UTF-8 BOM (decode using utf-8-sig)")
        while True:
            try:
                value, end = self.scan(self.window, self.at)
            except StopIteration as stop:  # what raw_decode words as "Expecting value"
                message, at = "Expecting value", stop.value
            except json.JSONDecodeError as exc:
                # Only its message and place: the error holds the window (exc.doc), and its
                # traceback this frame, a cycle that would keep every window until a GC pass.
                message, at = exc.msg, exc.pos
            else:
                if end == len(self.window) and not self.ended:
                    self._more()  # a number may go on in the next chunk
                    continue
                self.at = end
                return value
            cut = at >= len(self.window) - JSON_CUT or message.startswith("Unterminated string")
            if cut and not self.ended:
                self._more()  # the value goes on in the next chunk: decode it again whole
                continue
            raise self.error(message, at)

    def items(self) -> Iterator[object]:
        """The values of the list that starts here, one at a time."""
        self.at += 1  # [
        if self.peek() == "]":
            self.at += 1
            return
        space = JSON_SPACE.match
        while True:
            # Most values lie whole in the window with their delimiter: decoded here without
            # the calls of value() and peek(), which are taken for the rest (more text, or
            # the error and its position).
            window = self.window
            try:
                value, end = self.scan(window, space(window, self.at).end())  # type: ignore[union-attr]
                after = space(window, end).end()  # type: ignore[union-attr]
                following = window[after]
                self.at = after
            except (StopIteration, json.JSONDecodeError, IndexError):
                value = self.value()
                following = self.peek()
            yield value
            if following == "]":
                self.at += 1
                return
            if following != ",":
                raise self.error("Expecting ',' delimiter")
            self.at += 1

    def member_name(self) -> str:
        """The name of the object member that starts here, and the colon after it."""
        if self.peek() != '"':
            raise self.error("Expecting property name enclosed in double quotes")
        name = str(self.value())
        if self.peek() != ":":
            raise self.error("Expecting ':' delimiter")
        self.at += 1
        return name

    def end(self) -> None:
        if self.peek():
            raise self.error("Extra data")


def _records_of_object(text: _JsonText) -> Iterator[object]:
    """The items of the ``records`` list of the object that starts here (see _json_items)."""
    text.at += 1  # {
    keys: set[str] = set()
    twice: str | None = None
    shape: Exception | None = KeyError("records")
    following = text.peek()
    while following != "}":
        key = text.member_name()
        if key == "records" and text.peek() == "[":
            shape = shape if key in keys else None
            yield from text.items()
        else:
            text.value()
            if key == "records" and key not in keys:
                shape = TypeError("records is not a list")
        twice = key if twice is None and key in keys else twice
        keys.add(key)
        following = text.peek()
        if following not in (",", "}"):
            raise text.error("Expecting ',' delimiter")
        if following == ",":
            text.at += 1
            following = text.peek()
            if following == "}":  # a trailing comma
                raise text.error("Expecting property name enclosed in double quotes")
    text.at += 1  # }
    if twice is not None:
        raise ValueError(f"key {twice!r} appears twice in one object")
    text.end()
    if shape is not None:
        raise shape


def _json_items(path: Path, encoding: str, checked: bool = False) -> Iterator[object]:
    """The records of a fetched file, ``{"records": [...], ...}`` or a bare list, one at a
    time, with the outcome of ``json.loads`` (strict) then taking ``records``: every error
    json.loads would raise, with its message and position, and a top-level key given twice
    (when the object closes, as the hook would); then KeyError when there is no
    ``records`` and TypeError when it is not a list. The caller reads them all before it
    believes any: the error may come after the last record."""
    with path.open("r", encoding=encoding, newline="") as handle:
        yield from json_records(handle, checked)


def json_records(handle: TextIO, checked: bool = False) -> Iterator[object]:
    """``_json_items`` of an open text."""
    text = _JsonText(handle, checked)
    first = text.peek()
    if first == "[":
        yield from text.items()
        text.end()
        return
    if first != "{":
        text.value()
        text.end()
        raise TypeError("records is not a list")
    yield from _records_of_object(text)


def _refuse_json(display: str, vi: str, en: str) -> FileRejected:
    return FileRejected(Problem(display, None, None, None, "not_json", vi, en))


def _json_records(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None
) -> Records:
    """(row number, cells) of a fetched API file: the record keys the contract names as
    headers come first (row 1), then record n as row n + 1 — the row it has when the same
    records are exported to a spreadsheet.

    Strict JSON (RFC 8259): NaN and Infinity, which Python's json module would accept, and
    an object with a key twice are refused; so is a nesting too deep to read (Python's
    recursion limit). The file is read twice, one record at a time, never whole: first to
    check all of it and learn its keys (the header), then to yield its rows."""
    encoding = file_encoding(path, "utf-8", display)
    present: set[str] = set()
    try:
        for record in _json_items(path, encoding):
            if isinstance(record, dict):
                present.update(record)
    except RecursionError:
        raise _refuse_json(
            display,
            "Tệp JSON lồng nhau quá sâu, không đọc được theo mẫu.",
            "The JSON is nested too deep to be read in the expected shape.",
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise _refuse_json(
            display,
            f"Tệp không phải JSON hợp lệ theo mẫu ({exc}).",
            f"Not valid JSON in the expected shape ({exc}).",
        ) from exc
    headers = [h for h in (header_of(c) for c in contract.columns) if h in present]
    extra = sorted(present - set(headers))
    if extra and notes is not None:  # a field the API added: not read, and the steward told
        notes.append(_extra_columns_note(display, 1, extra))
    yield 1, headers
    for number, record in enumerate(_json_items(path, encoding, checked=True), start=2):
        if isinstance(record, dict):
            yield number, [_json_cell(record.get(h)) for h in headers]
        else:
            yield number, [json.dumps(record, ensure_ascii=False)]


def _xlsx_records(
    path: Path, contract: SourceContract, display: str, notes: list[Problem] | None
) -> Records:
    from ddss.ingest.xlsx import xlsx_records

    return xlsx_records(path, contract, display, notes)


# Each reader: (path, contract, name shown to the steward, notes for the steward) -> records.
READERS: dict[str, Callable[[Path, SourceContract, str, list[Problem] | None], Records]] = {
    "csv": _csv_records,
    "xlsx": _xlsx_records,
    "json": _json_records,
}


def _refused(display: str, row: int | None, rule: str, vi: str, en: str) -> FileRejected:
    return FileRejected(Problem(display, row, None, None, rule, vi, en))


# How much of a long value a message shows.
VALUE_SHOWN = 40
# C0 control characters other than tab, line feed and carriage return (which quoted cells
# may hold), and DEL: no spreadsheet cell or agreed text holds them; a NUL is the mark of a
# binary file or a truncated write. PostgreSQL's COPY refuses them too.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return chr(0x2421) if code == 0x7F else chr(0x2400 + code)  # ␀ … ␟, ␡


def _shown(value: str) -> str:
    """A value with its control characters drawn (NUL as ␀), cut to VALUE_SHOWN."""
    drawn = CONTROL.sub(_visible, value)
    return drawn if len(drawn) <= VALUE_SHOWN else drawn[:VALUE_SHOWN] + "…"


def _refuse_control(display: str, row: int, header: list[str], record: list[str]) -> FileRejected:
    index = next(i for i, cell in enumerate(record) if CONTROL.search(cell))
    cell = record[index]
    column = header[index] if index < len(header) else f"#{index + 1}"
    found = CONTROL.search(cell)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    return FileRejected(
        Problem(
            display,
            row,
            column,
            _shown(cell),
            "control_character",
            f"Ô chứa ký tự điều khiển vô hình ({code}) — thường do tệp bị hỏng hoặc xuất từ "
            "phần mềm khác. Hãy xoá ký tự đó (gõ lại giá trị) rồi lưu lại tệp.",
            f"The cell holds an invisible control character ({code}) — usually a damaged file "
            "or an export from another program. Delete it (type the value again) and save.",
        )
    )


def _duplicate_headers(header: list[str], contract: SourceContract) -> list[str]:
    """Contract headers that appear more than once: which copy holds the data is unknowable."""
    wanted = {normalise_header(header_of(c)) for c in contract.columns}
    seen: set[str] = set()
    twice = []
    for cell in header:
        name = normalise_header(cell)
        if name in wanted and name in seen and cell not in twice:
            twice.append(cell)
        seen.add(name)
    return twice


def extra_columns(header: list[str], contract: SourceContract) -> list[str]:
    """Named header cells the contract does not know: their values are not read."""
    wanted = {normalise_header(header_of(c)) for c in contract.columns}
    return [cell for cell in header if cell.strip() and normalise_header(cell) not in wanted]


def _extra_columns_note(display: str, row: int, extra: list[str]) -> Problem:
    names = ", ".join(f"'{_shown(cell)}'" for cell in extra[:SHOWN_COLUMNS])
    more = f" (+{len(extra) - SHOWN_COLUMNS})" if len(extra) > SHOWN_COLUMNS else ""
    return Problem(
        display,
        row,
        _shown(extra[0]),
        None,
        "extra_column",
        f"Tệp có cột không có trong mẫu: {names}{more}. Giá trị của các cột này KHÔNG được "
        "đọc. Nếu đó là cột của mẫu bị đổi tên, hãy sửa lại tiêu đề; nếu không, hãy xoá cột.",
        f"The file has column(s) the template does not: {names}{more}. Their values are NOT "
        "read. If one is a template column renamed, restore its header; otherwise delete it.",
    )


SHOWN_COLUMNS = 5
# Excel's own limit (column XFD): a wider header cannot come from a spreadsheet.
MAX_COLUMNS = 16_384


def _bare(cells: list[str]) -> list[str]:
    return [cell.replace("\ufeff", "").strip() for cell in cells]


def _repeats_header(record: list[str], header: list[str]) -> bool:
    """The header again, mid-file (two exports glued together, the second one's
    byte-order mark and all). The first cell carries the BOM: compare from the last."""
    if len(record) != len(header) or record[-1].strip() != header[-1].strip():
        return False
    return _bare(record) == _bare(header)


def _refuse_repeated_header(display: str, row: int, record: list[str]) -> FileRejected:
    return FileRejected(
        Problem(
            display,
            row,
            None,
            _shown(record[0]),
            "repeated_header",
            f"Dòng {row} lặp lại dòng tiêu đề: có vẻ hai tệp đã bị ghép nối vào nhau. Hãy "
            "gửi từng tệp riêng, hoặc xoá dòng tiêu đề thừa (và ký tự BOM đi kèm).",
            f"Row {row} repeats the header: two files seem to have been joined together. Send "
            "each file on its own, or delete the extra header row (and the BOM before it).",
        )
    )


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


def _header_positions(
    header: list[str],
    header_row: int,
    contract: SourceContract,
    display: str,
    notes: list[Problem] | None,
) -> dict[str, int]:
    """``column_positions``, after refusing a header with control characters or a contract
    column twice; columns the contract does not know are noted for the steward."""
    if len(header) > MAX_COLUMNS:
        raise FileRejected(
            Problem(
                display,
                header_row,
                None,
                str(len(header)),
                "too_many_columns",
                f"Dòng tiêu đề có {len(header)} cột, quá giới hạn {MAX_COLUMNS} cột của Excel "
                f"(mẫu có {len(contract.columns)} cột). Hãy dùng đúng mẫu của bộ dữ liệu.",
                f"The header has {len(header)} columns, beyond Excel's limit of {MAX_COLUMNS} "
                f"(the template has {len(contract.columns)}). Use the dataset's template.",
            )
        )
    if CONTROL.search("".join(header)):
        raise _refuse_control(display, header_row, header, header)
    twice = _duplicate_headers(header, contract)
    if twice:
        raise FileRejected(
            Problem(
                display,
                header_row,
                twice[0],
                None,
                "duplicate_column",
                f"Cột '{twice[0]}' xuất hiện nhiều lần trong dòng tiêu đề; không biết cột nào "
                "là đúng. Hãy xoá cột thừa.",
                f"Column '{twice[0]}' appears more than once in the header; which one holds "
                "the data is unknown. Delete the extra column.",
            )
        )
    positions = column_positions(header, header_row, contract, display)
    extra = extra_columns(header, contract)
    if extra and notes is not None:
        notes.append(_extra_columns_note(display, header_row, extra))
    return positions


def read_rows(
    path: Path,
    contract: SourceContract,
    display: str | None = None,
    notes: list[Problem] | None = None,
) -> Iterator[Row]:
    """Yield (source_row, values dict, ragged cells, expected count) for each data row.

    Raises FileRejected for what makes the whole file unreadable; what the steward should
    know about a file that was read (its separator, the sheet read) is added to ``notes``.
    """
    display = display or path.name
    if path.stat().st_size == 0:
        raise _refused(
            display, None, "empty_file", "Tệp rỗng, không có dữ liệu.", "The file is empty."
        )
    records = READERS[contract.source.format](path, contract, display, notes)
    first = next(records, None)
    if not first or not first[1]:
        raise _refused(
            display, 1, "empty_file", "Tệp không có dòng tiêu đề.", "The file has no header row."
        )
    header_row, header = first
    positions = _header_positions(header, header_row, contract, display, notes)
    expected = len(header)
    rows = 0
    for index, record in records:
        if not record or all(not cell.strip() for cell in record):
            continue  # blank line
        if CONTROL.search("".join(record)):
            raise _refuse_control(display, index, header, record)
        if _repeats_header(record, header):
            raise _refuse_repeated_header(display, index, record)
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
