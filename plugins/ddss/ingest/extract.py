"""Extract: landing folder → immutable, checksummed raw archive → DuckDB ``raw`` tables.

* Every accepted file is copied to ``raw/<department>/<dataset>/<sha256>__<name>``, made
  read-only, checked against its sha256 and recorded in ``raw/manifest.jsonl``.
* A file whose content was archived before is recognised by its sha256 and not loaded twice.
* A file is loaded with its name and spreadsheet row number (header = 1) on every row, all
  values as text, exactly as sent; typing and cleaning happen in dbt staging.
* A new version of a file name (a corrected monthly file) replaces that file's rows: the
  partition is (dataset, file name). Earlier versions stay in the archive.
* A file that cannot be read (encoding, missing columns, empty, too large) is rejected
  with a message naming the file, row, column and value; its raw copy is kept and nothing
  already loaded is touched. Ragged rows are kept in ``raw.load_rejects`` for the steward.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import shutil
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ddss.checksums import sha256_of
from ddss.data_contracts import SourceContract, source_contracts
from ddss.errors import FileRejected, Problem
from ddss.reference.wards import load_reference_tables
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect

log = logging.getLogger(__name__)
BATCH_ROWS = 100_000
CHUNK = 1 << 20


@dataclass
class ArchivedFile:
    dataset: str
    department: str
    file_name: str
    sha256: str
    bytes: int
    raw_path: str
    landing_path: str
    status: str  # archived | duplicate
    archived_at: str = ""
    # When the department dropped the file (its modification time in the landing folder):
    # sống judges whether each period arrived before its deadline from this.
    arrived_at: str = ""


@dataclass
class ExtractReport:
    run_id: str
    archived: list[ArchivedFile] = field(default_factory=list)
    duplicates: list[ArchivedFile] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)  # file name -> rows
    rejected: list[Problem] = field(default_factory=list)
    ragged_rows: int = 0
    controls: list[ArchivedFile] = field(default_factory=list)  # control-totals files

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "archived": [asdict(a) for a in self.archived],
            "duplicates": [asdict(a) for a in self.duplicates],
            "loaded": self.loaded,
            "rejected": [p.as_dict() for p in self.rejected],
            "ragged_rows": self.ragged_rows,
        }


def _manifest_path(cfg: Settings) -> Path:
    return cfg.raw_dir / "manifest.jsonl"


def read_manifest(cfg: Settings) -> list[dict]:
    path = _manifest_path(cfg)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _append_manifest(cfg: Settings, entry: ArchivedFile) -> None:
    path = _manifest_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def contract_for(
    file_name: str, department_folder: str, contracts: list[SourceContract]
) -> SourceContract | None:
    for contract in contracts:
        if contract.department.landing_folder == department_folder and contract.source.matches(
            file_name
        ):
            return contract
    return None


def control_for(
    file_name: str, department_folder: str, contracts: list[SourceContract]
) -> SourceContract | None:
    """The contract whose control-totals file this is: ``<data file stem><suffix>``."""
    for contract in contracts:
        if contract.department.landing_folder == department_folder and contract.source.data_file_for(
            file_name
        ):
            return contract
    return None


def data_file_for_control(control_name: str, contract: SourceContract) -> str:
    data_file = contract.source.data_file_for(control_name)
    if data_file is None:
        raise ValueError(f"{control_name} is not a control-totals file of {contract.id}")
    return data_file


def archive_file(path: Path, contract: SourceContract, cfg: Settings, known: set[str]) -> ArchivedFile:
    """Copy one landing file into the raw archive (or recognise it as already there)."""
    if not _inside(path, cfg.landing_dir):
        raise FileRejected(
            Problem(
                str(path),
                None,
                None,
                None,
                "outside_landing",
                "Tệp nằm ngoài thư mục tiếp nhận, không được xử lý.",
                "The path is outside the landing folder and is refused.",
            )
        )
    size = path.stat().st_size
    if size > cfg.max_file_bytes:
        raise FileRejected(
            Problem(
                path.name,
                None,
                None,
                str(size),
                "file_too_large",
                f"Tệp quá lớn ({size} byte, tối đa {cfg.max_file_bytes}). Hãy chia tệp theo tháng.",
                f"File too large ({size} bytes, limit {cfg.max_file_bytes}). Split it by month.",
            )
        )
    digest = sha256_of(path)
    target_dir = cfg.raw_dir / contract.department.id / contract.id
    target = target_dir / f"{digest}__{path.name}"
    entry = ArchivedFile(
        dataset=contract.id,
        department=contract.department.id,
        file_name=path.name,
        sha256=digest,
        bytes=size,
        raw_path=str(target.relative_to(cfg.raw_dir)),
        landing_path=str(path.relative_to(cfg.landing_dir)),
        status="archived",
        archived_at=datetime.now(UTC).isoformat(timespec="seconds"),
        arrived_at=datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds"),
    )
    if digest in known:
        entry.status = "duplicate"
        return entry
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(path, partial)
    if sha256_of(partial) != digest:  # the file changed while we copied it
        partial.unlink()
        raise FileRejected(
            Problem(
                path.name,
                None,
                None,
                None,
                "changed_while_copying",
                "Tệp thay đổi trong khi sao chép; sẽ thử lại ở lần chạy sau.",
                "The file changed while it was being copied; it will be retried next run.",
            )
        )
    os.chmod(partial, 0o444)
    os.replace(partial, target)
    _append_manifest(cfg, entry)
    known.add(digest)
    return entry


def archive_landing(cfg: Settings, report: ExtractReport, contracts: list[SourceContract]) -> None:
    known = {e["sha256"] for e in read_manifest(cfg)}
    folders = sorted({c.department.landing_folder for c in contracts})
    for folder in folders:
        base = cfg.landing_dir / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            contract = contract_for(path.name, folder, contracts)
            control = None if contract else control_for(path.name, folder, contracts)
            if control is not None:
                try:
                    entry = archive_file(path, control, cfg, known)
                except FileRejected as exc:
                    report.rejected.append(exc.problem)
                    continue
                report.controls.append(entry)
                continue
            if contract is None:
                log.warning("landing file %s matches no dataset contract; left in place", path)
                continue
            try:
                entry = archive_file(path, contract, cfg, known)
            except FileRejected as exc:
                report.rejected.append(exc.problem)
                log.error("%s", exc)
                continue
            (report.duplicates if entry.status == "duplicate" else report.archived).append(entry)


def _normalise_header(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


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


def _csv_records(path: Path, contract: SourceContract, display: str):
    """(spreadsheet row number, cells) of a CSV file, header first."""
    encoding = _check_encoding(path, contract.source.encoding, display)
    with path.open("r", encoding=encoding, newline="") as handle:
        yield from enumerate(csv.reader(handle, delimiter=contract.source.delimiter), start=1)


def _cell_text(value, column_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(column_format or "%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(path: Path, contract: SourceContract, display: str):
    """(Excel row number, cells) of the first sheet. Departments put a title (and blank
    rows) above the header: the header is the first row naming most contract columns."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
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
    wanted = {_normalise_header(c.header) for c in contract.columns}
    formats = {}
    header_at = None
    try:
        for number, values in enumerate(
            workbook.worksheets[0].iter_rows(values_only=True), start=1
        ):
            cells = list(values)
            while cells and cells[-1] is None:
                cells.pop()
            if header_at is None:
                names = [_normalise_header(str(c)) for c in cells if c is not None]
                if names and len(wanted & set(names)) * 2 >= len(wanted):
                    header_at = number
                    by_header = {_normalise_header(c.header): c for c in contract.columns}
                    formats = {
                        i: getattr(by_header.get(n), "format", None)
                        for i, n in enumerate(
                            _normalise_header(str(c)) if c is not None else "" for c in cells
                        )
                    }
                    yield number, [str(c) if c is not None else "" for c in cells]
                elif number >= 20:
                    break
                continue
            yield number, [_cell_text(v, formats.get(i)) for i, v in enumerate(cells)]
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


