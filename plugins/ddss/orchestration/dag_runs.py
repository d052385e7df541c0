"""`airflow dags test` for several DAGs in one process, the DAG folder parsed once.

Each `airflow` command is a new Python process that imports Airflow, configures it and parses
the DAG folder again: the demo used to start 36 of them (a `dags test` and a `dags list-runs`
for each of 18 DAGs), most of its time. This module runs Airflow's own ``DAG.test()`` (what
`airflow dags test` calls) for each DAG in turn, in one process, and prints each run's final
state and its tasks' states as they are read back from the metadata database. It stops at
the first DAG whose run does not succeed.

The DAG folder is parsed and written to the metadata database once, at the start, as the
DAG processor would. Airflow 3.3's ``DAG.test()`` parses and serialises the whole folder
again on every call (to write sibling DAGs, apache/airflow#64884), and `airflow dags test`
once more before it: two parses of 20 DAGs per DAG run, the largest cost besides the tasks'
own work. Here each call is given the folder parsed at the start (the files do not change
during the run); everything else — dag runs, task instances, asset events, XCom, Airflow's
execution API — is Airflow's own.

    python -m ddss.orchestration.dag_runs <logical date> <dag id> [<dag id> ...]
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STATE_MARK = "DDSS-DAG-STATE "
# Tasks in these states made the run fail (named in the state line and by departments_test).
FAILED_TASK_STATES = ("failed", "upstream_failed")


def _task_states(dag_id: str, run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(TaskInstance.task_id, TaskInstance.state)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            .all()
        )
        return {task_id: str(state) for task_id, state in rows}  # Airflow's states print bare


def _last_run(dag_id: str) -> tuple[str, str] | None:
    """(run id, state) of the DAG's latest run, read from the metadata database."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = (
            session.query(DagRun.run_id, DagRun.state)
            .filter(DagRun.dag_id == dag_id)
            .order_by(DagRun.id.desc())
            .first()
        )
        return (run[0], str(run[1])) if run else None


@contextmanager
def folder_parsed_once() -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """Parse each DAG bundle's folder and write it to the metadata database once; within
    the block, Airflow's own code that would parse a bundle's whole folder again gets that
    bag, and writing it again is skipped. Yields ({dag id: DAG}, {file: import error})."""
    from unittest import mock

    from airflow.dag_processing import dagbag as module
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    parse, sync = module.BundleDagBag, module.sync_bag_to_db
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bags: dict[str, Any] = {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = parse(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync(bag, bundle.name, bundle.version)
        bags[os.fspath(bundle.path)] = bag

    def parsed(*args: Any, **kwargs: Any) -> Any:
        folder = kwargs.get("dag_folder", args[0] if args else None)
        found = bags.get(os.fspath(folder)) if folder is not None else None
        return found if found is not None else parse(*args, **kwargs)  # a single file, say

    def synced(bag: Any, *args: Any, **kwargs: Any) -> Any:
        if any(bag is known for known in bags.values()):
            return None  # written at the start, unchanged since
        return sync(bag, *args, **kwargs)

    dags = {dag_id: dag for bag in bags.values() for dag_id, dag in bag.dags.items()}
    errors = {
        file: str(error) for bag in bags.values() for file, error in bag.import_errors.items()
    }
    with (
        mock.patch.object(module, "BundleDagBag", parsed),
        mock.patch.object(module, "sync_bag_to_db", synced),
    ):
        yield dags, errors


def _report(dag_id: str, state: str, tasks: dict[str, str], seconds: float) -> None:
    failed = sorted(t for t, s in tasks.items() if s in FAILED_TASK_STATES)
    line: dict[str, Any] = {"dag_id": dag_id, "state": state, "tasks": tasks}
    line.update(failed_tasks=failed, seconds=round(seconds, 2), pid=os.getpid())
    print(STATE_MARK + json.dumps(line), flush=True)


def main(argv: list[str]) -> int:
    from airflow._shared.timezones.timezone import parse as parse_date
    from airflow.providers_manager import ProvidersManager

    logical_date, dag_ids = parse_date(argv[0]), argv[1:]
    ProvidersManager().initialize_providers_configuration()  # as `airflow dags test` does
    with folder_parsed_once() as (dags, errors):
        for dag_id in dag_ids:
            started = time.monotonic()
            dag = dags.get(dag_id)
            if dag is None:
                for file, error in errors.items():
                    print(f"DAG file {file} did not parse: {error}", file=sys.stderr, flush=True)
                _report(dag_id, "not parsed", {}, 0.0)
                return 1
            try:
                dag.test(logical_date=logical_date)
            except Exception as error:  # Airflow logs a failing task: the states below say so
                print(f"{dag_id}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            run = _last_run(dag_id)  # the run just made (dag.test replaces one of that date)
            state = run[1] if run else "unknown"
            _report(
                dag_id,
                state,
                _task_states(dag_id, run[0]) if run else {},
                time.monotonic() - started,
            )
            if state != "success":
                return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
