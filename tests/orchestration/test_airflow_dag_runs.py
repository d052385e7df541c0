"""The DAG runs of `make demo` (``airflow_env.dags_test``): every DAG in ONE process, the DAG
folder parsed once for all of them, each run and its task instances recorded in Airflow's
metadata database, and the first DAG that fails named with its failed task (the DAGs after
it are not run). Real Airflow 3 on a folder of three small DAGs in a temporary home: the
project's own DAGs run in tests/integration/test_airflow_end_to_end.py."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from ddss.orchestration import airflow_env
from ddss.settings import workspace_settings

pytestmark = pytest.mark.slow

# Each parse of the file appends a line to PARSE_LOG; each task writes its process id.
DAGS = """
import os
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

with Path(os.environ["PARSE_LOG"]).open("a") as log:
    log.write("parsed\\n")


def _pid_to(name):
    Path(os.environ["PARSE_LOG"]).with_name(name).write_text(str(os.getpid()))


def ok_dag(dag_id):
    @dag(dag_id=dag_id, schedule=None, start_date=pendulum.datetime(2022, 1, 1))
    def ok():
        @task
        def work():
            _pid_to(dag_id)

        work()

    return ok()


first, second = ok_dag("first"), ok_dag("second")


@dag(dag_id="broken", schedule=None, start_date=pendulum.datetime(2022, 1, 1))
def broken():
    @task
    def explode():
        raise ValueError("boom")

    @task
    def after():
        pass

    explode() >> after()


broken()
"""
DAG_IDS = ["first", "second", "broken", "first"]  # the last must not run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dag-runs")
    (root / "dags").mkdir()
    (root / "dags" / "small_dags.py").write_text(DAGS, "utf-8")
    env = airflow_env.environment(workspace_settings(root), root / "airflow")
    env.update(AIRFLOW__CORE__DAGS_FOLDER=str(root / "dags"), PARSE_LOG=str(root / "parses"))
    airflow_env.airflow(["db", "migrate"], env, capture_output=True)
    logical_date = datetime(2022, 8, 11, tzinfo=UTC).isoformat()
    states, output = airflow_env.dags_test(DAG_IDS, logical_date, env)
    return root, states, output


def test_every_dag_runs_in_one_process_that_parses_the_folder_once(runs):
    root, states, output = runs
    reports = airflow_env.dag_reports(output)
    assert [r["dag_id"] for r in reports] == ["first", "second", "broken"], output[-5000:]
    # One process ran every DAG, and the tasks ran inside it (Airflow's DAG.test()).
    assert len({r["pid"] for r in reports}) == 1
    assert {(root / d).read_text() for d in ("first", "second")} == {str(reports[0]["pid"])}
    # Parsed once for three DAG runs (`airflow dags test` parses it twice per DAG run).
    assert (root / "parses").read_text().splitlines() == ["parsed"]


def test_each_run_and_its_tasks_are_recorded_in_the_metadata_database(runs):
    root, states, output = runs
    assert states == {"first": "success", "second": "success", "broken": "failed"}
    with sqlite3.connect(root / "airflow" / "airflow.db") as db:
        runs_ = dict(db.execute("select dag_id, state from dag_run").fetchall())
        tasks = set(db.execute("select dag_id, task_id, state from task_instance").fetchall())
    assert runs_ == states
    assert tasks == {
        ("first", "work", "success"),
        ("second", "work", "success"),
        ("broken", "explode", "failed"),
        ("broken", "after", "upstream_failed"),
    }


def test_the_first_failing_dag_is_named_with_its_failed_tasks(runs):
    _, _, output = runs
    assert airflow_env.first_failure(DAG_IDS, output) == (
        "broken: failed (task after: upstream_failed, task explode: failed)"
    )
    assert "boom" in output  # the task's own error is in the log
    assert airflow_env.first_failure(["first", "second"], output) is None
