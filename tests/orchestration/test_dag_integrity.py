"""Every DAG imports without errors, is named after its file, documents itself, does no
work at parse time (no heavy imports, no file touched), and each department's transform DAG
is scheduled on the raw assets its extract DAG updates."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PARSE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("dbt", "great_expectations", "duckdb", "pyarrow")
               or m in ("ddss.ingest.extract", "ddss.quality.gate", "ddss.publish.publisher", "ddss.transform.dbt_runner"))
print("JSON" + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"file": d.fileloc, "doc": d.doc_md or "", "tasks": sorted(d.task_ids),
                        "pools": sorted({t.pool for t in d.tasks}),
                        "timetable": type(d.timetable).__name__,
                        "on_assets": sorted(a.uri for a in (
                            getattr(getattr(d.timetable, "asset_condition", None), "objects", None)
                            or [getattr(d.timetable, "asset_condition", None)]) if a is not None),
                        "outlets": sorted(o.uri for t in d.tasks for o in t.outlets)}
             for d in bag.dags.values()},
    "heavy": heavy,
}))
"""


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("parse")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "DDSS_DATA_DIR": str(root / "data"),
        "DDSS_PUBLIC_DIR": str(root / "public"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PARSE, str(REPO / "dags")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:]), root


# DAGs of no department: one publication for all of them, the stewards' mail after it.
SHARED_DAGS = {"publish", "steward_notify"}


def _departments(result) -> set[str]:
    return {d.removesuffix("__extract") for d in result["dags"]} - SHARED_DAGS


def test_every_dag_file_imports_without_errors(parsed):
    result, _ = parsed
    assert result["errors"] == {}
    files = {p.stem for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_")}
    departments = files - SHARED_DAGS
    assert set(result["dags"]) == files | {f"{f}__extract" for f in departments}


def test_dag_id_is_the_file_name_and_the_dag_documents_itself(parsed):
    result, _ = parsed
    for dag_id, info in result["dags"].items():
        assert Path(info["file"]).stem == dag_id.removesuffix("__extract")
        assert len(info["doc"]) > 100


def test_parsing_does_no_work(parsed):
    result, root = parsed
    assert result["heavy"] == []
    assert not (root / "data").exists() and not (root / "public").exists()


def test_writing_tasks_share_the_one_slot_pool(parsed):
    result, _ = parsed
    info = result["dags"]["tuyen_quang_pasc"]
    assert info["tasks"] == ["build_marts", "data_docs", "stage", "validate"]
    # Data Docs read the reports' JSON, not the warehouse: they need not wait for the slot.
    assert info["pools"] == ["default_pool", "duckdb_writer"]
    assert result["dags"]["tuyen_quang_pasc__extract"]["pools"] == ["duckdb_writer"]
    assert result["dags"]["publish"]["pools"] == ["duckdb_writer"]


def test_transform_is_scheduled_on_the_assets_extract_updates(parsed):
    from ddss.data_contracts import source_contracts

    result, _ = parsed
    for department in _departments(result):
        extract, transform = result["dags"][f"{department}__extract"], result["dags"][department]
        assert extract["tasks"] == ["extract"]
        assert extract["timetable"] == "CronTriggerTimetable"
        assert transform["timetable"] == "AssetTriggeredTimetable"
        datasets = sorted(c.id for c in source_contracts() if c.department.id == department)
        assert (
            transform["on_assets"]
            == extract["outlets"]
            == sorted(f"ddss://raw/{d}" for d in datasets)
        )
        assert transform["outlets"] == [f"ddss://validated/{department}"]


def test_one_publish_dag_runs_after_any_department_and_updates_the_portal(parsed):
    """Each department's DAG used to publish the whole portal (nine publications for one
    demo); now departments hand over to one publish DAG on their validated assets."""
    from ddss.orchestration.pipeline import known_departments

    result, _ = parsed
    publish = result["dags"]["publish"]
    assert set(known_departments()) == _departments(result)
    assert publish["timetable"] == "AssetTriggeredTimetable"
    assert publish["on_assets"] == sorted(f"ddss://validated/{d}" for d in _departments(result))
    assert publish["tasks"] == ["publish"] and publish["outlets"] == ["ddss://public/portal"]
    publishing = [
        d for d, info in result["dags"].items() if "ddss://public/portal" in info["outlets"]
    ]
    assert publishing == ["publish"]


def test_airflow_loads_no_module_of_the_package_as_a_plugin():
    """Airflow imports every .py under the plugins folder as a top-level module named after
    its file; `ddss/ingest/encodings.py` loaded that way replaced Python's `encodings` and
    broke every task (LookupError: unknown encoding: idna). plugins/.airflowignore keeps the
    package out of the plugin scan."""
    from airflow._shared.module_loading import find_path_from_directory

    scanned = [
        p
        for p in find_path_from_directory(str(REPO / "plugins"), ".airflowignore", "glob")
        if p.endswith(".py")
    ]
    assert scanned == []
