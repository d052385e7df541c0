"""The project-local Airflow: AIRFLOW_HOME under the repository, SQLite metadata, the
project's dags/ and plugins/ folders. Used by `make demo`, `make airflow` and the tests."""

from __future__ import annotations

import configparser
import json
import os
import secrets
import subprocess
import sys
import tempfile
from base64 import urlsafe_b64encode
from pathlib import Path

from ddss.settings import Settings, load_settings

POOL = "duckdb_writer"
API_PORT = 8080
# Secrets Airflow's components must share (JWT for the task execution API, the API server's
# session key, Fernet for connections): generated once per home and kept in its airflow.cfg.
SECRETS = {("api_auth", "jwt_secret"), ("api", "secret_key"), ("core", "fernet_key")}
# Set by the caller on purpose (a test that chooses another metadata database, say).
KEEP_FROM_ENVIRONMENT = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__EXECUTOR"}


def _existing_secrets(cfg_path: Path) -> dict[tuple[str, str], str]:
    parser = configparser.ConfigParser(interpolation=None)
    if cfg_path.exists():
        parser.read(cfg_path, encoding="utf-8")
    return {
        (section, key): parser.get(section, key)
        for section, key in SECRETS
        if parser.has_option(section, key) and parser.get(section, key)
    }


def _new_secret(key: tuple[str, str]) -> str:
    if key == ("core", "fernet_key"):
        return urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(32)


