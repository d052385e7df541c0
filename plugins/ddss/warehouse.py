"""The warehouse, in one of two modes, opened only here.

**File** (the default, ``make demo``): one DuckDB file, one writing process at a time
(DuckDB's rule). Every task opens its connection, does its work and closes it, so tasks that
run one after another in Airflow (a pool of one slot for writers) never hold the file at the
same time. A process that still finds the file locked (a task outside the pool, a person's
query) waits and retries for up to ``DDSS_WAREHOUSE_LOCK_WAIT_SECONDS`` (default 120), saying
so in the log, and then fails with a message naming the file and the process holding it.

**Lake** (``DDSS_LAKE_CATALOG`` set): DuckLake, its catalog in PostgreSQL and its data as
Parquet files under ``DDSS_LAKE_DATA_PATH``. Many processes on many machines write at once;
the same SQL runs in both modes because the lake is attached as the connection's default
catalog. DuckLake refuses two transactions that changed the same table (a delete from
``meta.loaded_files`` by two departments, say) when the second commits: such a conflict is
retried with exponential backoff (tenacity), see ``LakeConnection``.

**Memory**, in both modes: every connection opened here bounds DuckDB's memory to
``DDSS_DUCKDB_MEMORY_LIMIT`` (default 512MB; DuckDB's own default is 80% of the machine, per
process). Sorts, joins and aggregates beyond it spill to a temporary folder beside the
warehouse: DuckDB's default ``<warehouse>.tmp`` for the file (set once per instance: DuckDB
refuses to set it again once used), ``<warehouse folder>/lake-<pid>.tmp`` on the lake (one per
process, removed by DuckDB when the connection closes). dbt shares the file's instance (the
runner holds the file open while dbt runs, ``ddss.transform.dbt_runner``), so the limit
reaches its models too; its lake profile sets the same limit (``dbt_project/profiles.yml``).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import duckdb
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ddss.settings import Settings, duckdb_memory_limit, load_settings

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
    loaded_at timestamp default current_timestamp
);  -- one row per (dataset, file_name): load.py deletes the old one in the same transaction
-- Totals a department declared for a file it sent (đủ: checked against what arrived).
create table if not exists meta.control_totals (
    dataset varchar, file_name varchar, control_file varchar, sha256 varchar,
    row_count bigint, sums_json varchar
);  -- one row per (dataset, file_name), as loaded_files
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
P = ParamSpec("P")
R = TypeVar("R")
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


def bound_memory(con: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """DuckDB's memory limit for the instance behind ``con`` (a global setting: every
    connection to the same instance, dbt's included, has it). A value DuckDB cannot read
    closes nothing and raises ValueError naming the variable and the value."""
    try:
        con.execute(f"set memory_limit = {_quote(memory_limit)}").fetchall()
    except duckdb.Error as exc:
        raise ValueError(
            f"DDSS_DUCKDB_MEMORY_LIMIT={memory_limit!r} không phải dung lượng bộ nhớ hợp lệ "
            "(ví dụ 1GB, 512MB). / "
            f"DDSS_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a valid memory size "
            f"(e.g. 1GB, 512MB): {str(exc).splitlines()[0]}"
        ) from exc


def _open(path: str, read_only: bool, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with backoff while another process holds its lock; its memory
    bounded to ``memory_limit`` (default: ``DDSS_DUCKDB_MEMORY_LIMIT``), spilling beyond it
    to DuckDB's temporary folder beside the file (``<path>.tmp``)."""
    limit = lock_wait_seconds()
    started = time.monotonic()
    delay, logged = 0.05, -LOG_EVERY_SECONDS
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only)
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
            continue
        try:
            bound_memory(con, memory_limit or duckdb_memory_limit())
        except ValueError:
            con.close()
            raise
        return con


@contextmanager
def connect(
    cfg: Settings | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    cfg = cfg or load_settings()
    if cfg.lake:
        con: duckdb.DuckDBPyConnection = _open_lake(cfg, read_only)
    elif read_only:
        con = _open(str(cfg.warehouse_path), read_only=True, memory_limit=cfg.duckdb_memory_limit)
    else:
        cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = _open(str(cfg.warehouse_path), read_only=False, memory_limit=cfg.duckdb_memory_limit)
    try:
        if not read_only:
            con.execute(SCHEMA_SQL).fetchall()  # duckdb 2: finish a result before other work
        yield con
    finally:
        con.close()


# --- Lake mode --------------------------------------------------------------------------

LAKE_ALIAS = "lake"
# The wheels that carry the extensions for this DuckDB version (duckdb-extension-*), and the
# name DuckDB looks for in its extension directory (the postgres one is "postgres_scanner").
EXTENSION_WHEELS = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres",
}
CONFLICT_ATTEMPTS = int(os.environ.get("DDSS_LAKE_CONFLICT_ATTEMPTS", "12"))


