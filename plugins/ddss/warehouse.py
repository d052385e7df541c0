"""The DuckDB warehouse: one file, one writing process at a time (DuckDB's rule).

Every task opens its connection, does its work and closes it, so tasks that run one after
another in Airflow (a pool of one slot for writers) never hold the file at the same time.
A process that still finds the file locked (a task outside the pool, a person's query)
waits and retries for up to ``DDSS_WAREHOUSE_LOCK_WAIT_SECONDS`` (default 120), saying so
in the log, and then fails with a message naming the file and the process holding it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from ddss.settings import Settings, load_settings

SCHEMA_SQL = """
create schema if not exists raw;
create schema if not exists meta;
create schema if not exists quality;

-- Every file event: archived, duplicate, rejected, loaded. Nothing is deleted from here.
create table if not exists meta.file_events (
    run_id varchar, dataset varchar, department varchar, file_name varchar,
    sha256 varchar, bytes bigint, rows bigint, status varchar,
    message_vi varchar, message_en varchar, recorded_at timestamp default current_timestamp
);
-- Which archived object currently stands for each file name of a dataset.
create table if not exists meta.loaded_files (
    dataset varchar, file_name varchar, sha256 varchar, rows bigint, run_id varchar,
    loaded_at timestamp default current_timestamp, primary key (dataset, file_name)
);
-- Totals a department declared for a file it sent (đủ: checked against what arrived).
create table if not exists meta.control_totals (
    dataset varchar, file_name varchar, control_file varchar, sha256 varchar,
    row_count bigint, sums_json varchar, primary key (dataset, file_name)
);
-- Rows that could not even be split into the contract's columns (ragged rows).
create table if not exists raw.load_rejects (
    dataset varchar, file_name varchar, sha256 varchar, source_row integer,
    field_count integer, expected_count integer, raw_text varchar
);
-- Every failing row, no cap: what the steward must fix, cell by cell.
create table if not exists quality.quarantine (
    run_id varchar, dataset varchar, department varchar, source_file varchar,
    source_row integer, record_key varchar, "column" varchar, "value" varchar,
    rule varchar, expectation_type varchar, criterion varchar, severity varchar,
    message_vi varchar, message_en varchar
);
create table if not exists quality.validation_runs (
    run_id varchar, dataset varchar, department varchar, rows_checked bigint,
    rows_failed bigint, success boolean, blocking_failures integer,
    result_json varchar, recorded_at timestamp default current_timestamp
);
alter table quality.validation_runs add column if not exists scores_json varchar;
alter table quality.validation_runs add column if not exists freshness_json varchar;
alter table meta.loaded_files add column if not exists arrived_at varchar;  -- ISO 8601, UTC
"""


log = logging.getLogger(__name__)
# DuckDB's message when another process holds the file.
LOCK_ERROR = "Could not set lock on file"
DEFAULT_LOCK_WAIT_SECONDS = 120.0
LOG_EVERY_SECONDS = 10.0


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse file for longer than this one may wait."""


def lock_wait_seconds() -> float:
    value = os.environ.get("DDSS_WAREHOUSE_LOCK_WAIT_SECONDS", "")
    try:
        return max(float(value), 0.0) if value.strip() else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        log.warning("DDSS_WAREHOUSE_LOCK_WAIT_SECONDS=%r is not a number; using 120", value)
        return DEFAULT_LOCK_WAIT_SECONDS


def _holder(message: str) -> str:
    found = re.search(r"PID (\d+)", message)
    return f"PID {found.group(1)}" if found else "?"


def _busy(path: str, waited: float, exc: duckdb.Error) -> WarehouseBusy:
    holder = _holder(str(exc))
    return WarehouseBusy(
        f"Kho dữ liệu {path} đang bị tiến trình khác ({holder}) giữ sau {waited:.0f} giây chờ. "
        "Hãy chờ tác vụ đang chạy xong (hoặc dừng tiến trình đó) rồi chạy lại; có thể chờ lâu "
        "hơn với DDSS_WAREHOUSE_LOCK_WAIT_SECONDS. / "
        f"The warehouse {path} is still locked by another process ({holder}) after waiting "
        f"{waited:.0f} s. Let the running task finish (or stop that process) and run again; "
        "DDSS_WAREHOUSE_LOCK_WAIT_SECONDS waits longer."
    )


def _open(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with backoff while another process holds its lock."""
    limit = lock_wait_seconds()
    started = time.monotonic()
    delay, logged = 0.05, -LOG_EVERY_SECONDS
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            waited = time.monotonic() - started
            if LOCK_ERROR not in str(exc):
                raise
            if waited >= limit:
                raise _busy(path, waited, exc) from exc
            if waited - logged >= LOG_EVERY_SECONDS:
                logged = waited
                log.warning(
                    "Kho dữ liệu %s đang được tiến trình khác (%s) dùng; chờ tối đa %.0f giây. / "
                    "The warehouse %s is in use by another process (%s); waiting up to %.0f s.",
                    path,
                    _holder(str(exc)),
                    limit,
                    path,
                    _holder(str(exc)),
                    limit,
                )
            time.sleep(min(delay, max(limit - waited, 0.0)))
            delay = min(delay * 2, 2.0)


@contextmanager
def connect(
    cfg: Settings | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    cfg = cfg or load_settings()
    if read_only:
        con = _open(str(cfg.warehouse_path), read_only=True)
    else:
        cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = _open(str(cfg.warehouse_path), read_only=False)
        con.execute(SCHEMA_SQL).fetchall()  # duckdb 2: finish a result before other work
    try:
        yield con
    finally:
        con.close()


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The first row of a query. DuckDB 2 keeps a result open until it is fetched to the
    end, and then refuses other work on the connection: so fetch everything, always."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else ()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        first_row(
            con,
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        )[0]
    )
