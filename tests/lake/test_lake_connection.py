"""The lake mode of ``ddss.warehouse`` on a real PostgreSQL catalog: the same schema and SQL
as the DuckDB file, commit conflicts retried without losing or doubling a row."""

from __future__ import annotations

import dataclasses
import threading

import duckdb
import pytest

from ddss.warehouse import (
    LakeConnection,
    connect,
    environment,
    retry_on_conflict,
    snapshot_id,
)


@pytest.fixture
def lake_cfg(cfg, lake_catalog, tmp_path):
    return dataclasses.replace(
        cfg, lake_catalog=lake_catalog, lake_data_path=str(tmp_path / "lake") + "/"
    )


def test_lake_mode_opens_the_lake_not_the_file(lake_cfg):
    with connect(lake_cfg) as con:
        con.execute(
            "insert into meta.loaded_files (dataset, file_name, sha256, rows, run_id) "
            "values ('d', 'f.csv', 'abc', 3, 'run-1')"
        )
        assert con.execute("select current_database()").fetchall() == [("lake",)]
        assert snapshot_id(con) is not None
    assert not lake_cfg.warehouse_path.exists()
    with connect(lake_cfg, read_only=True) as con:
        assert con.execute("select file_name, rows from meta.loaded_files").fetchall() == [
            ("f.csv", 3)
        ]
        with pytest.raises(duckdb.Error):
            con.execute("delete from meta.loaded_files")
    assert environment(lake_cfg)["DDSS_LAKE_CATALOG"] == lake_cfg.lake_catalog


def test_file_mode_has_no_snapshot(cfg):
    with connect(cfg) as con:
        assert snapshot_id(con) is None
    assert cfg.warehouse_path.exists()


def _replace_rows(cfg, dataset: str, rounds: int, errors: list) -> None:
    """A department's load: delete its rows of a shared table and insert new ones, in one
    transaction: two of them at once conflict in DuckLake."""
    try:
        with connect(cfg) as con:
            for round_number in range(rounds):
                con.execute("begin transaction")
                con.execute("delete from meta.control_totals where dataset = ?", [dataset])
                con.executemany(
                    "insert into meta.control_totals (dataset, file_name, row_count) "
                    "values (?, ?, ?)",
                    [[dataset, f"{dataset}_{n}.csv", round_number] for n in range(3)],
                )
                con.execute("commit")
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def test_concurrent_rewrites_of_one_table_are_retried_and_lose_nothing(lake_cfg, caplog):
    with connect(lake_cfg):
        pass  # the schema, once
    errors: list = []
    threads = [
        threading.Thread(target=_replace_rows, args=(lake_cfg, f"dept{n}", 6, errors))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with connect(lake_cfg, read_only=True) as con:
        rows = con.execute(
            "select dataset, count(*), min(row_count), max(row_count) from meta.control_totals "
            "group by dataset order by dataset"
        ).fetchall()
    assert rows == [(f"dept{n}", 3, 5, 5) for n in range(4)]
    # The conflicts happened and were replayed (else this test would prove nothing).
    assert "replaying" in caplog.text


def test_a_transaction_that_read_is_not_replayed(lake_cfg):
    with connect(lake_cfg) as first, connect(lake_cfg) as second:
        assert isinstance(first, LakeConnection)
        first.execute("insert into meta.control_totals (dataset, row_count) values ('a', 1)")
        first.execute("begin transaction")
        second.execute("begin transaction")
        first.execute("select count(*) from meta.control_totals").fetchall()
        first.execute("delete from meta.control_totals where dataset = 'a'")
        second.execute("delete from meta.control_totals where dataset = 'a'")
        second.execute("commit")
        with pytest.raises(duckdb.Error, match="(?i)conflict"):
            first.execute("commit")


def test_a_step_that_read_then_lost_a_conflict_runs_again_from_the_start(lake_cfg):
    """The gate's shape: read, then replace the dataset's rows, in one transaction."""
    with connect(lake_cfg) as con:
        con.execute(
            "insert into meta.control_totals (dataset, row_count) values ('a', 1), ('b', 1), ('c', 1)"
        )
    attempts: list[int] = []

    @retry_on_conflict
    def recount() -> int:
        with connect(lake_cfg) as con, connect(lake_cfg) as other:
            con.execute("begin transaction")
            (total,) = con.execute("select count(*) from meta.control_totals").fetchall()[0]
            con.execute("delete from meta.control_totals where dataset = 'b'")
            con.execute(
                "insert into meta.control_totals (dataset, row_count) values ('b', ?)", [total]
            )
            if not attempts:  # another department changes the table first, the first time only
                other.execute("delete from meta.control_totals where dataset = 'c'")
            attempts.append(total)
            con.execute("commit")
            return total

    assert recount() == 2  # counted again after the other commit: 'a' and 'b'
    assert attempts == [3, 2]
    with connect(lake_cfg, read_only=True) as con:
        assert con.execute(
            "select dataset, row_count from meta.control_totals order by all"
        ).fetchall() == [("a", 1), ("b", 2)]
