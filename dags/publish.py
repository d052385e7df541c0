"""
### Công bố cổng dữ liệu / Publish the open-data portal

One publication of the whole portal after any number of departments' runs: scheduled on
each department's `ddss://validated/<department>` asset (updated by its `build_marts`
task), it runs the gate, the personal-data scan and the atomic switch once, and updates
`ddss://public/portal` (on which `steward_notify` is scheduled).
"""

# Airflow parses only files that mention both "airflow" and "dag" (its safe mode).
from ddss.orchestration.dag_factory import publish_dag

# The departments whose DAG files are beside this one (tests/orchestration checks the list
# against the contracts): named here, so that parsing reads no file.
DEPARTMENTS = [
    "hanoi_dict",
    "hanoi_health",
    "hanoi_labour",
    "hanoi_monre",
    "hanoi_police",
    "hanoi_tax",
    "hanoi_transport",
    "tuyen_quang_office",
    "tuyen_quang_pasc",
]

dag = publish_dag(DEPARTMENTS)
