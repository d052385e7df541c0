"""
### Hà Nội Department of Labour, Invalids and Social Affairs (Sở Lao động, Thương binh và Xã hội)

Monthly: `chi_tra_khong_tien_mat_YYYY-MM.xlsx` with a title above the header.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_labour", ["cashless_social_payments"], __doc__)