def write_config(cfg: Settings, home: Path, api_port: int = API_PORT) -> Path:
    """The project's own ``airflow.cfg``: plain ``airflow`` commands run with
    ``AIRFLOW_HOME=.airflow`` see the project's DAGs (not Airflow's examples), SQLite
    metadata, LocalExecutor with one worker per core, everything on 127.0.0.1. Rewritten on
    every call from these settings; its secrets are kept."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "airflow.cfg"
    kept = _existing_secrets(path)
    secret = {key: kept.get(key) or _new_secret(key) for key in SECRETS}
    workers = str(max(1, os.cpu_count() or 1))
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(
        {
            "core": {
                "dags_folder": str(cfg.home / "dags"),
                "plugins_folder": str(cfg.home / "plugins"),
                "load_examples": "False",
                "executor": "LocalExecutor",
                # LocalExecutor starts this many workers: one per core, not Airflow's 32.
                "parallelism": workers,
                "max_active_tasks_per_dag": workers,
                # Unpaused, the scheduler would at once run the latest period on whatever is
                # in landing/ and judge it as of today: an engineer unpauses on purpose.
                "dags_are_paused_at_creation": "True",
                "execution_api_server_url": f"http://127.0.0.1:{api_port}/execution/",
                "fernet_key": secret[("core", "fernet_key")],
            },
            "database": {"sql_alchemy_conn": f"sqlite:///{home / 'airflow.db'}"},
            "logging": {"base_log_folder": str(home / "logs")},
            "api": {
                "host": "127.0.0.1",
                "port": str(api_port),
                "base_url": f"http://127.0.0.1:{api_port}",
                "secret_key": secret[("api", "secret_key")],
            },
            "api_auth": {"jwt_secret": secret[("api_auth", "jwt_secret")]},
        }
    )
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# Written by ddss.orchestration.airflow_env.write_config on every init.\n")
        parser.write(handle)
    path.chmod(0o600)  # it holds the secrets
    return path


def environment(
    cfg: Settings | None = None, airflow_home: Path | None = None, api_port: int = API_PORT
) -> dict[str, str]:
    """The environment for Airflow's processes: the project's home and config, the
    pipeline's settings; other ``AIRFLOW__*`` variables of the caller are dropped so that the
    file is the one truth (``airflow config list`` shows what runs)."""
    from ddss.warehouse import environment as warehouse_environment

    cfg = cfg or load_settings()
    home = airflow_home or Path(os.environ.get("AIRFLOW_HOME") or cfg.home / ".airflow")
    write_config(cfg, home, api_port)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AIRFLOW__") or name in KEEP_FROM_ENVIRONMENT
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
            "DDSS_HOME": str(cfg.home),
            "DDSS_LANDING_DIR": str(cfg.landing_dir),
            "DDSS_RAW_DIR": str(cfg.raw_dir),
            "DDSS_PUBLIC_DIR": str(cfg.public_dir),
            "DDSS_REPORTS_DIR": str(cfg.reports_dir),
            **warehouse_environment(cfg),  # DDSS_WAREHOUSE, and the lake when there is one
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(cfg.home / "plugins"), os.environ.get("PYTHONPATH")])
            ),
            "NO_PROXY": "*",
            **({"DDSS_API_URL": cfg.api_url} if cfg.api_url else {}),
            # Airflow starts its components as `airflow ...` found on PATH.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
    )
    return env


def airflow(
    args: list[str], env: dict[str, str], check: bool = True, **kwargs
) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("airflow")
    return subprocess.run([str(executable), *args], env=env, check=check, text=True, **kwargs)


def pools(env: dict[str, str]) -> dict[str, dict]:
    """The writers' pools, as `airflow pools import` reads them: the one-slot pool for the
    DuckDB file and, on the lake, one one-slot pool per department."""
    found = {POOL: {"slots": 1, "description": "DuckDB allows one writing process per file"}}
    if env.get("DDSS_LAKE_CATALOG") or env.get("DDSS_MODE") == "lake":
        from ddss.data_contracts import load_departments

        for department in load_departments():
            found[f"{POOL}__{department}"] = {
                "slots": 1,
                "description": f"lake: {department}'s writers",
            }
    return found


def init(env: dict[str, str]) -> None:
    """Migrate the metadata database and create the one-slot writer pool (on the lake, one
    one-slot pool per department: see ``dag_factory.writer_pool``): two `airflow` processes,
    whatever the number of pools."""
    airflow(["db", "migrate"], env, capture_output=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pools.json"
        path.write_text(json.dumps(pools(env)), "utf-8")
        airflow(["pools", "import", str(path)], env, capture_output=True)


def dag_reports(output: str) -> list[dict]:
    """What ``ddss.orchestration.dag_runs`` printed for each DAG run, in order: dag_id,
    state, tasks ({task id: state}), failed_tasks, seconds, pid (the process that ran it)."""
    from ddss.orchestration.dag_runs import STATE_MARK

    return [
        json.loads(line.removeprefix(STATE_MARK))
        for line in output.splitlines()
        if line.startswith(STATE_MARK)
    ]


def dags_test(
    dag_ids: list[str], logical_date: str, env: dict[str, str]
) -> tuple[dict[str, str], str]:
    """Airflow's `dags test` (``DAG.test()``) of each DAG in turn, in ONE process that parses
    the DAG folder once (``ddss.orchestration.dag_runs``), until one does not succeed:
    ({dag id: final state read from the metadata database}, the output)."""
    process = subprocess.run(
        [sys.executable, "-m", "ddss.orchestration.dag_runs", logical_date, *dag_ids],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    output = (process.stdout or "") + (process.stderr or "")
    return {r["dag_id"]: r["state"] for r in dag_reports(process.stdout or "")}, output


def dag_test(dag_id: str, logical_date: str, env: dict[str, str]) -> tuple[str, str]:
    """`airflow dags test` of one DAG: (its run's final state, the output)."""
    states, output = dags_test([dag_id], logical_date, env)
    return states.get(dag_id, "unknown"), output


def department_dag_ids(departments: list[str]) -> list[str]:
    """The DAGs as the scheduler chains them: each department's ``<department>__extract``
    then ``<department>`` (which its raw assets trigger), and one ``publish`` at the end
    (which the departments' validated assets trigger)."""
    from ddss.orchestration.dag_factory import EXTRACT_SUFFIX, PUBLISH_DAG

    chain = [d for department in departments for d in (f"{department}{EXTRACT_SUFFIX}", department)]
    return [*chain, PUBLISH_DAG]


def first_failure(dag_ids: list[str], output: str) -> str | None:
    """The first of ``dag_ids`` whose run did not succeed, named with its failed tasks, as
    "<dag id>: <state> (task <task id>: <state>, ...)"; None when every one succeeded."""
    reports = {r["dag_id"]: r for r in dag_reports(output)}
    for dag_id in dag_ids:
        report = reports.get(dag_id) or {"state": "not run", "tasks": {}, "failed_tasks": []}
        if report["state"] != "success":
            failed = [f"task {t}: {report['tasks'][t]}" for t in report["failed_tasks"]]
            return f"{dag_id}: {report['state']}" + (f" ({', '.join(failed)})" if failed else "")
    return None


def departments_test(
    departments: list[str], logical_date: str, env: dict[str, str]
) -> tuple[str, str]:
    """The departments' DAGs and one publication, as the scheduler would chain them, in one
    process. `dags test` runs without a scheduler, so the asset-triggered runs are started
    here, with the same logical date. ("success", output), or (the first DAG that did not
    succeed and its failed tasks, output): see :func:`first_failure`."""
    dag_ids = department_dag_ids(departments)
    _, output = dags_test(dag_ids, logical_date, env)
    return first_failure(dag_ids, output) or "success", output


def department_test(department: str, logical_date: str, env: dict[str, str]) -> tuple[str, str]:
    """One department's two DAGs, then the publication."""
    return departments_test([department], logical_date, env)


# `airflow standalone` would also start each component's log server, which listens on every
# interface (0.0.0.0, not configurable) and is not needed on one machine: the API server
# reads the log files directly. So the components are started here, without it.
COMPONENTS = (
    ["scheduler", "--skip-serve-logs"],
    ["dag-processor"],
    ["triggerer", "--skip-serve-logs"],
    ["api-server", "--host", "127.0.0.1"],
)


def start_components(env: dict[str, str], port: int = API_PORT) -> subprocess.Popen:
    """Airflow's four components in one new process group, all on 127.0.0.1; stop them
    together with :func:`stop_components`."""
    executable = str(Path(sys.executable).with_name("airflow"))
    commands = [
        [executable, *c, *(["--port", str(port)] if c[0] == "api-server" else [])]
        for c in COMPONENTS
    ]
    # One supervisor shell per group: its children inherit the group, and a signal to the
    # group reaches the scheduler's LocalExecutor workers too.
    script = " & ".join(subprocess.list2cmdline(c) for c in commands) + " & wait"
    return subprocess.Popen(["/bin/sh", "-c", script], env=env, start_new_session=True)


def stop_components(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the whole group, SIGKILL to what is left after ``timeout`` seconds."""
    import signal
    import time

    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
