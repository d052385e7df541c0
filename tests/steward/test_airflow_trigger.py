# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""Submitting starts the department's pipeline in REAL Airflow 3: its API server (with the
project's DAGs serialized into a temporary metadata database and SimpleAuthManager's JWT
from ``POST /auth/token``) is started here, a steward submits a file through the workspace,
and the DAG run is then read back from Airflow's own REST API.

The stub (``airflow_stub.py``) stays for the error cases a real server will not produce on
demand; the happy path is this one."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from steward_env import DOSSIER_ROW, dossiers_csv, env  # noqa: F401 - fixture

from ddss.orchestration import airflow_env
from ddss.steward.settings import load_steward_settings

pytestmark = pytest.mark.slow
USER, PASSWORD = "steward-bot", "a-long-airflow-password-for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _token(url: str) -> str:
    answer = httpx.post(f"{url}/auth/token", json={"username": USER, "password": PASSWORD})
    answer.raise_for_status()
    return answer.json()["access_token"]


@pytest.fixture
def airflow_api(env, tmp_path):
    """Airflow's API server on 127.0.0.1 (one worker), the project's DAGs serialized into
    its SQLite metadata, one SimpleAuthManager user whose password file is written here."""
    port = _free_port()
    home = tmp_path / "airflow"
    environ = airflow_env.environment(env.cfg, home, api_port=port)
    environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = f"{USER}:admin"
    airflow_env.init(environ)
    # SimpleAuthManager keeps the users' passwords in this file and generates only the
    # missing ones: the test's user gets its own.
    (home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({USER: PASSWORD}), "utf-8"
    )
    airflow_env.airflow(["dags", "reserialize"], environ, capture_output=True)
    log = (tmp_path / "api-server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("airflow")),
            "api-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Airflow's API server did not start:\n" + _tail(tmp_path))
            time.sleep(1)
        yield url
    finally:
        airflow_env.stop_components(server, timeout=10)
        log.close()


def _tail(tmp_path) -> str:
    return (tmp_path / "api-server.log").read_text("utf-8", "replace")[-4000:]


def test_a_submission_starts_the_departments_extract_dag_in_airflow(env, airflow_api, monkeypatch):
    monkeypatch.setenv("DDSS_AIRFLOW_URL", airflow_api)
    monkeypatch.setenv("DDSS_AIRFLOW_USERNAME", USER)
    monkeypatch.setenv("DDSS_AIRFLOW_PASSWORD", PASSWORD)
    env.app.state.ws.steward = load_steward_settings(env.cfg)
    client, csrf = env.sign_in("pasc")
    data = dossiers_csv([DOSSIER_ROW])
    page = client.post(
        "/datasets/admin_procedure_dossiers/upload",
        data={"csrf_token": csrf, "period": "2022-07"},
        files={"file": ("ho so thang 7.csv", data, "text/csv")},
    )
    assert page.status_code == 200 and 'id="submit"' in page.text, page.text
    upload_id = str(page.url).rsplit("/", 1)[-1]
    submitted = client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 200 and 'id="receipt"' in submitted.text, submitted.text
    receipt = json.loads(env.app.state.ws.steward.submissions_log.read_text().splitlines()[-1])

    # What Airflow itself says: the department's extract DAG has a run for this receipt.
    headers = {"Authorization": f"Bearer {_token(airflow_api)}"}
    runs = httpx.get(
        f"{airflow_api}/api/v2/dags/tuyen_quang_pasc__extract/dagRuns", headers=headers
    ).json()["dag_runs"]
    (run,) = [r for r in runs if (r.get("conf") or {}).get("receipt") == receipt["receipt"]]
    assert run["run_type"] == "manual"
    assert run["conf"]["dataset"] == "admin_procedure_dossiers"
    assert run["note"] == f"steward submission {receipt['receipt']}"
    # The page names the run Airflow created, and no other department's DAG was started.
    assert run["dag_run_id"] in submitted.text and "tuyen_quang_pasc__extract" in submitted.text
    other = httpx.get(f"{airflow_api}/api/v2/dags/hanoi_health__extract/dagRuns", headers=headers)
    assert other.json()["total_entries"] == 0
    # The credentials never reach the steward's page.
    assert PASSWORD not in submitted.text and USER not in submitted.text
