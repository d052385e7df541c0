"""The personal-data scanner: nothing that looks like a citizen's data leaves the warehouse.

Runs on every file of a publication before ``latest`` moves; any hit blocks the publication.

Every published byte is read once, in fixed-size chunks (a match across a chunk border is
found whole: each chunk is scanned with the end of the previous one before it), never a
whole file in memory. The search is done on bytes with C-speed primitives (a translation
table and ``bytes.find`` for runs of digits, ``find`` for ``@``, one compiled pattern of
family names); only the few candidates are checked by the rules below. Parquet files are
read as rows by DuckDB as well (their bytes are compressed): every column, as text. The
values seen in the raw zone (IDs, phone numbers) are matched against every run of digits
of every file with a DuckDB join, never a Python set of them.

A file whose exact bytes were scanned before, by this very scanner, is not scanned again
(``ScanCache``): a publication links the unchanged datasets' files from the previous version,
and re-reading them costs most of a publication at scale (8 of 17 s at scale 10). Its
sha256 (read in this publication) and the scanner's own source name an entry holding the
runs of digits that scan found, which are joined with today's raw-zone values like any
other file's; only files in which the rules found nothing are kept, so a file with a hit
is always scanned again and reported.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

log = logging.getLogger(__name__)

# Citizen ID (CCCD): 12 digits starting with a 0-prefixed province code.
CITIZEN_ID = re.compile(r"0\d{2}[0-3]\d{8}")
# Vietnamese mobile numbers: 0 or +84/84, then a 3/5/7/8/9 prefix and 8 digits.
PHONE = re.compile(r"(?:\+84|84|0)[35789]\d{8}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
EMAIL_BYTES = re.compile(EMAIL.pattern.encode())
# Runs of 8+ digits (with an optional +); each is then checked whole.
DIGITS = re.compile(r"\+?\d{8,}")
EDGE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
EDGE_BYTES = frozenset(c.encode()[0] for c in EDGE)
# Personal names in free text: a common family name followed by one to three capitalised
# syllables ("Nguyễn Văn An"), unless a place word comes just before ("đường Lê Duẩn").
# Ambiguous family names that start common place names (Hà Nội, Hà Giang) are left out.
FAMILY_NAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh "
    "Đoàn Lâm Mai Trương Tạ Lưu Cao Lương Chu Nông Triệu Quách Vương Thái Lò Hứa Tô"
).split()
NAME_CANDIDATE = re.compile(r"(?<!\w)(" + "|".join(FAMILY_NAMES) + r")((?:[ \t]+\w+){1,3})")
# The bytes a name candidate starts with: a family name and a blank (a superset, checked
# then with NAME_CANDIDATE on the decoded text around it).
NAME_START = re.compile(("(?:" + "|".join(FAMILY_NAMES) + ")[ \t]").encode())
PLACE_WORDS = {
    "phố",
    "đường",
    "phường",
    "xã",
    "quận",
    "huyện",
    "tỉnh",
    "thị",
    "trấn",
    "trường",
    "viện",
    "cầu",
    "chợ",
    "ngõ",
    "ngách",
    "hẻm",
    "số",
    "sông",
    "hồ",
    "núi",
    "đền",
    "chùa",
    "street",
    "road",
    "ward",
    "district",
}
# Names are looked for in the data (downloads, where free text is); pages and metadata
# quote agencies and places, which the name rule would take for people.
SCAN_NAMES_IN = {".csv", ".json", ".parquet"}
MAX_HITS = 1000  # per file: enough to block and to show; do not drown the log

CHUNK = 4 << 20  # bytes read at a time
# A match is reported by the chunk it starts in. What a check reads around a match:
# before it at most LOOKBACK bytes (the character before a number, the place word before a
# name: 24 characters), after its start at most TAIL bytes (an e-mail window, a name's
# syllables). Matches starting in the last TAIL bytes of a chunk wait for the next one,
# which begins with the previous chunk's last LOOKBACK + TAIL bytes.
LOOKBACK = 128
TAIL = 1024
# Digits to "0", everything else to " ": runs of digits are then found with bytes.find.
_DIGIT_TABLE = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_RUN = b"0" * 8
# In DuckDB (RE2, no look-around): the values the rules above could flag, a superset checked
# then in Python: a citizen ID or phone number between two characters outside EDGE (or the
# ends), an @, a family name and a blank. And the runs of digits of a value.
_NOT_EDGE = "[^A-Za-z0-9_./-]"
CANDIDATE_SQL = (
    f"(^|{_NOT_EDGE})(0[0-9]{{2}}[0-3][0-9]{{8}}|(\\+84|84|0)[35789][0-9]{{8}})($|{_NOT_EDGE})"
    "|@|(" + "|".join(FAMILY_NAMES) + ")[ \t]"
)
DIGIT_RUNS_SQL = "\\+?[0-9]{8,}"
# The values worth a second look: a run of digits, an @, a family name and a blank.
PREFILTER_SQL = "[0-9]{8}|@|(" + "|".join(FAMILY_NAMES) + ")[ \t]"


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    kind: str
    excerpt: str  # masked: the value itself never goes to a log

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: có thể là dữ liệu cá nhân ({self.kind}) / "
            f"possible personal data ({self.kind}): {self.excerpt}"
        )


def _bounded_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB under the workspace's memory bound (DDSS_DUCKDB_MEMORY_LIMIT)."""
    from ddss.settings import duckdb_memory_limit

    return duckdb.connect(config={"memory_limit": duckdb_memory_limit()})


