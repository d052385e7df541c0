"""
### Hà Nội Department of Information and Communications (Sở Thông tin và Truyền thông)

Monthly: the department drops its spreadsheet of community digital technology teams
(`to_cong_nghe_so_YYYY-MM.xlsx`, a title above the header) into `data/landing/hanoi_dict/`.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_dict", ["community_digital_teams"], __doc__)
