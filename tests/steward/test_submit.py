# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""Submitting: atomic landing, the append-only receipt log, Airflow's REST API."""

import json
import os

import pytest
from airflow_stub import AirflowStub
from steward_env import env  # noqa: F401 - fixture

from ddss.data_contracts import source_contract
from ddss.steward.settings import load_steward_settings
from ddss.steward.submit import append_receipt, land, trigger_extract


def test_land_replaces_the_file_in_one_rename_and_leaves_no_temporary(env, tmp_path, monkeypatch):
    contract = source_contract("admin_procedure_dossiers", env.cfg)
    first, second = tmp_path / "one", tmp_path / "two"
    first.write_bytes(b"first version\n")
    second.write_bytes(b"second version\n")
    renames, fsyncs = [], []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((a, b)), real_replace(a, b)))
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    target = land(first, contract, "ho_so_2022-07.csv", env.cfg)
    land(second, contract, "ho_so_2022-07.csv", env.cfg)
    assert target == env.cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-07.csv"
    assert target.read_bytes() == b"second version\n"
    assert [p.name for p in target.parent.iterdir()] == ["ho_so_2022-07.csv"]
    # Written under a hidden temporary name the landing scan ignores, then renamed.
    temp, final = renames[0]
    assert str(temp).rsplit("/", 1)[-1].startswith(".") and final == target
    assert not contract.source.matches(str(temp).rsplit("/", 1)[-1])
    assert len(fsyncs) >= 4  # the file and the folder, twice


@pytest.mark.parametrize("name", ["../ho_so_2022-07.csv", "other.csv", ".ho_so_2022-07.csv"])
def test_land_refuses_a_name_that_is_not_the_datasets(env, tmp_path, name):
    contract = source_contract("admin_procedure_dossiers", env.cfg)
    source = tmp_path / "f"
    source.write_bytes(b"x")
    with pytest.raises(ValueError):
        land(source, contract, name, env.cfg)


def test_receipts_are_appended_never_rewritten(env):
    steward = load_steward_settings(env.cfg)
    append_receipt(steward, {"receipt": "a", "sha256": "1" * 64})
    before = steward.submissions_log.read_bytes()
    append_receipt(steward, {"receipt": "b", "sha256": "2" * 64})
    after = steward.submissions_log.read_bytes()
    assert after.startswith(before)
    assert [json.loads(x)["receipt"] for x in after.decode().splitlines()] == ["a", "b"]


def test_trigger_runs_the_departments_extract_dag_with_a_jwt(env, monkeypatch):
    with AirflowStub("ops", "s3cret-airflow") as airflow:
        monkeypatch.setenv("DDSS_AIRFLOW_URL", airflow.url)
        monkeypatch.setenv("DDSS_AIRFLOW_USERNAME", "ops")
        monkeypatch.setenv("DDSS_AIRFLOW_PASSWORD", "s3cret-airflow")
        trigger = trigger_extract(
            load_steward_settings(env.cfg),
            "tuyen_quang_pasc",
            {"receipt": "r1", "dataset": "admin_procedure_dossiers"},
        )
    assert trigger.triggered and trigger.run_id == "manual__steward-1"
    token, run = airflow.requests
    assert token["path"] == "/auth/token"
    assert run["path"] == "/api/v2/dags/tuyen_quang_pasc__extract/dagRuns"
    assert run["auth"] == "Bearer jwt-for-tests"
    assert run["body"]["logical_date"] is None and run["body"]["conf"]["receipt"] == "r1"


def test_a_failed_trigger_is_reported_without_the_password(env, monkeypatch, caplog):
    with AirflowStub("ops", "right") as airflow:
        monkeypatch.setenv("DDSS_AIRFLOW_URL", airflow.url)
        monkeypatch.setenv("DDSS_AIRFLOW_USERNAME", "ops")
        monkeypatch.setenv("DDSS_AIRFLOW_PASSWORD", "wrong-password")
        trigger = trigger_extract(
            load_steward_settings(env.cfg), "tuyen_quang_pasc", {"receipt": "r", "dataset": "d"}
        )
    assert not trigger.triggered and trigger.error == "HTTP 401"
    assert "wrong-password" not in caplog.text


def test_without_airflow_nothing_is_triggered(env):
    trigger = trigger_extract(load_steward_settings(env.cfg), "tuyen_quang_pasc", {"receipt": "r"})
    assert not trigger.triggered and trigger.error is None
    assert trigger.dag_id == "tuyen_quang_pasc__extract"
