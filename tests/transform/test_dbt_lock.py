"""dbt meets the warehouse locked by another process (an overlapping run, a person's
DuckDB shell): it waits as ``ddss.warehouse.connect`` does, saying so in both languages,
then ends with WarehouseBusy naming the file and the process, not DuckDB's traceback."""

from __future__ import annotations

import logging
import time

import pytest

from conftest import hold_warehouse
from ddss.transform.dbt_runner import compile_inline, run_dbt
from ddss.warehouse import WarehouseBusy


@pytest.mark.slow
def test_dbt_waits_for_a_busy_warehouse_and_then_runs(cfg, caplog):
    holder = hold_warehouse(cfg.warehouse_path, 3.0)
    started = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING):
            compiled = compile_inline("select {{ 40 + 2 }} as answer", cfg)
    finally:
        holder.wait(30)
    assert "42" in compiled
    assert time.monotonic() - started >= 1.0  # it did wait for the other process
    waiting = [r.getMessage() for r in caplog.records if "waiting up to" in r.getMessage()]
    assert waiting, [r.getMessage() for r in caplog.records]
    assert "đang được tiến trình khác" in waiting[0] and f"PID {holder.pid}" in waiting[0]
    assert str(cfg.warehouse_path) in waiting[0]


@pytest.mark.slow
def test_dbt_on_a_warehouse_held_too_long_ends_with_warehouse_busy(cfg, monkeypatch):
    monkeypatch.setenv("DDSS_WAREHOUSE_LOCK_WAIT_SECONDS", "1")
    holder = hold_warehouse(cfg.warehouse_path, 60.0)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            run_dbt(["build", "--select", "staging"], cfg)
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait(30)
    message = str(busy.value)
    assert str(cfg.warehouse_path) in message and f"PID {holder.pid}" in message
    assert message.index("Kho dữ liệu") < message.index(" / The warehouse")
    assert "DDSS_WAREHOUSE_LOCK_WAIT_SECONDS" in message
