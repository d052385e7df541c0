"""
### Office of the Tuyên Quang Provincial People's Committee (Văn phòng UBND tỉnh)

Yearly: `van_ban_YYYY.csv`, outgoing e-documents and paperless meeting documents.

DAG `tuyen_quang_office__extract`, on the data's period:

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
   It updates the assets `ddss://raw/<dataset>`.

DAG `tuyen_quang_office`, scheduled on those assets (Airflow runs it when extract has updated any of them):

2. **stage** — dbt staging (typed, normalised, Vietnamese validators)
3. **validate** — `expectations/<dataset>.json` → quarantine, steward report, sống, coverage and control totals
4. **build_marts** — validated rows and the department's indicators
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# Two Airflow DAGs, extract (on the data's period) and transform (on the raw assets
# extract updates), wired by ddss.orchestration.dag_factory.
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags(
    "tuyen_quang_office", ["e_documents"], __doc__, schedule="@yearly", start=(2021, 1, 1)
)
