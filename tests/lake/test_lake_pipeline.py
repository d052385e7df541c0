"""The pipeline on the lake (DuckLake, catalog in a real PostgreSQL): the same marts,
quarantine and gate counts as the DuckDB file, row for row; and four departments run at
once, as separate processes, give exactly what they give one after another."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddss.settings import Settings
from ddss.warehouse import connect, first_row, snapshot_id

from .lake_runs import (
    DATASET,
    environment,
    run_parallel,
    run_serial,
    small_feeds,
    warehouse_state,
    workspace,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def feeds_small(tmp_path_factory) -> Iterator[Path]:
    with small_feeds(tmp_path_factory.mktemp("lake_feeds")) as out:
        yield out


@pytest.fixture(scope="module")
def file_state(feeds_small, tmp_path_factory) -> dict[str, list[tuple]]:
    cfg = workspace(tmp_path_factory.mktemp("file_mode"), feeds_small, None)
    run_serial(cfg)
    return warehouse_state(cfg)


@pytest.fixture(scope="module")
def lake_serial(feeds_small, postgres, tmp_path_factory) -> Settings:
    cfg = workspace(
        tmp_path_factory.mktemp("lake_serial"), feeds_small, postgres.create_database("serial")
    )
    run_serial(cfg)
    return cfg


def test_the_lake_gives_the_file_modes_marts_quarantine_and_gate_counts(file_state, lake_serial):
    lake_state = warehouse_state(lake_serial)
    assert sorted(lake_state) == sorted(file_state)
    assert len([t for t in file_state if t.startswith("marts.")]) >= 9
    assert file_state["quarantine"], "the demo feeds plant defects: the quarantine is not empty"
    for name, rows in file_state.items():
        assert lake_state[name] == rows, name
    assert not lake_serial.warehouse_path.exists(), "lake mode never opens the DuckDB file"


@pytest.fixture(scope="module")
def lake_parallel(feeds_small, postgres, tmp_path_factory) -> tuple[Settings, list[dict], float]:
    cfg = workspace(
        tmp_path_factory.mktemp("lake_parallel"), feeds_small, postgres.create_database("parallel")
    )
    started = time.monotonic()
    runs = run_parallel(cfg)
    return cfg, runs, time.monotonic() - started


def test_departments_at_once_equal_departments_one_after_another(lake_parallel, lake_serial):
    cfg, runs, elapsed = lake_parallel
    overlapping = [
        (a["department"], b["department"])
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
        if a["started"] < b["ended"] and b["started"] < a["ended"]
    ]
    assert overlapping, "the departments' processes ran one after another"
    serial, parallel = warehouse_state(lake_serial), warehouse_state(cfg)
    assert sorted(parallel) == sorted(serial)
    for name, rows in serial.items():
        assert parallel[name] == rows, name
    print(
        f"{len(runs)} departments at once in {elapsed:.0f} s, {len(overlapping)} pairs overlapped"
    )


def test_a_mart_read_at_the_published_snapshot_is_what_was_published(lake_parallel, monkeypatch):
    """Time travel: the lake snapshot a version's manifest.json records gives back, row for
    row, the Parquet file it published, after the lake has moved on. (Runs after the
    comparison above: it changes the parallel run's lake.)"""
    from ddss.data_contracts import load_contracts
    from ddss.publish.publisher import publish

    lake = lake_parallel[0]
    for name, value in environment(lake).items():
        monkeypatch.setenv(name, value)
    publication = publish("run-publish", lake)
    manifest = json.loads((publication.path / "manifest.json").read_text("utf-8"))
    snapshot = manifest.get("lake_snapshot")  # written by the publisher from snapshot_id()
    with connect(lake, read_only=True) as con:
        assert snapshot == snapshot_id(con) is not None  # nothing committed since
    contract = load_contracts(lake)[DATASET]
    columns = ", ".join(f'"{c.name}"' for c in contract.publish_columns)
    mart = f'marts."{contract.publish_model}"'
    published = next(publication.path.rglob(f"{DATASET}.parquet"))
    with connect(lake) as con:
        published_rows = con.execute(
            f"select {columns} from read_parquet(?) order by all", [str(published)]
        ).fetchall()
        con.execute(f"delete from {mart} where true")  # the lake moves on
        assert first_row(con, f"select count(*) from {mart}") == (0,)
        then = con.execute(
            f"select {columns} from {mart} at (version => {int(snapshot)}) order by all"
        ).fetchall()
    assert len(published_rows) > 100
    assert then == published_rows
