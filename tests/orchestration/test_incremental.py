"""Incremental runs: a run with nothing new does nothing; landing files are hashed once and
hashed again whenever anything about them changed; a backfill of one period publishes what
a full rebuild publishes."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF, copy_workspace
from ddss.orchestration import state


def test_a_changed_suite_contract_or_reference_list_forces_a_full_run(cfg, tmp_path):
    repo = Path(__file__).resolve().parents[2]
    copies = {}
    for name, source in (
        ("expectations_dir", cfg.expectations_dir),
        ("contracts_dir", cfg.contracts_dir),
        ("dbt_project_dir", cfg.dbt_project_dir),
    ):
        copies[name] = tmp_path / name
        shutil.copytree(
            source, copies[name], ignore=shutil.ignore_patterns("target", "logs", "*.duckdb")
        )
    local = dataclasses.replace(cfg, **copies)
    base = state.fingerprint(local)
    assert state.fingerprint(local) == base  # stable
    moved = dataclasses.replace(local, landing_dir=tmp_path / "elsewhere")
    assert state.fingerprint(moved) == base  # where the workspace is does not matter
    for changed in (
        copies["expectations_dir"] / "admin_procedure_dossiers.json",
        copies["contracts_dir"] / "departments.yml",
        copies["dbt_project_dir"] / "dbt_project.yml",
    ):
        original = changed.read_bytes()
        changed.write_bytes(original + b"\n")
        assert state.fingerprint(local) != base, changed
        changed.write_bytes(original)
    assert state.fingerprint(local) == base
    assert (repo / "plugins" / "ddss" / "reference" / "legacy_wards.csv").exists()


def test_nothing_new_needs_the_same_inputs_and_the_publication_still_current(published):
    last = state.last_inputs(published, "all")
    assert last is not None and last.run_id == "run-1" and last.version
    same = dataclasses.replace(last, run_id="", version=None)
    assert state.unchanged(same, last, published)
    assert not state.unchanged(dataclasses.replace(same, as_of="2022-09-30"), last, published)
    assert not state.unchanged(dataclasses.replace(same, publish=False), last, published)
    assert not state.unchanged(dataclasses.replace(same, fingerprint="x"), last, published)
    landing = dict(same.landing)
    landing[next(iter(landing))] = "0" * 64
    assert not state.unchanged(dataclasses.replace(same, landing=landing), last, published)
    assert not state.unchanged(same, None, published)


def _events(cfg, run_id: str) -> int:
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select (select count(*) from meta.file_events where run_id = ?)"
            " + (select count(*) from quality.validation_runs where run_id = ?)",
            [run_id, run_id],
        ).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.slow
def test_a_run_with_nothing_new_loads_validates_and_publishes_nothing(published, tmp_path):
    from ddss.orchestration.pipeline import run_all
    from ddss.publish.publisher import current_version

    cfg = copy_workspace(published, tmp_path / "ws")
    version = current_version(cfg)
    versions = sorted(p.name for p in (cfg.public_dir / "versions").iterdir())
    summary = run_all("run-2", cfg, as_of=AS_OF)
    assert summary.nothing_new == "run-1"
    assert not summary.extract and not summary.validate and not summary.publish
    assert any("nothing new" in line for line in summary.lines())
    assert _events(cfg, "run-2") == 0  # no file event, no validation recorded
    assert current_version(cfg) == version
    assert sorted(p.name for p in (cfg.public_dir / "versions").iterdir()) == versions
    assert not (cfg.reports_dir / "run-2").exists()
    # Another reference date is not "nothing new": sống is judged as of it.
    experimental = run_all("run-3", cfg, as_of=AS_OF, publish=False)
    assert experimental.nothing_new is None
    assert _events(cfg, "run-3") > 0
    # Same files, same gate output: dbt builds nothing.
    assert experimental.dbt["staging"] == experimental.dbt["marts"] == {"datasets": [], "nodes": []}
    # The marts follow the gate's output, compared with what they were built from (the
    # record): here one dataset's quarantine is recorded as another, as if a validation had
    # changed it; a later date (freshness is judged per batch: the quarantine stays) changes
    # no file. No staging model is built, only that dataset's marts.
    record = state.last_inputs(cfg, "all")
    assert record is not None and "e_documents" in record.validated
    record.validated["e_documents"] = "another quarantine"
    state.record(cfg, "all", record)
    later = run_all("run-4", cfg, as_of=date(2023, 6, 30), publish=False)
    assert later.dbt["full"] is None and later.dbt["staging"]["datasets"] == []
    assert later.dbt["marts"]["datasets"] == ["e_documents"]
    assert _built_models(later, "marts") == _downstream(cfg, "fct_e_documents")


def _downloads(cfg) -> dict[str, bytes]:
    folder = cfg.public_dir / "current" / "downloads"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.slow
def test_a_backfill_of_one_period_publishes_what_a_full_rebuild_publishes(published, tmp_path):
    from ddss.orchestration.pipeline import run_all

    cfg = copy_workspace(published, tmp_path / "ws")
    summary = run_all("backfill-2022-03", cfg, as_of=AS_OF, period="2022-03")
    assert summary.nothing_new is None
    reopened = summary.extract["reopened"]
    assert reopened and all("2022-03" in name for name in reopened)
    assert set(summary.extract["loaded"]) == set(reopened)  # that period's files, only them
    full = _downloads(published)  # the fixture's run: a full build from empty
    assert full
    assert _downloads(cfg) == full


@pytest.mark.slow
def test_data_docs_are_built_after_the_run_and_linked_both_ways(published, tmp_path):
    """A run leaves GX Data Docs out (seconds per department); `ddss docs RUN_ID` builds
    them afterwards and links them with the steward reports, as a run with them did."""
    import re

    from ddss.orchestration.pipeline import docs_step

    cfg = copy_workspace(published, tmp_path / "ws")
    reports = sorted(cfg.reports_dir.glob("run-1/*/index.html"))
    assert len(reports) == 9
    assert not list(cfg.reports_dir.glob("run-1/*/gx"))  # not built by the run
    built = docs_step("run-1", cfg)
    assert set(built) == {r.parent.name for r in reports}
    for report in reports:
        html = report.read_text("utf-8")
        links = re.findall(r'href="([^"]*data_docs[^"]*\.html)"', html)
        assert links, report
        for link in links:
            page = (report.parent / link).resolve()
            back = re.search(r'<a href="([^"]+)">← Báo cáo', page.read_text("utf-8"))
            assert back and (page.parent / back.group(1)).resolve() == report.resolve()
    again = docs_step("run-1", cfg)  # idempotent: the links are not added twice
    assert again.keys() == built.keys()
    html = reports[0].read_text("utf-8")
    assert html.count('class="data-docs"') == len(
        list(reports[0].parent.glob("*_validation_result.json"))
    )


# One dataset's month: the health department's July file (a CSV without control totals).
ONE_DATASET = "electronic_health_records"
ONE_MODEL = "stg_hanoi_health__electronic_health_records"
ONE_MONTH_FILE = Path("hanoi_health") / "ho_so_suc_khoe_2022-07.csv"
MODEL_PREFIXES = ("stg_", "fct_", "dim_", "mart_", "snap_")


def _built_models(summary, layer: str) -> set[str]:
    return {n for n in summary.dbt[layer]["nodes"] if n.startswith(MODEL_PREFIXES)}


def _downstream(cfg, model: str) -> set[str]:
    """The models and snapshots downstream of ``model``, itself included, as dbt lists them."""
    from ddss.transform.dbt_runner import _invoke

    listed = _invoke(
        [
            "ls",
            "--select",
            f"{model}+",
            "--resource-type",
            "model",
            "--resource-type",
            "snapshot",
            "--output",
            "name",
            "--quiet",
        ],
        cfg,
    )
    assert listed.success, listed.exception
    return set(listed.result)


def _tables(cfg) -> dict[str, list[tuple]]:
    """Every staging and marts table, row for row (run ids aside)."""
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('staging', 'marts') order by all"
        ).fetchall()
        tables = {}
        for schema, table in names:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? "
                    "and table_name = ? and column_name not in ('_run_id', 'run_id') "
                    "order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            tables[f"{schema}.{table}"] = con.execute(
                f'select {select} from "{schema}"."{table}" order by all'
            ).fetchall()
        return tables
    finally:
        con.close()


def _assert_only_rebuilt(summary, dataset: str, downstream: set[str]) -> None:
    assert summary.dbt["full"] is None, summary.dbt["full"]
    assert summary.dbt["staging"]["datasets"] == [dataset]
    assert summary.dbt["marts"]["datasets"] == [dataset]
    built = _built_models(summary, "staging") | _built_models(summary, "marts")
    assert built == downstream
    assert any(line.startswith("  dbt: ") and dataset in line for line in summary.lines())


@pytest.mark.slow
def test_a_month_added_to_one_dataset_rebuilds_only_its_models_and_equals_a_full_rebuild(
    published, tmp_path
):
    """issue 17: one dataset's month (withdrawn, then sent) rebuilds that dataset's staging
    model and what depends on it, nothing else, and the warehouse's staging and marts and
    the downloads equal those of a full build from empty (the fixture's run)."""
    from ddss.ingest.withdraw import withdraw
    from ddss.orchestration.pipeline import current_inputs, plan_builds, run_all

    cfg = copy_workspace(published, tmp_path / "ws")
    last = state.last_inputs(cfg, "all")
    assert last is not None and last.staged and last.validated and last.activity
    # Any doubt builds everything.
    inputs = current_inputs(cfg, AS_OF, True)
    assert plan_builds(cfg, inputs, last, False).full is None
    assert plan_builds(cfg, inputs, last, True).full == "--full"
    assert plan_builds(cfg, inputs, None, False).full
    assert plan_builds(cfg, dataclasses.replace(inputs, fingerprint="x"), last, False).full
    other = dataclasses.replace(last, activity=[n - 1 for n in last.activity])
    assert "another process" in (plan_builds(cfg, inputs, other, False).full or "")

    downstream = _downstream(cfg, ONE_MODEL)
    assert ONE_MODEL in downstream and "mart_health_indicators" in downstream
    everything = {table.split(".")[1] for table in _tables(cfg)}
    assert downstream < everything  # not every model

    landing = cfg.landing_dir / ONE_MONTH_FILE
    sent = landing.read_bytes()
    withdraw(str(landing), cfg, reason="test: the month is sent again")
    without = run_all("without-july", cfg, as_of=AS_OF)
    _assert_only_rebuilt(without, ONE_DATASET, downstream)

    landing.write_bytes(sent)  # the department sends its July file
    added = run_all("july-added", cfg, as_of=AS_OF)
    assert set(added.extract["loaded"]) == {ONE_MONTH_FILE.name}
    _assert_only_rebuilt(added, ONE_DATASET, downstream)
    assert _tables(cfg) == _tables(published)
    assert _downloads(cfg) == _downloads(published)
