"""The VNeID small-cell rule as a dbt data test: no published count of people under 5.

Built on a warehouse of a handful of activations, so that the cells are small on purpose."""

import duckdb
import pytest

from ddss.data_contracts import source_contract
from ddss.ingest.extract import ensure_raw_table
from ddss.reference.wards import load_reference_tables, wards_of
from ddss.transform.dbt_runner import DbtFailed, run_dbt
from ddss.warehouse import connect

pytestmark = pytest.mark.slow  # three dbt runs
POLICE = "path:models/staging/hanoi_police path:models/marts/hanoi_police"


def _warehouse(cfg, activations_per_ward: dict[str, tuple[int, int]]) -> None:
    """Raw activations: for each ward, (level-1 count, level-2 count), in July 2022."""
    contract = source_contract("vneid_activations", cfg)
    rows, row = [], 2
    for ward, (level_1, level_2) in activations_per_ward.items():
        for level in ["1"] * level_1 + ["2"] * level_2:
            citizen = f"0010900{row:05d}"
            rows.append(
                (citizen, f"Người {row}", "01/01/1990", "Nam", None, ward, "15/07/2022", level)
                + ("kich_hoat_vneid_2022-07.csv", "0" * 64, row, "run-1")
            )
            row += 1
    with connect(cfg) as con:
        load_reference_tables(con)
        ensure_raw_table(con, contract)
        con.executemany(
            f"insert into raw.{contract.raw_table} values ({', '.join('?' * 12)})", rows
        )


def _mart(cfg):
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select ward_code, activations, level_2_activations "
            "from marts.mart_vneid_activations_by_ward order by ward_code"
        ).fetchall()
    finally:
        con.close()


def test_small_cells_are_suppressed_and_the_data_test_passes(cfg):
    big, small = (w.code for w in wards_of("01")[:2])
    _warehouse(cfg, {big: (4, 3), small: (1, 1)})
    run_dbt(["build", "--select", POLICE], cfg)
    assert _mart(cfg) == sorted([(big, 7, None), (small, None, None)])


def test_the_data_test_fails_on_a_published_count_under_5(cfg):
    big, small = (w.code for w in wards_of("01")[:2])
    _warehouse(cfg, {big: (4, 3), small: (1, 1)})
    run_dbt(["build", "--select", POLICE], cfg)
    # A mart that let a small cell through (here: written by hand) fails its dbt test.
    con = duckdb.connect(str(cfg.warehouse_path))
    con.execute(
        "update marts.mart_vneid_activations_by_ward set activations = 2 where ward_code = ?",
        [small],
    ).fetchall()
    con.close()
    with pytest.raises(DbtFailed) as failed:
        run_dbt(["test", "--select", "mart_vneid_activations_by_ward"], cfg)
    assert "small_cells_suppressed_mart_vneid_activations_by_ward_activations:" in str(failed.value)


def test_a_city_wide_total_under_5_fails_the_indicators(cfg):
    ward = wards_of("01")[0].code
    _warehouse(cfg, {ward: (2, 1)})
    with pytest.raises(DbtFailed) as failed:
        run_dbt(["build", "--select", POLICE], cfg)
    assert "small_cells_suppressed_mart_vneid_indicators_value" in str(failed.value)
