"""
### Tuyên Quang public administration service centre (Trung tâm Phục vụ hành chính công)

Monthly: the centre drops its dossier file (`ho_so_YYYY-MM.csv`) and its online-service
catalogue (`dich_vu_cong_YYYY-MM.csv`) into `data/landing/tuyen_quang_pasc/`.

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
2. **stage** — dbt staging models (typed, normalised candidates)
3. **validate** — Great Expectations suites (`expectations/`) → every failing row to
   `quality.quarantine`; steward report under `data/reports/<run_id>/`; freshness (sống)
   as of the run's logical date
4. **build_marts** — dbt marts from validated rows only, with dbt tests and snapshots
5. **publish** — gate, personal-data scan, new portal version, atomic switch of `public/current`

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# An Airflow DAG: the five steps are wired by ddss.dag_factory.
from ddss.dag_factory import department_dag

dag = department_dag("tuyen_quang_pasc", ["admin_procedure_dossiers", "online_public_services"], __doc__)
