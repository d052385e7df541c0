"""Is a landing file complete? A file still being written must not be taken: it would be
archived and loaded cut short (a row with half its value), and published.

A file is deferred — reported to the steward, neither archived nor rejected, and looked at
again by the next run — when

* its size or modification time changes across a short interval (``DDSS_LANDING_SETTLE_SECONDS``,
  default 0.2 s), or it was modified less than ``DDSS_LANDING_QUIET_SECONDS`` ago (default 0:
  off; set it to a minute where departments upload over slow links), or
* it ends mid-row: a CSV without its final newline whose last line is short of the header's
  columns (or inside quotes), a JSON file cut before its closing bracket, a workbook whose
  zip directory was not written yet.

Departments' tools that write under a temporary name and rename when done are never
caught half-way (files whose names start with ``.`` are not read).
"""

from __future__ import annotations

import csv
import logging
import time
import zipfile
from pathlib import Path

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.limits import env_number
from ddss.ingest.readers import csv_layout
from ddss.settings import Settings

log = logging.getLogger(__name__)
TAIL_BYTES = 1 << 16


def fetch_http_sources(contracts: list[SourceContract], cfg: Settings) -> list[Problem]:
    """Fetch every HTTP source into its landing folder; what failed, as problems."""
    from ddss.ingest.http_source import fetch

    problems = []
    for contract in contracts:
        if contract.source.kind != "http":
            continue
        try:
            fetch(contract, cfg)
        except FileRejected as exc:
            problems.append(exc.problem)
            log.error("%s", exc)
    return problems


def settle_seconds() -> float:
    return env_number("DDSS_LANDING_SETTLE_SECONDS", 0.2)


def quiet_seconds() -> float:
    return env_number("DDSS_LANDING_QUIET_SECONDS", 0.0)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _deferred(path: Path, rule: str, vi: str, en: str, row: int | None = None) -> Problem:
    return Problem(
        path.name,
        row,
        None,
        None,
        rule,
        f"{vi} Tệp chưa được nhận; lần chạy sau sẽ nhận khi tệp đã hoàn chỉnh.",
        f"{en} The file was not taken; the next run takes it once it is complete.",
    )


def still_changing(
    paths: list[Path], fetched: frozenset[Path] = frozenset()
) -> dict[Path, Problem]:
    """The files being written now: changed across the settle interval, or too recent
    (except ``fetched`` files, which this process wrote itself, whole, by one rename)."""
    before = {path: _signature(path) for path in paths}
    interval = settle_seconds()
    if paths and interval:
        time.sleep(interval)
    quiet = quiet_seconds()
    now_ns = time.time_ns()
    changing = {}
    for path in paths:
        after = _signature(path)
        if after is None:
            continue  # taken back by the department: nothing to defer
        earlier = before[path]
        if after != earlier:
            was = earlier[0] if earlier else 0
            changing[path] = _deferred(
                path,
                "file_changing",
                f"Tệp đang được ghi (kích thước đổi từ {was} thành {after[0]} byte trong "
                f"{interval:g} giây).",
                f"The file is still being written (its size went from {was} to {after[0]} bytes "
                f"in {interval:g} s).",
            )
        elif quiet and path not in fetched and now_ns - after[1] < quiet * 1e9:
            changing[path] = _deferred(
                path,
                "file_changing",
                f"Tệp vừa được sửa đổi (chưa đủ {quiet:g} giây).",
                f"The file was modified less than {quiet:g} s ago.",
            )
    return changing


def _tail(path: Path, size: int, encoding: str) -> str:
    start = max(0, size - TAIL_BYTES)
    if encoding == "utf-16":
        start = max(2, start + (start % 2))  # whole UTF-16 code units, after the BOM
    with path.open("rb") as handle:
        bom = handle.read(2)
        handle.seek(start)
        data = handle.read()
    if encoding == "utf-16":
        encoding = "utf-16-be" if bom == b"\xfe\xff" else "utf-16-le"
    return data.decode(encoding, errors="replace")


def _lines(path: Path) -> int:
    count = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _ends_with_newline(path: Path, size: int) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(0, size - 2))
        end = handle.read()
    return end.rstrip(b"\x00").endswith((b"\n", b"\r"))  # UTF-16 too: "\n\0" or "\0\n"


def _csv_cut(path: Path, contract: SourceContract) -> Problem | None:
    size = path.stat().st_size
    if _ends_with_newline(path, size):
        return None  # the usual case, decided without reading the file
    try:
        layout = csv_layout(path, contract, path.name)
    except FileRejected:
        return None  # unreadable, not unfinished: the loader rejects it with its message
    text = _tail(path, size, layout.encoding)
    if not text or text.endswith(("\n", "\r")):
        return None
    last = text.rsplit("\n", 1)[-1]
    cells = next(csv.reader([last], delimiter=layout.delimiter), [])
    inside_quotes = last.count('"') % 2 == 1
    if len(cells) >= layout.header_cells and not inside_quotes:
        return None  # a whole last row without a newline: some tools write files so
    line = _lines(path)
    return _deferred(
        path,
        "file_incomplete",
        f"Tệp dừng giữa dòng {line}: dòng cuối có {len(cells)}/{layout.header_cells} cột và "
        "không có ký tự xuống dòng (tệp có thể đang được ghi dở).",
        f"The file stops inside line {line}: its last line has {len(cells)} of "
        f"{layout.header_cells} columns and no newline (it may still be being written).",
        row=line,
    )


def _json_cut(path: Path) -> Problem | None:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 64))
        end = handle.read().rstrip()
    if not end or end.endswith((b"}", b"]")):
        return None
    return _deferred(
        path,
        "file_incomplete",
        "Tệp JSON dừng trước dấu đóng '}' hoặc ']' (có thể đang được ghi dở).",
        "The JSON file stops before its closing '}' or ']' (it may still be being written).",
    )


def _xlsx_cut(path: Path) -> Problem | None:
    with path.open("rb") as handle:
        head = handle.read(4)
    # A zip being written has its local headers but not yet its central directory at the end.
    if head != b"PK\x03\x04" or zipfile.is_zipfile(path):
        return None
    return _deferred(
        path,
        "file_incomplete",
        "Bảng tính Excel chưa được ghi xong (thiếu phần mục lục ở cuối tệp).",
        "The Excel workbook is not fully written (its zip directory at the end is missing).",
    )


def cut_short(path: Path, contract: SourceContract, control: bool = False) -> Problem | None:
    """Why ``path`` looks unfinished (ends mid-row), or None when it looks whole."""
    if path.stat().st_size == 0:
        return None  # an empty file is rejected as such if it stays empty (the settle check)
    if control or contract.source.format == "json":
        return _json_cut(path)
    if contract.source.format == "xlsx":
        return _xlsx_cut(path)
    return _csv_cut(path, contract)
