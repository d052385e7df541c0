"""The DAGs every department gets, linked by Airflow assets.

* ``<department>__extract`` runs on the data's own period (``@monthly``, ``@yearly``): new
  files (or the department's API) → raw archive → DuckDB ``raw.*``. Its task updates one
  asset per dataset, ``ddss://raw/<dataset>``.
* ``<department>`` is scheduled on those assets: when any of them is updated, it stages,
  validates, builds the marts and publishes.

DAG files call ``department_dags`` with their own id and documentation; nothing here does
I/O at parse time, and each task imports the heavy modules (dbt, GX, DuckDB) only when it
runs.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

WRITER_POOL = "duckdb_writer"
PORTAL = Asset("ddss://public/portal")
EXTRACT_SUFFIX = "__extract"


def raw_asset(dataset: str) -> Asset:
    return Asset(f"ddss://raw/{dataset}")


def _as_of(logical_date, dag_run):
    """The run's reference date for sống: its logical date, or for an asset-triggered run
    (which has none in Airflow 3) the time it was queued to run."""
    moment = logical_date or getattr(dag_run, "run_after", None)
    return moment.date() if moment else None


def department_dags(
    department: str,
    datasets: list[str],
    doc_md: str,
    schedule: str = "@monthly",
    start: tuple[int, int, int] = (2022, 1, 1),
):
    """(extract DAG, transform DAG) for one department."""
    common = dict(
        start_date=pendulum.datetime(*start, tz="Asia/Ho_Chi_Minh"),
        catchup=False,
        max_active_runs=1,
        doc_md=doc_md,
        tags=["ddss", department],
        # DuckDB allows one writing process per file: every task takes the one slot.
        default_args={"pool": WRITER_POOL, "retries": 0},
    )
    assets = [raw_asset(d) for d in datasets]

    @dag(dag_id=f"{department}{EXTRACT_SUFFIX}", schedule=schedule, **common)
    def extract_pipeline():
        @task(outlets=assets)
        def extract(run_id=None) -> dict:
            from ddss.orchestration.pipeline import extract_step

            return extract_step(run_id, department)

        extract()

    condition = assets[0]
    for asset in assets[1:]:
        condition = condition | asset

    @dag(dag_id=department, schedule=condition, **common)
    def transform_pipeline():
        @task
        def stage() -> None:
            from ddss.orchestration.pipeline import stage_step

            stage_step(department=department)

        @task
        def validate(run_id=None, logical_date=None, dag_run=None) -> dict:
            from ddss.orchestration.pipeline import validate_step

            # Freshness (sống) is judged as of the run's date, not the wall clock.
            return validate_step(run_id, department, as_of=_as_of(logical_date, dag_run))

        @task
        def build_marts() -> None:
            from ddss.orchestration.pipeline import marts_step

            marts_step(department=department)

        @task(outlets=[PORTAL])
        def publish(run_id=None) -> dict:
            from ddss.orchestration.pipeline import publish_step

            return publish_step(run_id)

        stage() >> validate() >> build_marts() >> publish()

    return extract_pipeline(), transform_pipeline()
