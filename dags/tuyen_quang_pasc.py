"""
### Tuyên Quang public administration service centre (Trung tâm Phục vụ hành chính công)

Monthly: the centre drops its dossier file (`ho_so_YYYY-MM.csv`) and its online-service
catalogue (`dich_vu_cong_YYYY-MM.csv`) into `data/landing/tuyen_quang_pasc/`.
"""

# Airflow DAGs (extract, then transform on its raw assets), built by the factory;
# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags(
    "tuyen_quang_pasc", ["admin_procedure_dossiers", "online_public_services"], __doc__
)
