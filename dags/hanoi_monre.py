"""
### Hà Nội Department of Natural Resources and Environment (Sở Tài nguyên và Môi trường)

Monthly: `dang_ky_dat_dai_YYYY-MM.csv` (UTF-8 with BOM) with its control totals `dang_ky_dat_dai_YYYY-MM.kiem_soat.json` (row count, sum of amounts).
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_monre", ["land_registration_payments"], __doc__)
