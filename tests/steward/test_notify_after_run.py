"""Notifications after a real pipeline run, sent by the ``steward_notify`` DAG in real
Airflow (``airflow dags test``) to a real SMTP server (aiosmtpd): the rows a run
quarantined are one mail per steward; a second run with nothing new mails nobody
(``ddss steward-notify``, what follows ``ddss run`` without Airflow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from steward_env import PASSWORD, smtp_inbox

from conftest import AS_OF, workspace
from ddss.orchestration import airflow_env
from ddss.orchestration.pipeline import (
    extract_step,
    marts_step,
    publish_step,
    stage_step,
    validate_step,
)
from ddss.steward import pipeline_files as files
from ddss.steward.accounts import AccountStore
from ddss.steward.file_events import events_path
from ddss.steward.settings import load_steward_settings

DEPARTMENT = "tuyen_quang_pasc"
STEWARDS = {"pasc1": DEPARTMENT, "pasc2": DEPARTMENT, "health": "hanoi_health"}


def _run(run_id: str, cfg) -> None:
    """The department's DAG steps, in this process (as ``ddss run`` does)."""
    extract_step(run_id, department=DEPARTMENT, cfg=cfg)
    stage_step(cfg, DEPARTMENT)
    validate_step(run_id, department=DEPARTMENT, cfg=cfg, as_of=AS_OF)
    marts_step(cfg, DEPARTMENT)
    publish_step(run_id, cfg)


def _mails(messages, to):
    return [f"{m['Subject']}\n{m.get_content()}" for rcpt, m in messages if to in rcpt]


@pytest.mark.slow
def test_a_run_with_new_quarantined_rows_mails_each_steward_once(tmp_path, monkeypatch, feeds):
    cfg = workspace(tmp_path, monkeypatch)
    shutil.copytree(feeds / DEPARTMENT, cfg.landing_dir / DEPARTMENT)
    monkeypatch.setenv("DDSS_STEWARD_DIR", str(tmp_path / "steward"))
    monkeypatch.setenv("DDSS_STEWARD_AS_OF", AS_OF.isoformat())
    steward = load_steward_settings(cfg)
    accounts = AccountStore(steward.accounts_db)
    for username, department in STEWARDS.items():
        accounts.add(username, department, PASSWORD, f"{username}@example.org")

    _run("run-1", cfg)
    held = {
        contract.id: files.open_rows(
            [r for r in files.quarantined_rows(cfg, DEPARTMENT) if r["dataset"] == contract.id]
        )
        for contract in files.department_contracts(cfg, DEPARTMENT)
    }
    assert held["admin_procedure_dossiers"] > 0  # the demo's July file has planted defects

    with smtp_inbox(monkeypatch) as inbox:
        # The DAG, run by Airflow (its environment carries the settings above).
        environ = airflow_env.environment(cfg, tmp_path / "airflow")
        airflow_env.init(environ)
        moment = datetime(2022, 8, 11, tzinfo=UTC).isoformat()
        state, output = airflow_env.dag_test("steward_notify", moment, environ)
        assert state == "success", output[-5000:]
        first = inbox.take()
        for username in STEWARDS:
            assert len(_mails(first, f"{username}@example.org")) == 1, username
        (pasc,) = _mails(first, "pasc1@example.org")
        for dataset, rows in held.items():
            if rows:
                assert f"/quarantine?dataset={dataset}" in pasc, dataset
        assert pasc.index("dòng mới cần sửa") < pasc.index("new rows to fix")
        (health,) = _mails(first, "health@example.org")
        assert "dòng mới cần sửa" not in health and "quarantine" not in health
        # The DAG copied the warehouse's file events for the workspace.
        events = json.loads(events_path(steward).read_text("utf-8"))["events"]
        loaded = {e["file_name"] for e in events if e["status"] == "loaded"}
        assert "ho_so_2022-07.csv" in loaded
        assert loaded <= {p.name for p in (cfg.landing_dir / DEPARTMENT).iterdir()}

        # The same data again: new run, new report, no new status: no mail at all.
        _run("run-2", cfg)
        assert len(list(cfg.reports_dir.glob(f"*/{DEPARTMENT}"))) == 2
        out = subprocess.run(
            [str(Path(sys.executable).with_name("ddss")), "steward-notify"],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
        )
        assert "0 thông báo" in out.stdout, out.stdout + out.stderr
        assert inbox.take() == []


PARSE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags["steward_notify"]
condition = dag.timetable.asset_condition
print("JSON" + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "assets": sorted(a.uri for a in getattr(condition, "objects", [condition])),
    "tasks": sorted(dag.task_ids),
    "pools": sorted({t.pool for t in dag.tasks}),
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("duckdb", "dbt", "smtplib")
                    or m.startswith("ddss.steward")),
}))
"""


def test_the_dag_runs_after_each_publication_in_the_writers_pool(tmp_path):
    from conftest import REPO

    environ = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "DDSS_DATA_DIR": str(tmp_path / "data"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PARSE, str(REPO / "dags" / "steward_notify.py")],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("JSON"))[4:])
    assert result["errors"] == {}
    assert result["assets"] == ["ddss://public/portal"]
    assert result["tasks"] == ["notify"] and result["pools"] == ["duckdb_writer"]
    assert result["heavy"] == []  # the task imports the notify code when it runs
