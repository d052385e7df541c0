"""DuckDB's memory is bounded for every warehouse connection and for dbt (issue 17: peak
resident memory of any stage at scale 100 <= 2 GB). DuckDB's own default is 80% of the
machine's memory per process; ``DDSS_DUCKDB_MEMORY_LIMIT`` (default 512MB) bounds it, and
what does not fit spills to the temporary folder beside the warehouse."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import duckdb
import pytest

from ddss.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, load_settings, workspace_settings
from ddss.transform.dbt_runner import run_dbt
from ddss.warehouse import connect

PROJECT = """\
name: memory
version: "0.1.0"
config-version: 2
profile: ddss
models:
  memory:
    +materialized: table
"""
# What the model sees of its DuckDB instance, while dbt runs it.
MODEL = """\
select current_setting('memory_limit') as memory_limit,
       current_setting('temp_directory') as temp_directory
"""


def _duckdb_says(size: str) -> str:
    """How DuckDB reports a memory limit of ``size`` (e.g. 300MB -> 286.1 MiB)."""
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{size}'")
        return str(con.execute("select current_setting('memory_limit')").fetchall()[0][0])


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    row = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchall()[0]
    return str(row[0]), str(row[1])


def test_every_connection_has_the_configured_limit_and_spills_beside_the_warehouse(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("DDSS_DUCKDB_MEMORY_LIMIT", raising=False)
    cfg = workspace_settings(tmp_path)
    assert cfg.duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT == "512MB"
    profile = (cfg.dbt_profiles_dir / "profiles.yml").read_text("utf-8")  # dbt's own default
    assert profile.count(f"or '{DEFAULT_DUCKDB_MEMORY_LIMIT}' }}}}") == 2, profile
    spill = f"{cfg.warehouse_path}.tmp"
    with connect(cfg) as con:
        assert _settings(con) == (_duckdb_says("512MB"), spill)
    monkeypatch.setenv("DDSS_DUCKDB_MEMORY_LIMIT", "300MB")
    cfg = workspace_settings(tmp_path)
    assert cfg.duckdb_memory_limit == "300MB"
    for read_only in (False, True):
        with connect(cfg, read_only=read_only) as con:
            assert _settings(con) == (_duckdb_says("300MB"), spill)
    # A sort larger than the limit spills instead of failing.
    with connect(replace(cfg, duckdb_memory_limit="64MB")) as con:
        sql = "select count(*) from (select md5(range::varchar) s from range(1500000) order by s)"
        assert con.execute(sql).fetchall() == [(1500000,)]
        assert os.path.isdir(spill)  # DuckDB made it when it spilled


def test_a_limit_duckdb_cannot_read_is_refused_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DDSS_DUCKDB_MEMORY_LIMIT", "lots")
    cfg = workspace_settings(tmp_path, load_settings())
    with pytest.raises(ValueError) as refused:
        with connect(cfg):
            pass
    message = str(refused.value)
    assert "DDSS_DUCKDB_MEMORY_LIMIT='lots'" in message
    assert message.index("không phải") < message.index(" / ") < message.index("is not a valid")
    with duckdb.connect(str(cfg.warehouse_path)) as con:  # the file was closed again
        con.execute("select 1").fetchall()


@pytest.mark.slow
def test_a_dbt_model_runs_under_the_same_limit(tmp_path, monkeypatch):
    """The repository's profile, on a one-model project: dbt shares the instance the runner
    holds open, and sets the same limit on its own cursors."""
    monkeypatch.setenv("DDSS_DUCKDB_MEMORY_LIMIT", "300MB")
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(PROJECT, "utf-8")
    shutil.copy(load_settings().dbt_project_dir / "profiles.yml", project / "profiles.yml")
    (project / "models" / "seen.sql").write_text(MODEL, "utf-8")
    cfg = replace(workspace_settings(tmp_path / "ws"), dbt_project_dir=project)
    run_dbt(["build", "--select", "seen"], cfg)
    with connect(cfg, read_only=True) as con:
        seen = con.execute("select memory_limit, temp_directory from main.seen").fetchall()
    assert seen == [(_duckdb_says("300MB"), f"{cfg.warehouse_path}.tmp")]