class LakeUnavailable(RuntimeError):
    """The lake's extensions or catalog cannot be reached."""


@functools.cache  # once per process: every lake connection would otherwise probe again
def extension_directory() -> str:
    """A DuckDB extension directory holding the DuckLake and postgres extensions of the
    installed wheels, so that nothing is downloaded (``autoinstall_known_extensions`` off).
    Built once per user and DuckDB version under the temporary folder, as symbolic links."""
    import importlib.util
    import tempfile
    from pathlib import Path

    version = f"v{duckdb.__version__}"
    root = Path(tempfile.gettempdir()) / f"ddss-duckdb-extensions-{os.getuid()}"
    with duckdb.connect() as probe:
        platform = probe.execute("select platform from pragma_platform()").fetchall()[0][0]
    target = root / version / platform
    target.mkdir(parents=True, exist_ok=True)
    for name, wheel in EXTENSION_WHEELS.items():
        link = target / f"{name}.duckdb_extension"
        if link.exists():
            continue
        spec = importlib.util.find_spec(wheel)
        folders = list(spec.submodule_search_locations or []) if spec else []
        found = [
            path
            for folder in folders
            for path in Path(folder).glob(f"extensions/{version}/*.duckdb_extension")
        ]
        if not found:
            raise LakeUnavailable(
                f"Thiếu phần mở rộng DuckDB {name} {version} (gói {wheel}); cài lại bằng make. / "
                f"The DuckDB extension {name} {version} (package {wheel}) is missing; "
                "reinstall with make."
            )
        try:
            link.symlink_to(found[0])
        except FileExistsError:  # another process made it at the same moment
            pass
    return str(root)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach_sql(cfg: Settings, read_only: bool = False) -> str:
    """The ATTACH statement of the lake; the same options as the dbt profile's ``attach``."""
    options = []
    if cfg.lake_data_path:
        options.append(f"data_path {_quote(cfg.lake_data_path)}")
    if read_only:
        options.append("read_only")
    suffix = f" ({', '.join(options)})" if options else ""
    return (
        f"attach {_quote('ducklake:postgres:' + (cfg.lake_catalog or ''))} as {LAKE_ALIAS}{suffix}"
    )


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake commit refused because another transaction changed the same table (or
    created the same schema, or initialised the same catalog) first."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "conflict" in text or "could not serialize" in text or "duplicate key" in text
    )


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "Xung đột ghi với tiến trình khác trên hồ dữ liệu, thử lại lần %d. / "
        "Write conflict with another process on the lake, retry %d: %s",
        state.attempt_number,
        state.attempt_number,
        str(exc).splitlines()[-1] if exc else "",
    )


def retrying() -> Retrying:
    """Retries of a DuckLake conflict: exponential backoff with jitter (so that two
    departments that collided do not collide again), up to ``DDSS_LAKE_CONFLICT_ATTEMPTS``."""
    return Retrying(
        retry=retry_if_exception(is_conflict),
        wait=wait_random_exponential(multiplier=0.05, max=5.0),
        stop=stop_after_attempt(CONFLICT_ATTEMPTS),
        before_sleep=_log_retry,
        reraise=True,
    )


def retry_on_conflict(step: Callable[P, R]) -> Callable[P, R]:
    """Run an idempotent step again, from the start, when its transaction lost a DuckLake
    conflict that ``LakeConnection`` may not replay (it read before writing): the step reads
    again what the other transaction committed. For a step that opens its own connection,
    e.g. ``ddss.quality.gate.validate``."""

    @functools.wraps(step)
    def again(*args: P.args, **kwargs: P.kwargs) -> R:
        return retrying()(step, *args, **kwargs)

    return again


