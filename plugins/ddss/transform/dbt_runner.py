"""dbt, in-process (dbtRunner): staging before the quality gate, marts after it."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

from ddss.settings import Settings, load_settings

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


@contextmanager
def _dbt_environment(cfg: Settings):
    saved = {k: os.environ.get(k) for k in ("DDSS_WAREHOUSE", "DBT_SEND_ANONYMOUS_USAGE_STATS")}
    os.environ["DDSS_WAREHOUSE"] = str(cfg.warehouse_path)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
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


def run_dbt(args: list[str], cfg: Settings | None = None) -> list[dict]:
    """Run one dbt command; raise DbtFailed naming every failed node."""
    from dbt.cli.main import dbtRunner  # heavy import: only when a task needs dbt

    cfg = cfg or load_settings()
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
    if not log.isEnabledFor(logging.INFO) and "--quiet" not in full:
        full.append("--quiet")  # `ddss run` without -v: dbt says only what failed
    with _dbt_environment(cfg):
        try:
            result = dbtRunner().invoke(full)
        finally:
            _release_warehouse()
    nodes = []
    if result.result is not None and hasattr(result.result, "results"):
        for r in result.result.results:
            nodes.append({"node": r.node.name, "status": str(r.status), "message": r.message})
    if not result.success:
        failed = [n for n in nodes if n["status"] not in ("success", "pass", "skipped")]
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message'] or ''}" for n in failed)
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail or result.exception}")
    log.info("dbt %s: %d nodes ok", " ".join(args), len(nodes))
    return nodes


def _selector(layer: str, department: str | None) -> str:
    # A department's run rebuilds only its own models: another department's marts change
    # only after that department's own validation.
    return f"path:models/{layer}/{department}" if department else layer


def build_staging(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    return run_dbt(["build", "--select", _selector("staging", department)], cfg)


def build_marts(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    selector = _selector("marts", department)
    nodes = run_dbt(["build", "--select", selector], cfg)
    # The snapshots downstream of these marts (history of the validated rows).
    return nodes + run_dbt(["snapshot", "--select", f"{selector}+"], cfg)
