"""`airflow dags test` for several DAGs in one process.

Each `airflow` command is a new Python process that imports Airflow, configures it and parses
the DAG folder again: the demo used to start 36 of them (a `dags test` and a `dags list-runs`
for each of 18 DAGs), most of its time. This module runs Airflow's own `dags test` command
(the same function, the same arguments) for each DAG in turn, in one process, and prints each
run's final state as it is read back from the metadata database. It stops at the first DAG
whose run does not succeed.

    python -m ddss.orchestration.dag_runs <logical date> <dag id> [<dag id> ...]
"""

from __future__ import annotations

import json
import sys

STATE_MARK = "DDSS-DAG-STATE "


def _final_state(dag_id: str) -> str:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = (
            session.query(DagRun)
            .filter(DagRun.dag_id == dag_id)
            .order_by(DagRun.start_date.desc())
            .limit(1)
            .all()
        )
        return str(runs[0].state) if runs else "unknown"


def main(argv: list[str]) -> int:
    from airflow.cli.cli_parser import get_parser

    logical_date, dag_ids = argv[0], argv[1:]
    parser = get_parser()
    for dag_id in dag_ids:
        args = parser.parse_args(["dags", "test", dag_id, logical_date])
        try:
            args.func(args)
        except SystemExit:  # "DagRun failed": the state below says so
            pass
        state = _final_state(dag_id)
        print(STATE_MARK + json.dumps({"dag_id": dag_id, "state": state}), flush=True)
        if state != "success":
            return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
