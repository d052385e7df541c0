"""
### Hà Nội City Police (Công an Thành phố)

Monthly: `kich_hoat_vneid_YYYY-MM.csv`, one row per citizen — personal data: only the aggregates by ward are published, cells under 5 suppressed.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_police", ["vneid_activations"], __doc__)