def _masked(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:]


class _Lines:
    """Line numbers of increasing positions in a window, counted once."""

    def __init__(self, data: bytes, first_line: int):
        self.data, self.first_line = data, first_line
        self.position, self.line = 0, first_line

    def at(self, position: int) -> int:
        if position < self.position:
            self.position, self.line = 0, self.first_line
        self.line += self.data.count(b"\n", self.position, position)
        self.position = position
        return self.line


def _capitalised(words: list[str]) -> list[str]:
    """The leading words that start with a capital: the rest of a name."""
    taken = []
    for word in words:
        if not word[0].isupper():
            break
        taken.append(word)
    return taken


def _after_place_word(text: str, start: int) -> bool:
    """The word just before ``start``, whatever separates it (a space, or a CSV comma), is
    a place word: "đường Lê Duẩn" is a street, not a person."""
    before = [w for w in re.split(r"[\s,;\"'(]+", text[max(0, start - 24) : start]) if w]
    return bool(before) and before[-1].casefold() in PLACE_WORDS


@dataclass
class _Window:
    """Bytes to scan; only matches starting in [start, stop) are this window's."""

    data: bytes
    start: int
    stop: int
    first_line: int  # the line number of data[0]


def _digit_runs(window: _Window) -> Iterator[tuple[int, int]]:
    """(begin, end) of each run of 8+ digits (with the + before it) starting in the window."""
    data, mapped = window.data, window.data.translate(_DIGIT_TABLE)
    position = mapped.find(_RUN, window.start)
    while position != -1 and position < window.stop:
        end = mapped.find(b" ", position)
        end = len(data) if end == -1 else end
        begin = position - 1 if position > 0 and data[position - 1] == 0x2B else position
        # A run that began before the window's start was the previous window's.
        if (position == 0 or mapped[position - 1] != 0x30) and begin >= window.start:
            yield begin, end
        position = mapped.find(_RUN, end)


def _scan_window(
    window: _Window, file: str, names: bool, tokens: list[tuple[str, int]] | None
) -> list[Hit]:
    """Citizen IDs and phones standing alone, e-mails and (``names``) personal names, and
    every run of digits into ``tokens`` (value, line) for the raw-values join."""
    data, lines = window.data, _Lines(window.data, window.first_line)
    hits: list[Hit] = []
    for begin, end in _digit_runs(window):
        value = data[begin:end].decode("ascii")
        if tokens is not None:
            tokens.append((value, lines.at(begin)))
        before = data[begin - 1] if begin > 0 else 0x20
        after = data[end] if end < len(data) else 0x20
        if before in EDGE_BYTES or after in EDGE_BYTES:
            continue  # inside a code or a checksum
        kind = "citizen_id" if CITIZEN_ID.fullmatch(value) else None
        kind = kind or ("phone" if PHONE.fullmatch(value) else None)
        if kind:
            hits.append(Hit(file, lines.at(begin), kind, _masked(value)))
            if len(hits) >= MAX_HITS:
                return hits
    if names:
        hits += _name_hits(window, file, lines)
    position = data.find(b"@", window.start, window.stop)
    while position != -1 and len(hits) < MAX_HITS:
        offset = max(0, position - 64)
        for found in EMAIL_BYTES.finditer(data, offset, position + 256):
            if found.start() <= position < found.end():
                email = found.group(0).decode("ascii")
                hits.append(Hit(file, lines.at(position), "email", _masked(email)))
                break
        position = data.find(b"@", position + 1, window.stop)
    return hits


