"""dbt, in-process (dbtRunner): staging before the quality gate, marts after it."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager

import duckdb

from ddss.settings import Settings, load_settings
from ddss.warehouse import LOCK_ERROR, _busy, _holder, _open, lock_wait_seconds

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


@contextmanager
def _dbt_environment(cfg: Settings):
    """The variables dbt's profile reads, from these settings, not from the process's
    environment: a check's scratch settings (file mode) must not reach the lake that
    DDSS_LAKE_CATALOG names for the production runs."""
    wanted = {
        "DDSS_WAREHOUSE": str(cfg.warehouse_path),
        "DDSS_LAKE_CATALOG": cfg.lake_catalog,
        "DDSS_LAKE_DATA_PATH": cfg.lake_data_path if cfg.lake_catalog else None,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {k: os.environ.get(k) for k in wanted}
    for key, value in wanted.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; close it, so
    that the next step in this process may open the file (even read-only) and so that no
    other process finds it locked."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _invoke_once(args: list[str], cfg: Settings):
    """One in-process dbt command on the workspace's warehouse: dbt's own result."""
    from dbt.cli.main import dbtRunner  # heavy import: only when a task needs dbt

    cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    target = cfg.warehouse_path.parent / "dbt_target"
    full = [
        *args,
        "--project-dir",
        str(cfg.dbt_project_dir),
        "--profiles-dir",
        str(cfg.dbt_profiles_dir),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        # Plain text in logs and files: no terminal colour codes.
        "--no-use-colors",
        "--no-use-colors-file",
    ]
    if "--no-partial-parse" not in full:
        # The parsed project is saved in the target path (partial_parse.msgpack) and reused
        # while the project files, dbt_project.yml and the profile's connection (the
        # warehouse path) are unchanged: 0.3 s instead of 3 s per invocation.
        full.append("--partial-parse")
    if not log.isEnabledFor(logging.INFO) and "--quiet" not in full:
        full.append("--quiet")  # `ddss run` without -v: dbt says only what failed
    with _dbt_environment(cfg):
        try:
            return dbtRunner().invoke(full)
        finally:
            _release_warehouse()


def _lock_error(result) -> str | None:
    """DuckDB's lock message when dbt could not open the warehouse because another process
    holds it (dbt ends with that IOException), else None."""
    texts = [str(result.exception or "")]
    if result.result is not None and hasattr(result.result, "results"):
        texts += [str(r.message or "") for r in result.result.results]
    return next((t for t in texts if LOCK_ERROR in t), None)


def _invoke(args: list[str], cfg: Settings):
    """``_invoke_once``, waiting while another process holds the warehouse file, as
    ``ddss.warehouse.connect`` does (DDSS_WAREHOUSE_LOCK_WAIT_SECONDS, a warning in both
    languages), then WarehouseBusy naming the file and the process holding it.

    The file is opened first and kept open while dbt runs: dbt's own open in this process
    then shares that DuckDB instance (same file, same configuration), so no other process
    can take the lock in between and dbt never starts only to fail and print DuckDB's
    traceback. Should dbt still meet the lock, its lock error is retried the same way."""
    if cfg.lake:  # the lake's catalog is PostgreSQL: no file lock
        return _invoke_once(args, cfg)
    path = str(cfg.warehouse_path)
    limit = lock_wait_seconds()
    started = time.monotonic()
    delay = 0.25
    while True:
        cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        held = _open(path, read_only=False)  # waits for the lock, or WarehouseBusy
        try:
            result = _invoke_once(args, cfg)
        finally:
            held.close()
        lock = _lock_error(result)
        if lock is None:
            return result
        waited = time.monotonic() - started
        if waited >= limit:
            raise _busy(path, waited, duckdb.IOException(lock)) from result.exception
        log.warning(
            "dbt không mở được kho dữ liệu %s: tiến trình khác (%s) vừa giữ nó; chờ rồi chạy "
            "lại dbt %s (tối đa %.0f giây). / dbt could not open the warehouse %s: another "
            "process (%s) took it; waiting to run dbt %s again (up to %.0f s).",
            path,
            _holder(lock),
            args[0],
            limit,
            path,
            _holder(lock),
            args[0],
            limit,
        )
        time.sleep(min(delay, max(limit - waited, 0.0)))
        delay = min(delay * 2, 2.0)


def run_dbt(args: list[str], cfg: Settings | None = None) -> list[dict]:
    """Run one dbt command; raise DbtFailed naming every failed node."""
    result = _invoke(args, cfg or load_settings())
    nodes = []
    if result.result is not None and hasattr(result.result, "results"):
        for r in result.result.results:
            nodes.append(
                {
                    "node": r.node.name,
                    "status": str(r.status),
                    "message": r.message,
                    "failures": getattr(r, "failures", None),
                }
            )
    for node in nodes:
        if node["status"] == "warn" and node["node"].startswith("no_code_padded_"):
            log.warning(padding_warning(node))
    if not result.success:
        failed = [n for n in nodes if n["status"] not in ("success", "pass", "skipped")]
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message'] or ''}" for n in failed)
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail or result.exception}")
    log.info("dbt %s: %d nodes ok", " ".join(args), len(nodes))
    return nodes


def padding_warning(node: dict) -> str:
    """What the padding test (no_code_padded, a dbt warning) tells the data engineer, in
    both languages: how many codes of which model and column were padded."""
    where = node["node"].removeprefix("no_code_padded_").removesuffix("_padded")
    count = node.get("failures")
    return (
        f"CẢNH BÁO / WARNING {where}: {count} mã gửi thiếu số 0 ở đầu đã được thêm cho đủ "
        f"độ dài (dòng vẫn dùng) / {count} codes sent without their leading zeros were "
        "padded to their width (rows kept)"
    )


def _selector(layer: str, department: str | None) -> str:
    # A department's run rebuilds only its own models: another department's marts change
    # only after that department's own validation.
    return f"path:models/{layer}/{department}" if department else layer


def staging_selection(department: str | None = None) -> list[str]:
    """The nodes of the stage step: staging models and their tests (unit tests too)."""
    return [_selector("staging", department)]


def marts_selection(department: str | None = None) -> list[str]:
    """The nodes of the build_marts step: the marts and their tests, then the snapshots
    downstream of these marts (history of the validated rows), in one dbt build: dbt runs
    a snapshot after its marts and their tests, and skips it when one of them fails."""
    selector = _selector("marts", department)
    return [selector, f"resource_type:snapshot,{selector}+"]


def build_staging(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    return run_dbt(["build", "--select", *staging_selection(department)], cfg)


def build_marts(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    return run_dbt(["build", "--select", *marts_selection(department)], cfg)


def compile_inline(sql: str, cfg: Settings | None = None) -> str:
    """The SQL dbt compiles from ``sql`` (Jinja with the project's macros): what a macro
    such as ``phone_e164('value')`` becomes, to run it outside a model."""
    result = _invoke(["compile", "--quiet", "--inline", sql], cfg or load_settings())
    if not result.success:
        raise DbtFailed(f"dbt compile failed: {result.exception}")
    return result.result.results[0].node.compiled_code
