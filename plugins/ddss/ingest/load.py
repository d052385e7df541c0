"""Load an archived file into its DuckDB ``raw`` table: every value as text, exactly as
sent, with the file name, its sha256 and the spreadsheet row number on every row.

A new version of a file name replaces that file's rows only (the partition is dataset ×
file name), in one transaction: a file rejected half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.archive import ArchivedFile, data_file_for_control
from ddss.ingest.manifest import read_manifest
from ddss.ingest.readers import read_rows
from ddss.settings import Settings

BATCH_ROWS = 100_000
# A ragged row as kept for the steward in raw.load_rejects.
Reject = tuple[str, str, str, int, int, int, str]


def _raw_schema(contract: SourceContract) -> pa.Schema:
    fields = [pa.field(c.name, pa.string()) for c in contract.columns]
    fields += [
        pa.field("_source_file", pa.string()),
        pa.field("_source_sha256", pa.string()),
        pa.field("_source_row", pa.int32()),
    ]
    return pa.schema(fields)


def ensure_raw_table(con: Any, contract: SourceContract) -> None:
    columns = ", ".join(f'"{c.name}" varchar' for c in contract.columns)
    con.execute(
        f"create table if not exists raw.{contract.raw_table} ({columns}, "
        "_source_file varchar, _source_sha256 varchar, _source_row integer, _run_id varchar)"
    )


class _Batches:
    """Rows gathered column by column into Arrow record batches."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self.batches: list[pa.RecordBatch] = []
        self.buffer: dict[str, list] = {n: [] for n in schema.names}
        self.rows = 0

    def add(self, values: dict[str, str], entry: ArchivedFile, source_row: int) -> None:
        for name, value in values.items():
            self.buffer[name].append(value)
        self.buffer["_source_file"].append(entry.file_name)
        self.buffer["_source_sha256"].append(entry.sha256)
        self.buffer["_source_row"].append(source_row)
        self.rows += 1
        if len(self.buffer["_source_row"]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.buffer["_source_row"]:
            self.batches.append(pa.RecordBatch.from_pydict(self.buffer, schema=self.schema))
            for values in self.buffer.values():
                values.clear()

    def table(self) -> pa.Table:
        self.flush()
        return pa.Table.from_batches(self.batches, schema=self.schema)


def _parse(
    cfg: Settings, entry: ArchivedFile, contract: SourceContract, notes: list[Problem] | None
) -> tuple[pa.Table, list[Reject]]:
    """Every row of the file, parsed before anything is written."""
    batches = _Batches(_raw_schema(contract))
    rejects: list[Reject] = []
    names = [c.name for c in contract.columns]
    path = cfg.raw_dir / entry.raw_path
    for source_row, values, ragged, expected in read_rows(path, contract, entry.file_name, notes):
        if values is None:
            cells = ragged or []
            rejects.append(
                (
                    contract.id,
                    entry.file_name,
                    entry.sha256,
                    source_row,
                    len(cells),
                    expected,
                    ",".join(cells),
                )
            )
            continue
        batches.add({n: values[n] for n in names}, entry, source_row)
    return batches.table(), rejects


def load_file(
    con: Any,
    cfg: Settings,
    entry: ArchivedFile,
    contract: SourceContract,
    run_id: str,
    notes: list[Problem] | None = None,
) -> tuple[int, int]:
    """Load one archived file, replacing the rows of an earlier version of the same name.
    What the steward should know about how it was read is added to ``notes``."""
    ensure_raw_table(con, contract)
    # Parse everything first: a file rejected half-way must not leave half its rows.
    table, rejects = _parse(cfg, entry, contract, notes)
    con.execute("begin transaction")
    try:
        con.execute(
            f"delete from raw.{contract.raw_table} where _source_file = ?", [entry.file_name]
        )
        con.execute(
            "delete from raw.load_rejects where dataset = ? and file_name = ?",
            [contract.id, entry.file_name],
        )
        con.register("incoming", table)
        con.execute(f"insert into raw.{contract.raw_table} select *, ? from incoming", [run_id])
        con.unregister("incoming")
        if rejects:
            con.executemany("insert into raw.load_rejects values (?, ?, ?, ?, ?, ?, ?)", rejects)
        # Delete, then insert: the same in a DuckDB file (a primary key) and in a DuckLake
        # catalog (no keys, so no ``insert or replace``).
        con.execute(
            "delete from meta.loaded_files where dataset = ? and file_name = ?",
            [contract.id, entry.file_name],
        )
        con.execute(
            "insert into meta.loaded_files (dataset, file_name, sha256, rows, run_id, arrived_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [
                contract.id,
                entry.file_name,
                entry.sha256,
                table.num_rows,
                run_id,
                entry.arrived_at or None,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return table.num_rows, len(rejects)


def _control_file_problem(
    entry: ArchivedFile, column: str | None, value: str | None, vi: str, en: str
) -> FileRejected:
    return FileRejected(Problem(entry.file_name, None, column, value, "control_file", vi, en))


def load_control(con: Any, cfg: Settings, entry: ArchivedFile, contract: SourceContract) -> None:
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
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _control_file_problem(
            entry,
            None,
            None,
            f"Tệp tổng kiểm soát không đúng mẫu (cần row_count và sums): {exc}.",
            f"The control-totals file is not in the expected shape (row_count and sums): {exc}.",
        ) from exc
    unknown = [k for k in sums if k not in contract.source.control_sums]
    if unknown:
        raise _control_file_problem(
            entry,
            unknown[0],
            sums[unknown[0]],
            f"Tệp tổng kiểm soát có tổng của cột không được thỏa thuận: {', '.join(unknown)}.",
            f"The control-totals file sums column(s) not agreed in the contract: {', '.join(unknown)}.",
        )
    data_file = data_file_for_control(entry.file_name, contract)
    con.execute(
        "delete from meta.control_totals where dataset = ? and file_name = ?",
        [contract.id, data_file],
    )
    con.execute(
        "insert into meta.control_totals (dataset, file_name, control_file, sha256,"
        " row_count, sums_json) values (?, ?, ?, ?, ?, ?)",
        [
            contract.id,
            data_file,
            entry.file_name,
            entry.sha256,
            row_count,
            json.dumps(sums),
        ],
    )


def record_event(
    con: Any,
    run_id: str,
    entry: ArchivedFile | None,
    problem: Problem | None,
    status: str,
    rows: int | None = None,
) -> None:
    """One line of ``meta.file_events`` (nothing is ever deleted from it)."""
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
