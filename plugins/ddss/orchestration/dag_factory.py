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

from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAny, dag, task

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


STEPS_DOC = """
DAG `{department}__extract`, on the data's period ({schedule}):

1. **extract** — new files (or the department's API) → immutable raw archive (sha256) →
   DuckDB `raw.*`. It updates the assets {assets}.

DAG `{department}`, scheduled on those assets (Airflow runs it when extract has updated any):

2. **stage** — dbt staging (typed, normalised, Vietnamese validators)
3. **validate** — `expectations/<dataset>.json` → quarantine, steward report, sống,
   coverage and control totals
4. **build_marts** — validated rows and the department's indicators
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `{pool}` pool (one slot): DuckDB allows one writer per file.
"""


def department_doc(department: str, datasets: list[str], doc_md: str, schedule: str) -> str:
    """The DAG file's own text (who sends what, how), then the steps every department shares."""
    assets = ", ".join(f"`{raw_asset(d).uri}`" for d in datasets)
    steps = STEPS_DOC.format(
        department=department, schedule=schedule, assets=assets, pool=WRITER_POOL
    )
    return doc_md.strip() + "\n" + steps


def department_dags(
    department: str,
    datasets: list[str],
    doc_md: str,
    schedule: str = "@monthly",
    start: tuple[int, int, int] = (2022, 1, 1),
) -> tuple[DAG, DAG]:
    """(extract DAG, transform DAG) for one department."""
    common: dict[str, Any] = {
        "start_date": pendulum.datetime(*start, tz="Asia/Ho_Chi_Minh"),
        "catchup": False,
        "max_active_runs": 1,
        "doc_md": department_doc(department, datasets, doc_md, schedule),
        "tags": ["ddss", department],
        # DuckDB allows one writing process per file: every task takes the one slot.
        "default_args": {"pool": WRITER_POOL, "retries": 0},
    }
    assets = [raw_asset(d) for d in datasets]

    @dag(dag_id=f"{department}{EXTRACT_SUFFIX}", schedule=schedule, **common)
    def extract_pipeline() -> None:
        @task(outlets=assets)
        def extract(run_id=None) -> dict:
            from ddss.orchestration.pipeline import extract_step

            return extract_step(run_id, department)

        extract()

    # Any of the department's raw assets updated: Airflow's asset expression (OR).
    condition = AssetAny(*assets)

    @dag(dag_id=department, schedule=condition, **common)
    def transform_pipeline() -> None:
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