def _name_hits(window: _Window, file: str, lines: _Lines) -> list[Hit]:
    data, hits, consumed = window.data, [], window.start
    for candidate in NAME_START.finditer(data, window.start):
        start = candidate.start()
        if start >= window.stop:
            break
        if start < consumed:
            continue  # a syllable of the name just taken ("Trần Lê Văn")
        left = data[max(0, start - LOOKBACK) : start].decode("utf-8", "ignore")
        text = left + data[start : start + TAIL].decode("utf-8", "ignore")
        match = NAME_CANDIDATE.match(text, len(left))
        if not match:
            continue
        consumed = start + len(match.group(0).encode())
        words = _capitalised(match.group(2).split())
        if not words or _after_place_word(text, len(left)):
            continue
        name = " ".join([match.group(1), *words])
        hits.append(Hit(file, lines.at(start), "personal_name", _masked(name)))
    return hits


def _windows(chunks: Iterable[bytes]) -> Iterator[_Window]:
    """Chunks as overlapping windows: each begins with the previous one's last
    LOOKBACK + TAIL bytes and owns the matches that start where the previous one's end."""
    previous: _Window | None = None
    for chunk in chunks:
        if not chunk:
            continue
        if previous is None:
            window = _Window(chunk, 0, 0, 1)
        else:
            yield previous
            cut = max(0, len(previous.data) - (LOOKBACK + TAIL))
            window = _Window(
                previous.data[cut:] + chunk,
                previous.stop - cut,
                0,
                previous.first_line + previous.data.count(b"\n", 0, cut),
            )
        window.stop = max(window.start, len(window.data) - TAIL)
        previous = window
    if previous is not None:
        previous.stop = len(previous.data)  # the last window owns everything to its end
        yield previous


def scan_bytes(
    chunks: Iterable[bytes],
    file: str,
    names: bool = True,
    tokens: list[tuple[str, int]] | None = None,
) -> list[Hit]:
    """Scan a file given as chunks of bytes (any size; a match may span two)."""
    hits: list[Hit] = []
    for window in _windows(chunks):
        hits += _scan_window(window, file, names, tokens)
        if len(hits) >= MAX_HITS:
            break
    return hits[:MAX_HITS]


