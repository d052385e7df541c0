"""
### Hà Nội Tax Department (Cục Thuế)

Monthly: the department's paginated JSON API (`/api/hanoi_tax/taxpayers`, `/api/hanoi_tax/etax-mobile`) is fetched into `data/landing/hanoi_tax/` as `nguoi_nop_thue_YYYY-MM.json` and `etax_mobile_YYYY-MM.json`; the API's declared total is the control total.

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
2. **stage** — dbt staging (typed, normalised, Vietnamese validators)
3. **validate** — `expectations/<dataset>.json` → quarantine, steward report, sống, coverage and control totals
4. **build_marts** — validated rows and the department's indicators
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# An Airflow DAG: the five steps are wired by ddss.dag_factory.
from ddss.dag_factory import department_dag

dag = department_dag("hanoi_tax", ['taxpayer_e_services', 'etax_mobile_accounts'], __doc__)
