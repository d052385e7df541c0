"""Sống: every period due by the run's logical date must have arrived."""

from datetime import date

import duckdb

from conftest import copy_workspace
from ddss.data_contracts import load_contracts
from ddss.quality.freshness import expected_periods, file_period
from ddss.quality.gate import validate


def test_periods_are_due_deadline_days_after_they_end(cfg):
    contract = load_contracts(cfg)["admin_procedure_dossiers"]
    assert expected_periods(contract, date(2022, 2, 10)) == ["2022-01"]
    assert expected_periods(contract, date(2022, 2, 9)) == []
    assert expected_periods(contract, date(2023, 1, 10))[-1] == "2022-12"
    assert file_period(contract, "ho_so_2022-03.csv") == "2022-03"


def test_the_demo_feeds_are_live_as_of_their_run_and_a_stopped_feed_is_flagged(published, tmp_path):
    quality_runs = duckdb.connect(str(published.warehouse_path), read_only=True)
    latest = quality_runs.execute(
        "select freshness_json from quality.validation_runs where dataset = 'admin_procedure_dossiers' "
        "order by recorded_at desc limit 1"
    ).fetchall()[0][0]
    quality_runs.close()
    assert '"missing": []' in latest and '"score": 100.0' in latest

    cfg = copy_workspace(published, tmp_path)
    # Three months on, the centre has sent nothing since July.
    outcome = validate("admin_procedure_dossiers", "run-late", cfg, as_of=date(2022, 11, 11))
    assert [m["period"] for m in outcome.freshness["missing"]] == ["2022-08", "2022-09", "2022-10"]
    assert outcome.freshness["stale"] is True
    assert outcome.scores["song"] == round(100 * 7 / 10, 2)
    assert outcome.publishable  # late data is flagged, not withheld
