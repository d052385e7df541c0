"""Two departments under a real Airflow 3.3.2 scheduler (LocalExecutor) on the lake: their
tasks overlap in time, and what they leave equals the same departments run one after another.

Airflow's metadata is in the test's PostgreSQL (LocalExecutor + PostgreSQL, as a scaled-out
Airflow runs; its API server reaches it with the pinned ``asyncpg``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ddss.lake.postgres import LocalPostgres, free_port
from ddss.orchestration import airflow_env

from .lake_runs import environment, run_serial, small_feeds, warehouse_state, workspace

pytestmark = pytest.mark.integration

TWO = ["hanoi_police", "hanoi_transport"]
WAIT_SECONDS = 1800


@pytest.fixture(scope="module")
def feeds_two(tmp_path_factory) -> Iterator[Path]:
    with small_feeds(tmp_path_factory.mktemp("airflow_feeds")) as out:
        yield out


def _metadata_url(postgres: LocalPostgres, home: Path) -> str:
    # PostgreSQL metadata, as a scaled-out Airflow runs (its API server needs asyncpg, pinned)
    postgres.create_database("airflow_metadata")
    return f"postgresql+psycopg2://postgres@127.0.0.1:{postgres.port}/airflow_metadata"


def _metadata(url: str, sql: str, dag_ids: list[str]) -> list[tuple]:
    import sqlalchemy

    statement = sqlalchemy.text(sql).bindparams(sqlalchemy.bindparam("ids", expanding=True))
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(statement, {"ids": dag_ids})]
    finally:
        engine.dispose()


def _utc(moment) -> datetime:
    """A timestamp from the metadata: aware in PostgreSQL, naive UTC (text) in SQLite."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _wait_for_transform_runs(url: str, components) -> dict[str, tuple]:
    """{department: (state, run_after)} of each department's asset-triggered run, once
    every one has ended."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert components.poll() is None, "Airflow's components stopped"
        rows = _metadata(
            url, "select dag_id, state, run_after from dag_run where dag_id in :ids", TWO
        )
        ended = {d: (s, after) for d, s, after in rows if s in ("success", "failed")}
        if set(ended) == set(TWO):
            return ended
        time.sleep(5)
    raise AssertionError(f"the departments' runs did not end in {WAIT_SECONDS} s")


def _wait_for_api_server(port: int, components) -> None:
    """Tasks report to the API server's execution API: a task started before it listens
    fails at once (retries are 0), so the DAGs are unpaused only when it answers."""
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert components.poll() is None, "Airflow's components stopped"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    raise AssertionError("Airflow's API server did not answer in 600 s")


def _unpause(dag_id: str, env: dict[str, str]) -> None:
    """Unpause once the DAG processor has parsed the DAG (a new home starts empty)."""
    deadline = time.monotonic() + 600
    while True:
        done = airflow_env.airflow(
            ["dags", "unpause", dag_id], env, check=False, capture_output=True
        )
        if done.returncode == 0:
            return
        assert time.monotonic() < deadline, done.stdout + done.stderr
        time.sleep(5)


def test_two_departments_run_at_once_under_the_scheduler_and_equal_the_serial_run(
    feeds_two, postgres, tmp_path_factory
):
    root = tmp_path_factory.mktemp("airflow_lake")
    cfg = workspace(root, feeds_two, postgres.create_database("airflow_lake"))
    port = free_port()
    env = airflow_env.environment(cfg, root / "airflow", port)
    env.update(environment(cfg))  # the lake and the departments' API
    url = _metadata_url(postgres, root / "airflow")
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url
    env["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
    airflow_env.init(env)  # lake mode: a one-slot writers' pool per department
    pools = airflow_env.airflow(["pools", "list", "-o", "plain"], env, capture_output=True).stdout
    assert all(f"{airflow_env.POOL}__{d}" in pools for d in TWO), pools
    components = airflow_env.start_components(env, port)
    try:
        _wait_for_api_server(port, components)
        for dag_id in [*TWO, *(f"{d}__extract" for d in TWO)]:  # transforms first
            _unpause(dag_id, env)
        ended = _wait_for_transform_runs(url, components)
    finally:
        airflow_env.stop_components(components)
    assert {d: s for d, (s, _) in ended.items()} == dict.fromkeys(TWO, "success"), ended

    tasks = [
        (dag_id, task_id, _utc(start), _utc(end))
        for dag_id, task_id, start, end in _metadata(
            url,
            "select dag_id, task_id, start_date, end_date from task_instance "
            "where dag_id in :ids and state = 'success'",
            [*TWO, *(f"{d}__extract" for d in TWO)],
        )
    ]
    department = {t: t.removesuffix("__extract") for t, *_ in tasks}
    overlapping = [
        (a[:2], b[:2])
        for a in tasks
        for b in tasks
        if department[a[0]] < department[b[0]] and a[2] < b[3] and b[2] < a[3]
    ]
    assert overlapping, f"no task of one department overlapped the other's: {tasks}"

    # The same departments, one after another, judged as of the same day as the runs.
    as_of = {_utc(after).date() for _, after in ended.values()}
    assert len(as_of) == 1
    serial = workspace(
        tmp_path_factory.mktemp("airflow_serial"),
        feeds_two,
        postgres.create_database("airflow_serial"),
    )
    run_serial(serial, TWO, as_of=as_of.pop())
    expected, found = warehouse_state(serial), warehouse_state(cfg)
    assert sorted(found) == sorted(expected)
    for name, rows in expected.items():
        assert found[name] == rows, name
