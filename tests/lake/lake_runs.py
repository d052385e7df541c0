"""Runs of departments' steps for the lake's tests: in this process one after another, or
each in a process of its own all at once; and the state a run leaves, to compare runs."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from ddss.orchestration.pipeline import extract_step, marts_step, stage_step, validate_step
from ddss.settings import Settings, workspace_settings
from ddss.warehouse import connect

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2022, 8, 11)
RUN_ID = "run-1"
SCALE = 0.03
# Four departments, among them the centre (dossiers, the biggest feed) and the tax department
# (its HTTP API): several at once is the point, all nine would only take longer.
DEPARTMENTS = ["hanoi_police", "hanoi_tax", "hanoi_transport", "tuyen_quang_pasc"]
DATASET = "admin_procedure_dossiers"

# One department's steps, as its DAG runs them, in a process of its own; it prints when it
# started and ended (the proof that departments overlapped).
DEPARTMENT_RUN = """
import json, sys, time
from datetime import date
from ddss.orchestration.pipeline import extract_step, marts_step, stage_step, validate_step
department, run_id, as_of = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
started = time.time()
extract_step(run_id, department=department)
stage_step(department=department)
validate_step(run_id, department=department, as_of=as_of)
marts_step(department=department)
print(json.dumps({"department": department, "started": started, "ended": time.time()}))
"""


@contextmanager
def small_feeds(out: Path) -> Iterator[Path]:
    """The demo feeds of ``DEPARTMENTS`` at a small scale; the tax department's API serves
    its part while the context lasts (``DDSS_API_URL``)."""
    from ddss_demo.api_server import ApiServer
    from ddss_demo.generate import generate

    generate(out, seed=2022, scale=SCALE, departments=set(DEPARTMENTS))
    with ApiServer(out / "_http") as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DDSS_API_URL", url)
        yield out


def workspace(root: Path, feeds: Path, catalog: str | None) -> Settings:
    import shutil

    cfg = dataclasses.replace(
        workspace_settings(root),
        home=REPO,
        dbt_project_dir=REPO / "dbt_project",
        expectations_dir=REPO / "expectations",
        lake_catalog=catalog,
        lake_data_path=str(root / "lake") + "/" if catalog else None,
    )
    shutil.copytree(feeds, cfg.landing_dir, ignore=shutil.ignore_patterns("_http"))
    return cfg


def environment(cfg: Settings, department: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DDSS_")}
    env.update(
        {
            "DDSS_HOME": str(REPO),
            "DDSS_LANDING_DIR": str(cfg.landing_dir),
            "DDSS_RAW_DIR": str(cfg.raw_dir),
            "DDSS_REPORTS_DIR": str(cfg.reports_dir),
            "DDSS_PUBLIC_DIR": str(cfg.public_dir),
            "DDSS_WAREHOUSE": str(cfg.warehouse_path),
            "DDSS_API_URL": os.environ["DDSS_API_URL"],
        }
    )
    if cfg.lake:
        env["DDSS_LAKE_CATALOG"] = cfg.lake_catalog or ""
        env["DDSS_LAKE_DATA_PATH"] = cfg.lake_data_path or ""
        if department:
            # dbt's target folder (manifest, partial parse) lives beside DDSS_WAREHOUSE, which
            # the lake does not use otherwise: one per department, so that two departments'
            # dbt runs do not write the same files.
            env["DDSS_WAREHOUSE"] = str(cfg.warehouse_path.parent / department / "unused.duckdb")
    return env


def _start(cfg: Settings, department: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DEPARTMENT_RUN, department, RUN_ID, AS_OF.isoformat()],
        env=environment(cfg, department),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=1800)
    assert process.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])


def run_parallel(cfg: Settings, departments: list[str] = DEPARTMENTS) -> list[dict]:
    """Each department's steps in a process of its own, all started at once."""
    processes = [_start(cfg, d) for d in departments]
    return [_finish(p) for p in processes]


def run_serial(
    cfg: Settings, departments: list[str] = DEPARTMENTS, as_of: date = AS_OF, run_id: str = RUN_ID
) -> None:
    """The same steps, department after department, in this process."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment(cfg).items():
            patch.setenv(name, value)
        for department in departments:
            extract_step(run_id, department=department, cfg=cfg)
            stage_step(cfg=cfg, department=department)
            validate_step(run_id, department=department, cfg=cfg, as_of=as_of)
            marts_step(cfg=cfg, department=department)


# What a run leaves that does not depend on how it was run: timestamps of the moment are left
# out (file events' and loads' recorded_at/loaded_at, dbt's snapshot columns).
STATE_QUERIES = {
    "quarantine": "select * exclude (run_id) from quality.quarantine",
    "gate": "select dataset, department, rows_checked, rows_failed, success, blocking_failures "
    "from quality.validation_runs",
    "loaded_files": "select dataset, file_name, sha256, rows from meta.loaded_files",
    "load_rejects": "select * from raw.load_rejects",
}


def warehouse_state(cfg: Settings) -> dict[str, list[tuple]]:
    """Every mart and snapshot, the quarantine and the gate's counts, rows sorted."""
    with connect(cfg, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema in ('marts', 'snapshots') "
            "order by all"
        ).fetchall()
        state = {
            f"{schema}.{table}": con.execute(
                f'select * exclude (dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to) from "{schema}"."{table}" order by all'
                if schema == "snapshots"
                else f'select * from "{schema}"."{table}" order by all'
            ).fetchall()
            for schema, table in tables
        }
        for name, sql in STATE_QUERIES.items():
            state[name] = con.execute(f"{sql} order by all").fetchall()
    return state
