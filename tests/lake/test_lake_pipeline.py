"""The pipeline on the lake (DuckLake, catalog in a real PostgreSQL): the same marts,
quarantine and gate counts as the DuckDB file, row for row; and the nine departments run
at once, as separate processes, give exactly what they give one after another."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ddss.orchestration.pipeline import extract_step, marts_step, stage_step, validate_step
from ddss.settings import Settings, workspace_settings
from ddss.warehouse import connect, first_row, snapshot_id

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2022, 8, 11)
RUN_ID = "run-1"
SCALE = 0.03
# Four departments, among them the centre (dossiers, the biggest feed) and the tax department
# (its HTTP API): several at once is the point, all nine would only take longer.
DEPARTMENTS = ["hanoi_police", "hanoi_tax", "hanoi_transport", "tuyen_quang_pasc"]
DATASET = "admin_procedure_dossiers"

pytestmark = pytest.mark.slow

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


@pytest.fixture(scope="module")
def small_feeds(tmp_path_factory) -> Iterator[Path]:
    """The demo feeds at a small scale; the tax department's API serves its part."""
    from ddss_demo.api_server import ApiServer
    from ddss_demo.generate import generate

    out = tmp_path_factory.mktemp("lake_feeds")
    generate(out, seed=2022, scale=SCALE, departments=set(DEPARTMENTS))
    with ApiServer(out / "_http") as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DDSS_API_URL", url)
        yield out


def _workspace(root: Path, feeds: Path, catalog: str | None) -> Settings:
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


def _environment(cfg: Settings, department: str | None = None) -> dict[str, str]:
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
        env=_environment(cfg, department),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=1800)
    assert process.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])


def run_parallel(cfg: Settings) -> list[dict]:
    """Each department's steps in a process of its own, all started at once."""
    processes = [_start(cfg, d) for d in DEPARTMENTS]
    return [_finish(p) for p in processes]


def run_serial(cfg: Settings) -> None:
    """The same steps, department after department, in this process."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _environment(cfg).items():
            patch.setenv(name, value)
        for department in DEPARTMENTS:
            extract_step(RUN_ID, department=department, cfg=cfg)
            stage_step(cfg=cfg, department=department)
            validate_step(RUN_ID, department=department, cfg=cfg, as_of=AS_OF)
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


@pytest.fixture(scope="module")
def file_state(small_feeds, tmp_path_factory) -> dict[str, list[tuple]]:
    cfg = _workspace(tmp_path_factory.mktemp("file_mode"), small_feeds, None)
    run_serial(cfg)
    return warehouse_state(cfg)


@pytest.fixture(scope="module")
def lake_serial(small_feeds, postgres, tmp_path_factory) -> Settings:
    cfg = _workspace(
        tmp_path_factory.mktemp("lake_serial"), small_feeds, postgres.create_database("serial")
    )
    run_serial(cfg)
    return cfg


def test_the_lake_gives_the_file_modes_marts_quarantine_and_gate_counts(file_state, lake_serial):
    lake_state = warehouse_state(lake_serial)
    assert sorted(lake_state) == sorted(file_state)
    assert len([t for t in file_state if t.startswith("marts.")]) >= 9
    assert file_state["quarantine"], "the demo feeds plant defects: the quarantine is not empty"
    for name, rows in file_state.items():
        assert lake_state[name] == rows, name
    assert not lake_serial.warehouse_path.exists(), "lake mode never opens the DuckDB file"


@pytest.fixture(scope="module")
def lake_parallel(small_feeds, postgres, tmp_path_factory) -> tuple[Settings, list[dict], float]:
    cfg = _workspace(
        tmp_path_factory.mktemp("lake_parallel"), small_feeds, postgres.create_database("parallel")
    )
    started = time.monotonic()
    runs = run_parallel(cfg)
    return cfg, runs, time.monotonic() - started


def test_departments_at_once_equal_departments_one_after_another(lake_parallel, lake_serial):
    cfg, runs, elapsed = lake_parallel
    overlapping = [
        (a["department"], b["department"])
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
        if a["started"] < b["ended"] and b["started"] < a["ended"]
    ]
    assert overlapping, "the departments' processes ran one after another"
    serial, parallel = warehouse_state(lake_serial), warehouse_state(cfg)
    assert sorted(parallel) == sorted(serial)
    for name, rows in serial.items():
        assert parallel[name] == rows, name
    print(
        f"{len(runs)} departments at once in {elapsed:.0f} s, {len(overlapping)} pairs overlapped"
    )


def test_a_mart_read_at_the_published_snapshot_is_what_was_published(lake_parallel, monkeypatch):
    """Time travel: the snapshot a publication records (``warehouse.snapshot_id``) gives back,
    row for row, the Parquet file it published, after the lake has moved on. (Runs after the
    comparison above: it changes the parallel run's lake.)"""
    from ddss.data_contracts import load_contracts
    from ddss.publish.publisher import publish

    lake = lake_parallel[0]
    for name, value in _environment(lake).items():
        monkeypatch.setenv(name, value)
    publication = publish("run-publish", lake)
    with connect(lake, read_only=True) as con:
        snapshot = snapshot_id(con)
    assert snapshot is not None
    contract = load_contracts(lake)[DATASET]
    columns = ", ".join(f'"{c.name}"' for c in contract.publish_columns)
    mart = f'marts."{contract.publish_model}"'
    published = next(publication.path.rglob(f"{DATASET}.parquet"))
    with connect(lake) as con:
        published_rows = con.execute(
            f"select {columns} from read_parquet(?) order by all", [str(published)]
        ).fetchall()
        con.execute(f"delete from {mart} where true")  # the lake moves on
        assert first_row(con, f"select count(*) from {mart}") == (0,)
        then = con.execute(
            f"select {columns} from {mart} at (version => {int(snapshot)}) order by all"
        ).fetchall()
    assert len(published_rows) > 100
    assert then == published_rows
