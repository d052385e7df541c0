"""`ddss run` that cannot finish: a dbt step that fails, a warehouse another process holds.
It ends with exit code 1 and a message in Vietnamese, then English, naming what failed —
never a Python traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import hold_warehouse
from ddss.settings import load_settings

DDSS = str(Path(sys.executable).with_name("ddss"))


def _env(root: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDSS_", "AIRFLOW"))}
    env.update(DDSS_DATA_DIR=str(root / "data"), DDSS_PUBLIC_DIR=str(root / "public"), **more)
    return env


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DDSS, "run", "--run-id", "broken-1", "--as-of", "2022-08-11", "--full"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_failing_dbt_model_ends_the_run_with_a_bilingual_message(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(
        load_settings().dbt_project_dir, project, ignore=shutil.ignore_patterns("target")
    )
    model = next(project.rglob("stg_hanoi_health__electronic_health_records.sql"))
    model.write_text("select no_such_column from no_such_table\n", "utf-8")
    done = _run(_env(tmp_path, DDSS_DBT_PROJECT_DIR=str(project)))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    [line] = [x for x in done.stderr.splitlines() if "broken-1" in x]
    assert line.index("Lượt chạy broken-1 dừng") < line.index(" / Run broken-1 stopped")
    assert "dbt" in line
    # dbt's own words name the step and the model that failed.
    assert "dbt build --select staging failed" in done.stderr
    assert "stg_hanoi_health__electronic_health_records" in done.stderr
    assert not (tmp_path / "public").exists()


@pytest.mark.slow
def test_a_warehouse_held_by_another_process_ends_the_run_with_a_bilingual_message(tmp_path):
    warehouse = tmp_path / "data" / "warehouse" / "ddss.duckdb"
    holder = hold_warehouse(warehouse, 120)
    try:
        done = _run(_env(tmp_path, DDSS_WAREHOUSE_LOCK_WAIT_SECONDS="1"))
    finally:
        holder.kill()
        holder.wait(30)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    [line] = [x for x in done.stderr.splitlines() if "broken-1" in x]
    assert line.index("Lượt chạy broken-1 dừng") < line.index(" / run broken-1 stopped")
    assert line.index("Kho dữ liệu") < line.index(" / The warehouse")
    assert str(warehouse) in line and f"PID {holder.pid}" in line
