"""
### Office of the Tuyên Quang Provincial People's Committee (Văn phòng UBND tỉnh)

Yearly: `van_ban_YYYY.csv`, outgoing e-documents and paperless meeting documents.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags(
    "tuyen_quang_office", ["e_documents"], __doc__, schedule="@yearly", start=(2021, 1, 1)
)
