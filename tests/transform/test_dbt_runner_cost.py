"""dbt's fixed cost in one process (issue 17): the project parsed once serves the later
commands of the process, and is parsed again as soon as anything it was parsed from
changes, so an edited model is still the model that runs. A small real project on a real
DuckDB file: an ephemeral model (its CTE must be injected on every command, not only the
first) under a table."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest
from dbt.parser.manifest import ManifestLoader

from ddss.settings import workspace_settings
from ddss.transform.dbt_runner import run_dbt

PROFILE = """\
ddss:
  target: local
  outputs:
    local:
      type: duckdb
      path: "{{ env_var('DDSS_WAREHOUSE') }}"
      threads: 1
"""
PROJECT = """\
name: cost
version: "0.1.0"
config-version: 2
profile: ddss
models:
  cost:
    +materialized: table
"""


def _answer(cfg) -> int:
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        [(answer,)] = con.execute("select answer from main.answer").fetchall()
        return answer
    finally:
        con.close()


@pytest.mark.slow
def test_a_process_parses_once_and_again_after_a_change(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(PROJECT, "utf-8")
    (project / "profiles.yml").write_text(PROFILE, "utf-8")
    base = project / "models" / "base.sql"
    base.write_text("{{ config(materialized='ephemeral') }}\nselect 42 as answer\n", "utf-8")
    (project / "models" / "answer.sql").write_text("select answer from {{ ref('base') }}\n")
    cfg = replace(workspace_settings(tmp_path / "one"), dbt_project_dir=project)

    parses = []
    full_manifest = ManifestLoader.get_full_manifest

    def counted(*args, **kwargs):  # dbt's own parse, only counted
        parses.append(1)
        return full_manifest(*args, **kwargs)

    monkeypatch.setattr(ManifestLoader, "get_full_manifest", counted)

    def run(cfg) -> int:
        before = len(parses)
        run_dbt(["build", "--select", "answer"], cfg)
        return len(parses) - before

    assert run(cfg) == 1 and _answer(cfg) == 42
    assert run(cfg) == 0 and _answer(cfg) == 42  # the same project: not parsed again
    base.write_text(base.read_text("utf-8").replace("42", "43"), "utf-8")
    assert run(cfg) == 1 and _answer(cfg) == 43  # an edited model is parsed and runs
    assert run(cfg) == 0 and _answer(cfg) == 43
    # Another warehouse (the profile's environment): parsed for it, built there.
    other = workspace_settings(tmp_path / "two", cfg)
    assert run(other) == 1 and _answer(other) == 43
    # What each node did is written (run_results.json); dbt's 1.6 MB manifest.json is not.
    target = cfg.warehouse_path.parent / "dbt_target"
    assert (target / "run_results.json").exists() and not (target / "manifest.json").exists()
    # A command that changes the manifest (--inline) is parsed by dbt itself, as before.
    run_dbt(["compile", "--inline", "select 1"], other)
    assert len(parses) == 4
