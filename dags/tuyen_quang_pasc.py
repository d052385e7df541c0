"""
### Tuyên Quang public administration service centre (Trung tâm Phục vụ hành chính công)

Monthly: the centre drops its dossier file (`ho_so_YYYY-MM.csv`) and its online-service
catalogue (`dich_vu_cong_YYYY-MM.csv`) into `data/landing/tuyen_quang_pasc/`.

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
2. **stage** — dbt staging models (typed, normalised candidates)
3. **validate** — Great Expectations suites (`expectations/`) → every failing row to
   `quality.quarantine`; steward report under `data/reports/<run_id>/`
4. **build_marts** — dbt marts from validated rows only, with dbt tests
5. **publish** — gate, personal-data scan, new portal version, atomic switch of `public/current`

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

DEPARTMENT = "tuyen_quang_pasc"
WRITER_POOL = "duckdb_writer"
RAW_ASSETS = [
    Asset("ddss://raw/admin_procedure_dossiers"),
    Asset("ddss://raw/online_public_services"),
]
PORTAL = Asset("ddss://public/portal")


@dag(
    dag_id="tuyen_quang_pasc",
    schedule="@monthly",
    start_date=pendulum.datetime(2022, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["ddss", "tuyen_quang", "public-administration"],
    default_args={"pool": WRITER_POOL, "retries": 0},
)
def tuyen_quang_pasc():
    @task(outlets=RAW_ASSETS)
    def extract(run_id=None) -> dict:
        from ddss.pipeline import extract_step

        return extract_step(run_id, DEPARTMENT)

    @task
    def stage() -> None:
        from ddss.pipeline import stage_step

        stage_step()

    @task
    def validate(run_id=None, logical_date=None) -> dict:
        from ddss.pipeline import validate_step

        # Freshness (sống) is judged as of the run's logical date, not the wall clock.
        return validate_step(run_id, DEPARTMENT, as_of=logical_date.date() if logical_date else None)

    @task
    def build_marts() -> None:
        from ddss.pipeline import marts_step

        marts_step()

    @task(outlets=[PORTAL])
    def publish(run_id=None) -> dict:
        from ddss.pipeline import publish_step

        return publish_step(run_id)

    extract() >> stage() >> validate() >> build_marts() >> publish()


tuyen_quang_pasc()