def scan_text(text: str, file: str, known: set[str] | None = None, names: bool = True) -> list[Hit]:
    tokens: list[tuple[str, int]] = []
    hits = scan_bytes([text.encode("utf-8")], file, names, tokens)
    found = [
        Hit(file, line, "known_personal_value", _masked(value))
        for value, line in tokens
        if known and value in known
    ]
    return found + hits


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class Scanner:
    """One scan of many files. The raw zone's personal values are a DuckDB table (from
    ``known_sql``, a query on ``con``, or from ``known``), joined with every run of digits
    found in the files."""

    TOKEN_BATCH = 100_000

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None = None,
        known_sql: str | None = None,
        known: Iterable[str] | None = None,
    ):
        self.con = con if con is not None else _bounded_connection()
        self._pending_files: list[str] = []
        self._pending_lines: list[int] = []
        self._pending_tokens: list[str] = []
        self.con.execute(
            "create or replace temp table ddss_scan_tokens "
            "(file varchar, line bigint, token varchar)"
        )
        if known_sql is not None:
            self.con.execute(f"create or replace temp table ddss_scan_known as {known_sql}")
        else:
            values = pa.table({"value": pa.array(sorted(set(known or ())), pa.string())})
            self.con.register("ddss_scan_known_values", values)
            self.con.execute(
                "create or replace temp table ddss_scan_known as "
                "select value from ddss_scan_known_values"
            )
            self.con.unregister("ddss_scan_known_values")

    def _store(self, file: str, tokens: list[tuple[str, int]]) -> None:
        """Queue a file's runs of digits; they go to DuckDB in batches of ``TOKEN_BATCH``
        across files (one insert per small file cost more than its scan)."""
        self._pending_files += [file] * len(tokens)
        self._pending_lines += [line for _, line in tokens]
        self._pending_tokens += [value for value, _ in tokens]
        tokens.clear()
        if len(self._pending_tokens) >= self.TOKEN_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending_tokens:
            return
        batch = pa.table(
            {
                "file": pa.array(self._pending_files, pa.string()),
                "line": pa.array(self._pending_lines, pa.int64()),
                "token": pa.array(self._pending_tokens, pa.string()),
            }
        )
        self.con.register("ddss_scan_batch", batch)
        self.con.execute("insert into ddss_scan_tokens select * from ddss_scan_batch")
        self.con.unregister("ddss_scan_batch")
        self._pending_files, self._pending_lines, self._pending_tokens = [], [], []

    def scan_file(self, path: Path, file: str) -> list[Hit]:
        """Every byte of the file; a Parquet file as what it holds (its bytes are
        compressed): every value of every row, its column names and its metadata."""
        if path.suffix == ".parquet":
            return self.scan_parquet(path, file)
        names = path.suffix in SCAN_NAMES_IN
        hits: list[Hit] = []
        tokens: list[tuple[str, int]] = []
        for window in _windows(_read_chunks(path)):
            if len(hits) < MAX_HITS:
                hits += _scan_window(window, file, names, tokens)
            if len(tokens) >= self.TOKEN_BATCH:
                self._store(file, tokens)
        self._store(file, tokens)
        return hits[:MAX_HITS]

    def scan_parquet(self, path: Path, file: str) -> list[Hit]:
        """Every column of every row as text, in DuckDB: the few values the rules could
        flag (CANDIDATE_SQL) are checked by them, every run of digits goes to the raw-values
        join. ``line`` is the row number (first row = 1); the column names and key-value
        metadata are scanned as text (line 0)."""
        literal = "'" + str(path).replace("'", "''") + "'"
        source = f"read_parquet({literal}, file_row_number = true)"
        columns = [
            name
            for (name,) in self.con.execute(
                f"select name from parquet_schema({literal})"
            ).fetchall()
        ]
        metadata = self.con.execute(
            "select coalesce(string_agg(decode(key) || ' ' || decode(value), chr(10)), '') "
            f"from parquet_kv_metadata({literal})"
        ).fetchall()[0][0]
        tokens: list[tuple[str, int]] = []
        hits = [
            Hit(file, 0, h.kind, h.excerpt)
            for h in scan_bytes(
                [("\n".join(columns) + "\n" + metadata).encode()], file, True, tokens
            )
        ]
        self._store(file, [(value, 0) for value, _ in tokens])
        data_columns = [
            r[0]
            for r in self.con.execute(
                f"describe select * exclude (file_row_number) from {source}"
            ).fetchall()
        ]
        as_text = ", ".join('cast("' + c.replace('"', '""') + '" as varchar)' for c in data_columns)
        # One pass over the file: every value of a row as text, beside the row's number.
        self.con.execute(
            "create or replace temp table ddss_scan_values as "
            f"select line, value from (select file_row_number + 1 as line, unnest([{as_text}]) "
            f"as value from {source}) where regexp_matches(value, ?)",
            [PREFILTER_SQL],
        )
        self.con.execute(
            "insert into ddss_scan_tokens "
            f"select ?, line, unnest(regexp_extract_all(value, '{DIGIT_RUNS_SQL}')) "
            "from ddss_scan_values where regexp_matches(value, '[0-9]{8}')",
            [file],
        )
        cursor = self.con.execute(
            "select line, value from ddss_scan_values where regexp_matches(value, ?) order by line",
            [CANDIDATE_SQL],
        )
        while batch := cursor.fetchmany(10_000):
            for line, value in batch:
                hits += [Hit(file, line, h.kind, h.excerpt) for h in scan_text(value, file)]
            if len(hits) >= MAX_HITS:
                break
        self.con.execute("drop table ddss_scan_values")
        return hits[:MAX_HITS]

    def known_hits(self) -> list[Hit]:
        """Runs of digits equal to a value seen in the raw zone, whole tokens only."""
        self._flush()
        rows = self.con.execute(
            "select file, line, token from ddss_scan_tokens "
            "where token in (select value from ddss_scan_known) "
            f"order by file, line limit {MAX_HITS * 10}"
        ).fetchall()
        return [
            Hit(file, line, "known_personal_value", _masked(token)) for file, line, token in rows
        ]

    def close(self) -> None:
        for table in ("ddss_scan_tokens", "ddss_scan_known"):
            self.con.execute(f"drop table if exists {table}")