def _open_lake(cfg: Settings, read_only: bool) -> duckdb.DuckDBPyConnection:
    if cfg.lake_data_path and "://" not in cfg.lake_data_path and not read_only:
        os.makedirs(cfg.lake_data_path, exist_ok=True)
    # This process's own spill folder: two processes sharing one would mix their files.
    cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    spill = cfg.warehouse_path.parent / f"lake-{os.getpid()}.tmp"
    con = duckdb.connect(
        config={
            "extension_directory": extension_directory(),
            "autoinstall_known_extensions": False,
            "temp_directory": str(spill),
        }
    )
    try:
        bound_memory(con, cfg.duckdb_memory_limit)
    except ValueError:
        con.close()
        raise
    try:
        # Two processes attaching a new catalog at once both try to create its tables.
        retrying()(con.execute, attach_sql(cfg, read_only))
        con.execute(f"use {LAKE_ALIAS}")
    except duckdb.Error as exc:
        con.close()
        if is_conflict(exc):
            raise
        raise LakeUnavailable(
            "Không mở được hồ dữ liệu (DuckLake) với danh mục DDSS_LAKE_CATALOG: "
            f"{str(exc).splitlines()[0]} / Cannot open the lake (DuckLake) with the catalog "
            "in DDSS_LAKE_CATALOG; check that PostgreSQL runs and the connection string."
        ) from exc
    return LakeConnection(con)  # type: ignore[return-value]  # duck-typed: see the class


# The statements a transaction may hold and still be replayed after a conflict: they write
# what their text and parameters say, whatever another transaction committed meanwhile.
BLIND_WRITES = ("insert", "delete", "update", "create", "drop", "alter")


class LakeConnection:
    """A DuckDB connection on the lake that retries DuckLake's commit conflicts.

    - A statement outside a transaction is its own transaction: on a conflict it is run again.
    - A transaction whose statements only write (insert, delete, update, DDL, registering
      Arrow tables for them) is recorded; when its commit conflicts it is rolled back and the
      same statements are run again in a new transaction. That is exactly re-running it,
      because nothing in it depended on what it read.
    - A transaction that also read (``select``) is not replayed: the conflict is raised, and
      the step that ran it (idempotent, as every step is) is retried by its caller, e.g. with
      ``retrying()``.
    Everything else is DuckDB's own connection (``__getattr__``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._journal: list[tuple[str, tuple]] | None = None
        self._replayable = True

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def _run(self, method: str, args: tuple):
        return getattr(self._con, method)(*args)

    def _statement(self, method: str, sql: str, args: tuple):
        verb = sql.lstrip().split(None, 1)[0].lower() if sql.strip() else ""
        if verb in ("begin", "start"):
            self._journal, self._replayable = [], True
            return self._run(method, args)
        if verb in ("commit", "end"):
            return self._commit(method, args)
        if verb in ("rollback", "abort"):
            self._journal = None
            return self._run(method, args)
        if self._journal is None:
            return retrying()(self._run, method, args)
        self._journal.append((method, args))
        self._replayable = self._replayable and verb in BLIND_WRITES
        return self._run(method, args)

    def _commit(self, method: str, args: tuple):
        journal, replayable = self._journal, self._replayable
        self._journal = None
        try:
            return self._run(method, args)
        except duckdb.Error as exc:
            if not (is_conflict(exc) and replayable and journal is not None):
                raise
            log.warning("Commit conflict on the lake; replaying %d statement(s)", len(journal))
        return retrying()(self._replay, journal, method, args)

    def _replay(self, journal: list[tuple[str, tuple]], method: str, args: tuple):
        try:
            self._con.execute("rollback")
        except duckdb.Error:
            pass  # DuckDB already ended the failed transaction
        self._con.execute("begin transaction")
        try:
            for step, step_args in journal:
                self._run(step, step_args)
            return self._run(method, args)
        except BaseException:
            try:
                self._con.execute("rollback")
            except duckdb.Error:
                pass
            raise

    def execute(self, sql: str, *args):
        return self._statement("execute", sql, (sql, *args))

    def executemany(self, sql: str, *args):
        return self._statement("executemany", sql, (sql, *args))

    def register(self, name: str, value):
        if self._journal is not None:
            self._journal.append(("register", (name, value)))
        return self._con.register(name, value)

    def unregister(self, name: str):
        if self._journal is not None:
            self._journal.append(("unregister", (name,)))
        return self._con.unregister(name)

    def close(self) -> None:
        self._con.close()


def snapshot_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The lake snapshot a connection reads (``None`` for the DuckDB file): a publication that
    records it can be re-derived later with ``... AT (VERSION => <id>)``."""
    if first_row(con, "select current_database()")[0] != LAKE_ALIAS:
        return None
    return str(first_row(con, f"select id from {LAKE_ALIAS}.current_snapshot()")[0])


def environment(cfg: Settings) -> dict[str, str]:
    """The variables that point a child process (dbt's profile, an Airflow worker, a
    ``ddss`` command) at the same warehouse as ``cfg``."""
    env = {"DDSS_WAREHOUSE": str(cfg.warehouse_path)}
    if cfg.lake:
        env["DDSS_LAKE_CATALOG"] = cfg.lake_catalog or ""
        env["DDSS_LAKE_DATA_PATH"] = cfg.lake_data_path or ""
    return env


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
