"""
### Hà Nội Department of Information and Communications (Sở Thông tin và Truyền thông)

Monthly: the department drops its spreadsheet of community digital technology teams
(`to_cong_nghe_so_YYYY-MM.xlsx`, a title above the header) into `data/landing/hanoi_dict/`.

1. **extract** — new files → immutable raw archive (sha256) → DuckDB `raw.*`
2. **stage** — dbt staging (typed; wards checked against Hà Nội's 126 units after 2025)
3. **validate** — `expectations/community_digital_teams.json` → quarantine, steward report
4. **build_marts** — validated teams and the indicators (545 teams, 2,396 members)
5. **publish** — gate, personal-data scan, new portal version, atomic switch

Writing tasks share the `duckdb_writer` pool (one slot): DuckDB allows one writer per file.
"""

# An Airflow DAG: the five steps are wired by ddss.dag_factory.
from ddss.dag_factory import department_dag

dag = department_dag("hanoi_dict", ["community_digital_teams"], __doc__)
