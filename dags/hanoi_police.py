"""
### Hà Nội City Police (Công an Thành phố)

Monthly: `kich_hoat_vneid_YYYY-MM.csv`, one row per citizen — personal data: only the aggregates by ward are published, cells under 5 suppressed.

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
2. **stage** — dbt staging (typed, normalised, Vietnamese validators)
3. **validate** — `expectations/<dataset>.json` → quarantine, steward report, sống, coverage and control totals
4. **build_marts** — validated rows and the department's indicators
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# An Airflow DAG: the five steps are wired by ddss.dag_factory.
from ddss.dag_factory import department_dag

dag = department_dag("hanoi_police", ['vneid_activations'], __doc__)