def _json_records(path: Path, contract: SourceContract, display: str):
    """(row number, cells) of a fetched API file: the record keys the contract names as
    headers come first (row 1), then record n as row n + 1 — the row it has when the same
    records are exported to a spreadsheet."""
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
    headers = [c.header for c in contract.columns]
    present = {key for record in records if isinstance(record, dict) for key in record}
    yield 1, [h for h in headers if h in present]
    for number, record in enumerate(records, start=2):
        if not isinstance(record, dict):
            yield number, [json.dumps(record, ensure_ascii=False)]
            continue
        cells = []
        for h in headers:
            if h not in present:
                continue
            value = record.get(h)
            if value is None:
                cells.append("")
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            elif isinstance(value, (dict, list)):
                cells.append(json.dumps(value, ensure_ascii=False))
            else:
                cells.append(str(value))
        yield number, cells


READERS = {
    "csv": lambda: _csv_records,
    "xlsx": lambda: _xlsx_records,
    "json": lambda: _json_records,
}


def read_rows(path: Path, contract: SourceContract, display: str | None = None):
    """Yield (source_row, values dict, ragged cells, expected count) for each data row.

    Raises FileRejected for what makes the whole file unreadable.
    """
    display = display or path.name
    if path.stat().st_size == 0:
        raise FileRejected(
            Problem(
                display,
                None,
                None,
                None,
                "empty_file",
                "Tệp rỗng, không có dữ liệu.",
                "The file is empty.",
            )
        )
    records = READERS[contract.source.format]()(path, contract, display)
    first = next(records, None)
    if not first or not first[1]:
        raise FileRejected(
            Problem(
                display,
                1,
                None,
                None,
                "empty_file",
                "Tệp không có dòng tiêu đề.",
                "The file has no header row.",
            )
        )
    header_row, header = first
    wanted = {_normalise_header(c.header): c for c in contract.columns}
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = wanted.get(_normalise_header(name))
        if column:
            positions[column.name] = index
    missing = [c for c in contract.columns if c.name not in positions]
    if missing:
        names = ", ".join(f"'{c.header}'" for c in missing)
        raise FileRejected(
            Problem(
                display,
                header_row,
                missing[0].header,
                None,
                "missing_columns",
                f"Thiếu cột {names} trong dòng tiêu đề. Hãy dùng đúng mẫu của bộ dữ liệu.",
                f"The header lacks column(s) {names}. Use the dataset's template.",
            )
        )
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
        raise FileRejected(
            Problem(
                display,
                None,
                None,
                None,
                "empty_file",
                "Tệp chỉ có dòng tiêu đề, không có dữ liệu.",
                "The file has a header but no data rows.",
            )
        )


