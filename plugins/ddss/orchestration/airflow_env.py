"""The project-local Airflow: AIRFLOW_HOME under the repository, SQLite metadata, the
project's dags/ and plugins/ folders. Used by `make demo`, `make airflow` and the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ddss.settings import Settings, load_settings

POOL = "duckdb_writer"


def environment(cfg: Settings | None = None, airflow_home: Path | None = None) -> dict[str, str]:
    cfg = cfg or load_settings()
    home = airflow_home or Path(os.environ.get("AIRFLOW_HOME") or cfg.home / ".airflow")
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(cfg.home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(cfg.home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "DDSS_HOME": str(cfg.home),
            "DDSS_LANDING_DIR": str(cfg.landing_dir),
            "DDSS_RAW_DIR": str(cfg.raw_dir),
            "DDSS_WAREHOUSE": str(cfg.warehouse_path),
            "DDSS_PUBLIC_DIR": str(cfg.public_dir),
            "DDSS_REPORTS_DIR": str(cfg.reports_dir),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(cfg.home / "plugins"), os.environ.get("PYTHONPATH")])
            ),
            "NO_PROXY": "*",
            **({"DDSS_API_URL": cfg.api_url} if cfg.api_url else {}),
            # `airflow standalone` starts its components as `airflow ...` found on PATH.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    return env


def airflow(
    args: list[str], env: dict[str, str], check: bool = True, **kwargs
) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("airflow")
    return subprocess.run([str(executable), *args], env=env, check=check, text=True, **kwargs)


def init(env: dict[str, str]) -> None:
    """Migrate the metadata database and create the one-slot writer pool."""
    airflow(["db", "migrate"], env, capture_output=True)
    airflow(
        ["pools", "set", POOL, "1", "DuckDB allows one writing process per file"],
        env,
        capture_output=True,
    )


def dag_test(dag_id: str, logical_date: str, env: dict[str, str]) -> tuple[str, str]:
    """`airflow dags test`, then read the run's final state from the metadata database."""
    process = airflow(["dags", "test", dag_id, logical_date], env, check=False, capture_output=True)
    listing = airflow(
        ["dags", "list-runs", dag_id, "-o", "json"], env, check=False, capture_output=True
    )
    state = "unknown"
    # Airflow prints warnings on stdout too: the JSON is the line that starts with '['.
    for line in (listing.stdout or "").splitlines():
        if line.startswith("["):
            runs = json.loads(line)
            if runs:
                state = max(runs, key=lambda r: r.get("start_date") or "").get("state", "unknown")
    return state, (process.stdout or "") + (process.stderr or "")


def department_test(department: str, logical_date: str, env: dict[str, str]) -> tuple[str, str]:
    """A department's two DAGs as the scheduler would chain them: ``<department>__extract``,
    then ``<department>`` (which the raw assets trigger). `dags test` runs without a
    scheduler, so the asset-triggered run is started here, with the same logical date."""
    from ddss.orchestration.dag_factory import EXTRACT_SUFFIX

    outputs = []
    for dag_id in (f"{department}{EXTRACT_SUFFIX}", department):
        state, output = dag_test(dag_id, logical_date, env)
        outputs.append(output)
        if state != "success":
            return f"{dag_id}: {state}", "\n".join(outputs)
    return "success", "\n".join(outputs)
