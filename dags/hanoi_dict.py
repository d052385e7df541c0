"""
### Hà Nội Department of Information and Communications (Sở Thông tin và Truyền thông)

Monthly: the department drops its spreadsheet of community digital technology teams
(`to_cong_nghe_so_YYYY-MM.xlsx`, a title above the header) into `data/landing/hanoi_dict/`.

DAG `hanoi_dict__extract`, on the data's period:

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
   It updates the assets `ddss://raw/<dataset>`.

DAG `hanoi_dict`, scheduled on those assets (Airflow runs it when extract has updated any of them):

2. **stage** — dbt staging (typed; wards checked against Hà Nội's 126 units after 2025)
3. **validate** — `expectations/community_digital_teams.json` → quarantine, steward report
4. **build_marts** — validated teams and the indicators (545 teams, 2,396 members)
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# Two Airflow DAGs, extract (on the data's period) and transform (on the raw assets
# extract updates), wired by ddss.orchestration.dag_factory.
from ddss.orchestration.dag_factory import department_dags

extract_dag, dag = department_dags("hanoi_dict", ["community_digital_teams"], __doc__)