def _raw_schema(contract: SourceContract) -> pa.Schema:
    fields = [pa.field(c.name, pa.string()) for c in contract.columns]
    fields += [
        pa.field("_source_file", pa.string()),
        pa.field("_source_sha256", pa.string()),
        pa.field("_source_row", pa.int32()),
    ]
    return pa.schema(fields)


def ensure_raw_table(con, contract: SourceContract) -> None:
    columns = ", ".join(f'"{c.name}" varchar' for c in contract.columns)
    con.execute(
        f"create table if not exists raw.{contract.raw_table} ({columns}, "
        "_source_file varchar, _source_sha256 varchar, _source_row integer, _run_id varchar)"
    )


def load_file(
    con, cfg: Settings, entry: ArchivedFile, contract: SourceContract, run_id: str
) -> tuple[int, int]:
    """Load one archived file, replacing the rows of an earlier version of the same name."""
    path = cfg.raw_dir / entry.raw_path
    schema = _raw_schema(contract)
    names = [c.name for c in contract.columns]
    ensure_raw_table(con, contract)
    batches: list[pa.RecordBatch] = []
    buffer: dict[str, list] = {n: [] for n in schema.names}
    rejects = []
    total = 0

    def flush() -> None:
        if buffer["_source_row"]:
            batches.append(pa.RecordBatch.from_pydict(buffer, schema=schema))
            for values in buffer.values():
                values.clear()

    # Parse everything first: a file rejected half-way must not leave half its rows.
    for source_row, values, ragged, expected in read_rows(path, contract, entry.file_name):
        if values is None:
            rejects.append(
                (
                    contract.id,
                    entry.file_name,
                    entry.sha256,
                    source_row,
                    len(ragged),
                    expected,
                    ",".join(ragged),
                )
            )
            continue
        for n in names:
            buffer[n].append(values[n])
        buffer["_source_file"].append(entry.file_name)
        buffer["_source_sha256"].append(entry.sha256)
        buffer["_source_row"].append(source_row)
        total += 1
        if len(buffer["_source_row"]) >= BATCH_ROWS:
            flush()
    flush()

    con.execute("begin transaction")
    try:
        con.execute(
            f"delete from raw.{contract.raw_table} where _source_file = ?", [entry.file_name]
        )
        con.execute(
            "delete from raw.load_rejects where dataset = ? and file_name = ?",
            [contract.id, entry.file_name],
        )
        table = pa.Table.from_batches(batches, schema=schema)
        con.register("incoming", table)
        con.execute(f"insert into raw.{contract.raw_table} select *, ? from incoming", [run_id])
        con.unregister("incoming")
        if rejects:
            con.executemany("insert into raw.load_rejects values (?, ?, ?, ?, ?, ?, ?)", rejects)
        con.execute(
            "insert or replace into meta.loaded_files (dataset, file_name, sha256, rows, run_id, arrived_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [contract.id, entry.file_name, entry.sha256, total, run_id, entry.arrived_at or None],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return total, len(rejects)


def _load_control(con, cfg: Settings, entry: ArchivedFile, contract: SourceContract) -> None:
    """Record the totals a department declared for one of its files."""
    path = cfg.raw_dir / entry.raw_path
    if not path.exists():  # a duplicate: its first copy holds the bytes
        path = cfg.raw_dir / next(
            e["raw_path"] for e in read_manifest(cfg) if e["sha256"] == entry.sha256
        )
    try:
        data = json.loads(path.read_text("utf-8-sig"))
        row_count = int(data["row_count"])
        sums = {k: str(v) for k, v in (data.get("sums") or {}).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise FileRejected(
            Problem(
                entry.file_name,
                None,
                None,
                None,
                "control_file",
                f"Tệp tổng kiểm soát không đúng mẫu (cần row_count và sums): {exc}.",
                f"The control-totals file is not in the expected shape (row_count and sums): {exc}.",
            )
        ) from exc
    unknown = [k for k in sums if k not in contract.source.control_sums]
    if unknown:
        raise FileRejected(
            Problem(
                entry.file_name,
                None,
                unknown[0],
                sums[unknown[0]],
                "control_file",
                f"Tệp tổng kiểm soát có tổng của cột không được thỏa thuận: {', '.join(unknown)}.",
                f"The control-totals file sums column(s) not agreed in the contract: {', '.join(unknown)}.",
            )
        )
    con.execute(
        "insert or replace into meta.control_totals (dataset, file_name, control_file, sha256,"
        " row_count, sums_json) values (?, ?, ?, ?, ?, ?)",
        [
            contract.id,
            data_file_for_control(entry.file_name, contract),
            entry.file_name,
            entry.sha256,
            row_count,
            json.dumps(sums),
        ],
    )


def _event(
    con,
    run_id: str,
    entry: ArchivedFile | None,
    problem: Problem | None,
    status: str,
    rows: int | None = None,
) -> None:
    con.execute(
        "insert into meta.file_events (run_id, dataset, department, file_name, sha256, bytes, rows,"
        " status, message_vi, message_en) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            entry.dataset if entry else None,
            entry.department if entry else None,
            entry.file_name if entry else (problem.file if problem else None),
            entry.sha256 if entry else None,
            entry.bytes if entry else None,
            rows,
            status,
            problem.message_vi if problem else None,
            problem.message_en if problem else None,
        ],
    )


def extract(
    run_id: str, cfg: Settings | None = None, datasets: list[str] | None = None
) -> ExtractReport:
    """Archive new landing files and load them. Safe to re-run: nothing is loaded twice."""
    cfg = cfg or load_settings()
    contracts = [c for c in source_contracts(cfg) if datasets is None or c.id in datasets]
    by_id = {c.id: c for c in contracts}
    report = ExtractReport(run_id=run_id)
    from ddss.ingest.http_source import fetch

    for contract in contracts:
        if contract.source.kind == "http":
            try:
                fetch(contract, cfg)
            except FileRejected as exc:
                report.rejected.append(exc.problem)
                log.error("%s", exc)
    archive_landing(cfg, report, contracts)
    with connect(cfg) as con:
        load_reference_tables(con)
        # Every dataset's raw table exists (empty until its department sends a file), so
        # that dbt can build any model whichever department runs first.
        for contract in source_contracts(cfg):
            ensure_raw_table(con, contract)
        loaded = {
            (d, s)
            for d, s in con.execute("select dataset, sha256 from meta.loaded_files").fetchall()
        }
        for problem in report.rejected:
            _event(con, run_id, None, problem, "rejected")
        for entry in report.controls:
            try:
                _load_control(con, cfg, entry, by_id[entry.dataset])
            except FileRejected as exc:
                report.rejected.append(exc.problem)
                _event(con, run_id, entry, exc.problem, "rejected")
        first_name = {e["sha256"]: e for e in read_manifest(cfg)}
        pending: dict[str, ArchivedFile] = {}
        for entry in report.archived + report.duplicates:
            # Archived earlier but not current (never loaded after a crash, or a reverted
            # correction): load it from its archived copy.
            if (entry.dataset, entry.sha256) in loaded or entry.sha256 in pending:
                continue
            entry.raw_path = first_name[entry.sha256]["raw_path"]
            pending[entry.sha256] = entry
        for entry in pending.values():
            try:
                rows, ragged = load_file(con, cfg, entry, by_id[entry.dataset], run_id)
            except FileRejected as exc:
                report.rejected.append(exc.problem)
                _event(con, run_id, entry, exc.problem, "rejected")
                log.error("%s", exc)
                continue
            report.loaded[entry.file_name] = rows
            report.ragged_rows += ragged
            _event(con, run_id, entry, None, "loaded", rows)
            log.info("loaded %s rows from %s (%s)", rows, entry.file_name, entry.sha256[:12])
        for entry in report.duplicates:
            original = first_name[entry.sha256]["file_name"]
            if original != entry.file_name and entry.sha256 not in pending:
                problem = Problem(
                    entry.file_name,
                    None,
                    None,
                    None,
                    "duplicate_file",
                    f"Tệp trùng nội dung với tệp đã nhận '{original}'; không nạp lại.",
                    f"Same content as the already received file '{original}'; not loaded again.",
                )
                _event(con, run_id, entry, problem, "duplicate")
    return report
