"""
### Hà Nội Department of Transport (Sở Giao thông vận tải)

Monthly: `trong_giu_xe_YYYY-MM.csv` (semicolon-separated) from the cashless parking pilot.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_transport", ["cashless_parking_payments"], __doc__)
