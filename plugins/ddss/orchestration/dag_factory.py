"""The DAGs every department gets, linked by Airflow assets.

* ``<department>__extract`` runs on the data's own period (``@monthly``, ``@yearly``): new
  files (or the department's API) → raw archive → DuckDB ``raw.*``. Its task updates one
  asset per dataset, ``ddss://raw/<dataset>``.
* ``<department>`` is scheduled on those assets: when any of them is updated, it stages,
  validates and builds the marts, then updates ``ddss://validated/<department>``.
* ``publish`` (``dags/publish.py``) is scheduled on every department's validated asset: one
  publication of the whole portal after any number of departments' runs (Airflow queues the
  asset events while a publication runs, and the next run takes them all), instead of one
  per department. It updates ``ddss://public/portal`` (``PORTAL``), which
  ``steward_notify`` is scheduled on.
* An extract that finds nothing new (no new or changed landing file, same contracts and
  reference data as its last run) ends *skipped*: a skipped task updates no asset, so
  nothing downstream runs.

DAG files call ``department_dags`` with their own id and documentation; nothing here does
I/O at parse time, and each task imports the heavy modules (dbt, GX, DuckDB) only when it
runs.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAny, Param, dag, task

WRITER_POOL = "duckdb_writer"
PORTAL = Asset("ddss://public/portal")
EXTRACT_SUFFIX = "__extract"
PUBLISH_DAG = "publish"


def lake_mode() -> bool:
    """The warehouse is DuckLake (catalog in PostgreSQL): writers need not take turns."""
    return bool(os.environ.get("DDSS_LAKE_CATALOG")) or os.environ.get("DDSS_MODE") == "lake"


def writer_pool(department: str) -> str:
    """The pool a department's writing tasks take. The DuckDB file allows one writing
    process, so every department shares one slot; on the lake each department has a slot
    of its own (its tasks still take turns, departments run at once)."""
    return f"{WRITER_POOL}__{department}" if lake_mode() else WRITER_POOL


def raw_asset(dataset: str) -> Asset:
    return Asset(f"ddss://raw/{dataset}")


def validated_asset(department: str) -> Asset:
    """Updated when a department's data is validated and its marts built: publish's cue."""
    return Asset(f"ddss://validated/{department}")


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
4. **build_marts** — validated rows and the department's indicators; updates
   `ddss://validated/{department}`
5. **data_docs** — GX Data Docs beside the steward report (off the writers' pool)

DAG `publish`, scheduled on every department's `ddss://validated/...` asset: gate,
personal-data scan, new portal version, atomic switch, once for all departments that
finished since the last publication; it updates `ddss://public/portal`.

Writing tasks share the `{pool}` pool (one slot): DuckDB allows one writer per file.
"""


def department_doc(department: str, datasets: list[str], doc_md: str, schedule: str) -> str:
    """The DAG file's own text (who sends what, how), then the steps every department shares."""
    assets = ", ".join(f"`{raw_asset(d).uri}`" for d in datasets)
    steps = STEPS_DOC.format(
        department=department, schedule=schedule, assets=assets, pool=writer_pool(department)
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
        "default_args": {"pool": writer_pool(department), "retries": 0},
    }
    assets = [raw_asset(d) for d in datasets]

    # ``period`` ("2022-03"): a manual run (or `airflow dags trigger --conf`) that loads
    # that period's files again, a backfill.
    @dag(
        dag_id=f"{department}{EXTRACT_SUFFIX}",
        schedule=schedule,
        params={"period": Param(None, type=["null", "string"])},
        **common,
    )
    def extract_pipeline() -> None:
        @task(outlets=assets)
        def extract(run_id=None, params=None) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from ddss.orchestration.pipeline import extract_step

            period = (params or {}).get("period") or None
            result = extract_step(run_id, department, period=period, skip_unchanged=True)
            if result.get("nothing_new"):
                # Skipped: no asset event, so the transform and publish DAGs do not run.
                raise AirflowSkipException(
                    "Không có gì mới / nothing new: no new or changed file since run "
                    + str(result["nothing_new"])
                )
            return result

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

        @task(outlets=[validated_asset(department)])
        def build_marts() -> None:
            from ddss.orchestration.pipeline import marts_step

            marts_step(department=department)

        # Reads the reports' JSON only (not the warehouse): outside the writers' pool, beside
        # build_marts rather than before it.
        @task(pool="default_pool")
        def data_docs(run_id=None) -> dict:
            from ddss.orchestration.pipeline import docs_step

            return docs_step(run_id)

        validated = validate()
        stage() >> validated >> [build_marts(), data_docs()]

    return extract_pipeline(), transform_pipeline()


PUBLISH_DOC = """
### Công bố / Publish the portal

Scheduled on every department's `ddss://validated/<department>` asset: after one or more
departments' runs (stage, validate, marts), one publication of the whole portal — gate,
personal-data scan, new version beside the old, checksums, atomic switch. Events that arrive
while it runs are queued by Airflow and taken together by the next run. Updates
`ddss://public/portal`, on which `steward_notify` is scheduled.
"""


def publish_dag(departments: list[str]) -> DAG:
    """The one publishing DAG, on the departments' validated assets."""

    @dag(
        dag_id=PUBLISH_DAG,
        schedule=AssetAny(*(validated_asset(d) for d in departments)),
        start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Ho_Chi_Minh"),
        catchup=False,
        max_active_runs=1,
        doc_md=PUBLISH_DOC,
        tags=["ddss", "publish"],
        default_args={"pool": WRITER_POOL, "retries": 0},
    )
    def publish_pipeline() -> None:
        @task(outlets=[PORTAL])
        def publish(run_id=None) -> dict:
            from ddss.orchestration.pipeline import publish_step

            return publish_step(run_id)

        publish()

    return publish_pipeline()