class ScanCache:
    """What the scan of a file's exact bytes found (its runs of digits, with their lines),
    kept in ``folder`` (the workspace's cache, never public/) as one Parquet file per
    (scanner source, DuckDB version, file kind, sha256 of the bytes). ``digest`` gives the
    file's sha256, read in this publication (``ddss.publish.digests``)."""

    ENTRIES = 20_000  # beyond it the least recently used entries are removed

    def __init__(self, folder: Path, digest: Callable[[Path], str]):
        self.folder = folder
        self.digest = digest
        self.reused: list[str] = []  # the files whose scan was taken from the cache
        self.identity = self.scanner_identity()

    @staticmethod
    def scanner_identity() -> str:
        """This module's source and the DuckDB that reads Parquet as text: a change to
        either is a new scanner, whose cache starts empty."""
        source = Path(__file__).read_bytes()
        return hashlib.sha256(source + duckdb.__version__.encode()).hexdigest()[:16]

    def entry(self, path: Path) -> Path:
        kind = path.suffix.lstrip(".") or "none"
        return self.folder / f"{self.identity}-{kind}-{self.digest(path)}.parquet"

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, file: str) -> bool:
        """The file's runs of digits from the cache into the scan's table (False: none kept)."""
        entry = self.entry(path)
        if not entry.is_file():
            return False
        try:
            con.execute(
                "insert into ddss_scan_tokens select ?, line, token from read_parquet(?)",
                [file, str(entry)],
            )
        except duckdb.Error as error:  # a damaged entry: the file is scanned again
            log.info("scan cache entry %s unreadable, scanning again: %s", entry, error)
            return False
        try:
            os.utime(entry)  # recently used: kept when the cache is trimmed
        except OSError:
            pass
        self.reused.append(file)
        return True

    def keep(self, con: duckdb.DuckDBPyConnection, path: Path, file: str) -> None:
        """Write the file's runs of digits, as this scan found them, atomically."""
        entry = self.entry(path)
        partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy (select line, token from ddss_scan_tokens where file = $file "
                f"order by line, token) to {_sql_literal(partial)} (format parquet)",
                {"file": file},
            )
            os.replace(partial, entry)
        except (OSError, duckdb.Error) as error:  # a read-only home scans every time
            log.info("could not keep the scan of %s in %s: %s", file, self.folder, error)
            partial.unlink(missing_ok=True)

    def trim(self) -> None:
        try:
            entries = list(self.folder.glob("*.parquet"))
            if len(entries) > self.ENTRIES:
                entries.sort(key=lambda p: p.stat().st_mtime_ns)
                for old in entries[: len(entries) - self.ENTRIES]:
                    old.unlink(missing_ok=True)
        except OSError:
            pass


def _sql_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def scan_tree(
    root: Path,
    known: set[str] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    known_sql: str | None = None,
    cache: ScanCache | None = None,
) -> list[Hit]:
    """Scan every file under ``root``, every byte, Parquet also row by row. The personal
    values seen in raw data come from ``known`` or, in a publication, from ``known_sql``
    (a query on ``con`` with one column, ``value``). With ``cache``, a file whose bytes this
    scanner already found clean is not scanned again: its runs of digits come from the cache
    and are joined with the raw-zone values like every other file's."""
    scanner = Scanner(con, known_sql, known)
    try:
        hits: list[Hit] = []
        clean: list[tuple[Path, str]] = []  # scanned here and without a hit: to keep
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            file = str(path.relative_to(root))
            if cache is not None and cache.load(scanner.con, path, file):
                continue
            found = scanner.scan_file(path, file)
            hits += found
            if not found:
                clean.append((path, file))
        if cache is not None:
            scanner._flush()
            for path, file in clean:
                cache.keep(scanner.con, path, file)
            cache.trim()
        return scanner.known_hits() + hits
    finally:
        scanner.close()
