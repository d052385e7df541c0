"""
### Hà Nội Tax Department (Cục Thuế)

Monthly: the department's paginated JSON API (`/api/hanoi_tax/taxpayers`, `/api/hanoi_tax/etax-mobile`) is fetched into `data/landing/hanoi_tax/` as `nguoi_nop_thue_YYYY-MM.json` and `etax_mobile_YYYY-MM.json`; the API's declared total is the control total.

DAG `hanoi_tax__extract`, on the data's period:

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
   It updates the assets `ddss://raw/<dataset>`.

DAG `hanoi_tax`, scheduled on those assets (Airflow runs it when extract has updated any of them):

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
    "hanoi_tax", ["taxpayer_e_services", "etax_mobile_accounts"], __doc__
)
