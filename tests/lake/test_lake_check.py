"""`ddss check` is a steward's dry run: in lake mode too it must leave the production lake
untouched (no snapshot, no table) and check in its own throw-away warehouse."""

from __future__ import annotations

import pytest

from ddss.warehouse import connect, first_row

pytestmark = pytest.mark.slow


def test_check_in_lake_mode_leaves_the_production_lake_untouched(
    cfg, lake_catalog, tmp_path, monkeypatch
):
    import dataclasses

    from ddss.quality.check import check_file
    from ddss_demo.generate import generate

    feeds = tmp_path / "feeds"
    generate(feeds, seed=2022, scale=0.01, departments={"tuyen_quang_pasc"})
    lake = dataclasses.replace(
        cfg, lake_catalog=lake_catalog, lake_data_path=str(tmp_path / "lake") + "/"
    )
    monkeypatch.setenv("DDSS_LAKE_CATALOG", lake_catalog)  # as a lake deployment runs
    monkeypatch.setenv("DDSS_LAKE_DATA_PATH", lake.lake_data_path or "")
    with connect(lake) as con:  # the production lake, with its schema
        before = first_row(con, "select max(snapshot_id) from ducklake_snapshots('lake')")
    result = check_file(
        feeds / "tuyen_quang_pasc" / "ho_so_2022-03.csv", "admin_procedure_dossiers", lake
    )
    assert result.rows > 0
    with connect(lake, read_only=True) as con:
        after = first_row(con, "select max(snapshot_id) from ducklake_snapshots('lake')")
    assert after == before, "the check committed to the production lake"
