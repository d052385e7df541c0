"""
### Hà Nội City Police (Công an Thành phố)

Monthly: `kich_hoat_vneid_YYYY-MM.csv`, one row per citizen — personal data: only the aggregates by ward are published, cells under 5 suppressed.

DAG `hanoi_police__extract`, on the data's period:

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
   It updates the assets `ddss://raw/<dataset>`.

DAG `hanoi_police`, scheduled on those assets (Airflow runs it when extract has updated any of them):

2. **stage** — dbt staging (typed, normalised, Vietnamese validators)
3. **validate** — `expectations/<dataset>.json` → quarantine, steward report, sống, coverage and control totals
4. **build_marts** — validated rows and the department's indicators
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# Two Airflow DAGs, extract (on the data's period) and transform (on the raw assets
# extract updates), wired by ddss.orchestration.dag_factory.
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_police", ["vneid_activations"], __doc__)
