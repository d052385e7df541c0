"""The DuckDB warehouse: one file, one writing process at a time (DuckDB's rule).

Every task opens its connection, does its work and closes it, so tasks that run one after
another in Airflow (a pool of one slot for writers) never hold the file at the same time.
"""

from __future__ import annotations

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


@contextmanager
def connect(
    cfg: Settings | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    cfg = cfg or load_settings()
    if read_only:
        con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    else:
        cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(cfg.warehouse_path))
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
