"""
### Hà Nội Tax Department (Cục Thuế)

Monthly: the department's paginated JSON API (`/api/hanoi_tax/taxpayers`, `/api/hanoi_tax/etax-mobile`) is fetched into `data/landing/hanoi_tax/` as `nguoi_nop_thue_YYYY-MM.json` and `etax_mobile_YYYY-MM.json`; the API's declared total is the control total.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags(
    "hanoi_tax", ["taxpayer_e_services", "etax_mobile_accounts"], __doc__
)
