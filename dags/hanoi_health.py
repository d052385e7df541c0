"""
### Hà Nội Department of Health (Sở Y tế)

Monthly: `ho_so_suc_khoe_YYYY-MM.csv` in Windows-1258 from a legacy system; all 126 wards must report every month (coverage blocks the publication otherwise).
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_health", ["electronic_health_records"], __doc__)
