"""The five steps every department's DAG wires. DAG files call ``department_dag`` with
their own id and documentation; nothing here does I/O at parse time, and each task imports
the heavy modules (dbt, GX, DuckDB) only when it runs."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

WRITER_POOL = "duckdb_writer"
PORTAL = Asset("ddss://public/portal")


def department_dag(department: str, datasets: list[str], doc_md: str, schedule: str = "@monthly",
                   start: tuple[int, int, int] = (2022, 1, 1)):
    """extract → stage → validate → build_marts → publish, for one department."""

    @dag(
        dag_id=department,
        schedule=schedule,
        start_date=pendulum.datetime(*start, tz="Asia/Ho_Chi_Minh"),
        catchup=False,
        max_active_runs=1,
        doc_md=doc_md,
        tags=["ddss", department],
        # DuckDB allows one writing process per file: every task takes the one slot.
        default_args={"pool": WRITER_POOL, "retries": 0},
    )
    def pipeline():
        @task(outlets=[Asset(f"ddss://raw/{d}") for d in datasets])
        def extract(run_id=None) -> dict:
            from ddss.pipeline import extract_step

            return extract_step(run_id, department)

        @task
        def stage() -> None:
            from ddss.pipeline import stage_step

            stage_step(department=department)

        @task
        def validate(run_id=None, logical_date=None) -> dict:
            from ddss.pipeline import validate_step

            # Freshness (sống) is judged as of the run's logical date, not the wall clock.
            return validate_step(run_id, department, as_of=logical_date.date() if logical_date else None)

        @task
        def build_marts() -> None:
            from ddss.pipeline import marts_step

            marts_step(department=department)

        @task(outlets=[PORTAL])
        def publish(run_id=None) -> dict:
            from ddss.pipeline import publish_step

            return publish_step(run_id)

        extract() >> stage() >> validate() >> build_marts() >> publish()

    return pipeline()
