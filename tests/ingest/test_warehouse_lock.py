"""A writer that meets the warehouse locked by another process waits and retries with a
clear message in both languages, instead of failing at once."""

from __future__ import annotations

import logging
import time

import pytest

from conftest import hold_warehouse
from ddss.warehouse import WarehouseBusy, connect


def test_a_writer_waits_for_a_busy_lock_and_then_succeeds(cfg, caplog):
    holder = hold_warehouse(cfg.warehouse_path, 2.0)
    started = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING, logger="ddss.warehouse"):
            with connect(cfg) as con:
                assert con.execute("select count(*) from meta.file_events").fetchall() == [(0,)]
    finally:
        holder.wait(30)
    assert time.monotonic() - started >= 0.5  # it did wait for the other process
    waiting = [r.getMessage() for r in caplog.records if "waiting up to" in r.getMessage()]
    assert waiting and "đang được tiến trình khác" in waiting[0]
    assert f"PID {holder.pid}" in waiting[0]


def test_a_lock_held_too_long_ends_with_a_message_naming_the_file_and_holder(cfg, monkeypatch):
    monkeypatch.setenv("DDSS_WAREHOUSE_LOCK_WAIT_SECONDS", "0.5")
    holder = hold_warehouse(cfg.warehouse_path, 30.0)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            with connect(cfg):
                pass
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait(30)
    message = str(busy.value)
    assert str(cfg.warehouse_path) in message and f"PID {holder.pid}" in message
    assert "Kho dữ liệu" in message and " / The warehouse" in message
