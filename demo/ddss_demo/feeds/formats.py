"""How each department writes its rows: CSV (its delimiter, encoding, a byte-order mark or
not), a spreadsheet with a title above the header, or pages of a JSON API; and the control
totals some send beside a file.

One cell formatter (:func:`cells`) serves all of them. Spreadsheets are written with fixed
document dates and fixed zip member dates, so the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal, Protocol

from ddss.data_contracts import Column, SourceContract

# A row may carry cells beyond its contract's columns (a ragged row): listed under this key.
EXTRA_CELLS = "_extra_cells"

# text: what a CSV holds (dates in the column's format, nothing as ""); json: dates
# formatted, other values as they are; native: every value as it is (a spreadsheet's
# numbers and dates).
CellStyle = Literal["text", "json", "native"]


def cells(row: dict, contract: SourceContract, style: CellStyle = "text") -> list:
    out: list = []
    for column in contract.columns:
        value = row.get(column.name)
        if isinstance(value, date) and style != "native":
            value = value.strftime(column.format or "%d/%m/%Y")
        if style == "text":
            value = "" if value is None else str(value)
        out.append(value)
    return out + list(row.get(EXTRA_CELLS, ()))


class Writer(Protocol):
    lands: bool  # the department drops a file (False: it serves the rows from its API)

    def write(self, path: Path, contract: SourceContract, rows: list[dict]) -> int:
        """Write ``rows`` for ``path``; return the spreadsheet row number of the first one."""
        ...


TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258_text(text: str) -> str:
    """Vietnamese as Windows-1258 writes it: letters with their vowel marks precomposed,
    tone marks as separate combining characters (the code page has no room for more)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(p for p in parts if p in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONE_MARKS))
            out.append(base + tones)
    return "".join(out)


@dataclass
class CsvWriter:
    """Delimiter and encoding from the contract; ``bom``: the sender's tool writes one."""

    bom: bool = False
    lands: bool = True

    def write(self, path: Path, contract: SourceContract, rows: list[dict]) -> int:
        encoding = contract.source.encoding
        if self.bom:
            encoding = "utf-8-sig"
        convert = cp1258_text if encoding == "cp1258" else _unchanged
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=contract.source.delimiter, lineterminator="\r\n")
            writer.writerow([convert(_header(c)) for c in contract.columns])
            writer.writerows([convert(v) for v in cells(r, contract)] for r in rows)
        return 2


def _unchanged(text: str) -> str:
    return text


def _header(column: Column) -> str:
    return column.header or column.name


# Zip member dates cannot be before 1980; a spreadsheet's own dates say when it was made.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass
class XlsxWriter:
    """As a department's spreadsheet looks: a title, a subtitle (``{period}``: the period
    in the file name), a blank row, then the header."""

    sheet: str
    title: str
    subtitle: str
    made: datetime  # the document's created and modified dates
    style: CellStyle = "text"
    lands: bool = True

    def write(self, path: Path, contract: SourceContract, rows: list[dict]) -> int:
        from openpyxl import Workbook
        from openpyxl.writer.excel import ExcelWriter

        workbook = Workbook(write_only=True)
        workbook.properties.created = workbook.properties.modified = self.made
        sheet = workbook.create_sheet(self.sheet)
        period = path.stem.rsplit("_", 1)[-1]
        sheet.append([self.title])
        sheet.append([self.subtitle.format(period=period)])
        sheet.append([])
        sheet.append([_header(c) for c in contract.columns])
        for row in rows:
            sheet.append(cells(row, contract, self.style))
        # ExcelWriter rather than Workbook.save, which stamps the modified date with now().
        buffer = io.BytesIO()
        ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
        path.write_bytes(_fixed_zip_dates(buffer.getvalue()))
        return 5


def _fixed_zip_dates(archive: bytes) -> bytes:
    """The same archive with every member dated ``ZIP_DATE`` (openpyxl dates them now)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info))
    return out.getvalue()


@dataclass
class JsonApiWriter:
    """The department serves its records from an API: each file becomes the page set of
    ``<endpoint>/<period>.json`` (fields by header, empty values left out), collected in
    ``pages`` and written under ``_http/`` once every dataset is made."""

    pages: dict[str, list[dict]] = field(default_factory=dict)
    lands: bool = False

    def write(self, path: Path, contract: SourceContract, rows: list[dict]) -> int:
        period = path.name.rsplit("_", 1)[1].removesuffix(".json")
        self.pages[f"{contract.source.endpoint}/{period}.json"] = [
            {
                _header(c): v
                for c, v in zip(contract.columns, cells(r, contract, "json"), strict=False)
                if v is not None
            }
            for r in rows
        ]
        return 2

    def save(self, root: Path) -> list[Path]:
        written = []
        for relative, records in self.pages.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
            written.append(path)
        return written


def write_control_totals(path: Path, contract: SourceContract, rows: Iterable[dict]) -> Path:
    """``<stem><control suffix>`` beside ``path``: the row count and the sums of the
    contract's control columns, as the sender's own tool adds them (skipping what is not a
    number)."""
    rows = list(rows)
    sums = {}
    for column in contract.source.control_sums:
        total = 0
        for row in rows:
            try:
                total += int(str(row.get(column)))
            except ValueError:
                pass
        sums[column] = str(total)
    control = path.parent / f"{path.stem}{contract.source.control_suffix}"
    control.write_text(
        json.dumps(
            {"file": path.name, "row_count": len(rows), "sums": sums}, ensure_ascii=False, indent=1
        ),
        "utf-8",
    )
    return control
