"""
### Tuyên Quang public administration service centre (Trung tâm Phục vụ hành chính công)

Monthly: the centre drops its dossier file (`ho_so_YYYY-MM.csv`) and its online-service
catalogue (`dich_vu_cong_YYYY-MM.csv`) into `data/landing/tuyen_quang_pasc/`.

DAG `tuyen_quang_pasc__extract`, on the data's period:

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
   It updates the assets `ddss://raw/<dataset>`.

DAG `tuyen_quang_pasc`, scheduled on those assets (Airflow runs it when extract has updated any of them):

2. **stage** — dbt staging models (typed, normalised candidates)
3. **validate** — Great Expectations suites (`expectations/`) → every failing row to
   `quality.quarantine`; steward report under `data/reports/<run_id>/`; freshness (sống)
   as of the run's logical date
4. **build_marts** — dbt marts from validated rows only, with dbt tests and snapshots
5. **publish** — gate, personal-data scan, new portal version, atomic switch of `public/current`

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# Two Airflow DAGs, extract (on the data's period) and transform (on the raw assets
# extract updates), wired by ddss.orchestration.dag_factory.
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags(
    "tuyen_quang_pasc", ["admin_procedure_dossiers", "online_public_services"], __doc__
)
