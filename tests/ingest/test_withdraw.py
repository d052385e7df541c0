"""Issue 18 #1: a file sent by mistake (a browser's re-download, `ho_so_2022-07 (1).csv`)
is noticed, and withdrawn without losing its raw copy or the audit trail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ddss.ingest.extract import extract
from ddss.ingest.withdraw import WithdrawError, withdraw
from ddss.orchestration.pipeline import stage_step, validate_step

DOSSIERS = ["admin_procedure_dossiers", "online_public_services"]
MISTAKE = "ho_so_2022-07 (1).csv"


def _query(cfg, sql, params=()):
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _quarantined(cfg, run_id):
    return _query(
        cfg,
        "select count(*) from quality.quarantine where dataset = 'admin_procedure_dossiers' "
        "and run_id = ?",
        [run_id],
    )[0][0]


def test_a_second_file_for_a_period_is_warned_about_and_can_be_withdrawn(landed):
    cfg = landed
    folder = cfg.landing_dir / "tuyen_quang_pasc"
    lines = (folder / "ho_so_2022-07.csv").read_text("utf-8").splitlines(keepends=True)
    # An older download of the same month: same rows but one (so other bytes, another sha256).
    (folder / MISTAKE).write_text("".join(lines[:-1]), "utf-8")

    report = extract("r1", cfg, DOSSIERS)
    warnings = [p for p in report.notes if p.rule == "same_period"]
    assert len(warnings) == 1
    assert "'ho_so_2022-07.csv'" in warnings[0].message_en and MISTAKE in warnings[0].message_en
    assert warnings[0].message_vi.startswith("2 tệp cùng kỳ 2022-07")
    stage_step(cfg, department="tuyen_quang_pasc")
    validate_step("r1", "tuyen_quang_pasc", cfg)
    with_mistake = _quarantined(cfg, "r1")

    loaded_rows = _query(cfg, "select rows from meta.loaded_files where file_name = ?", [MISTAKE])[
        0
    ][0]
    assert loaded_rows > 4000
    done = withdraw(str(folder / MISTAKE), cfg, reason="tải lại nhầm / re-downloaded by mistake")
    assert done.dataset == "admin_procedure_dossiers" and done.rows_removed == loaded_rows
    # Out of the data and of landing; the raw copy and the trail stay.
    assert (
        _query(
            cfg,
            "select count(*) from raw.raw_admin_procedure_dossiers where _source_file = ?",
            [MISTAKE],
        )[0][0]
        == 0
    )
    assert not _query(cfg, "select 1 from meta.loaded_files where file_name = ?", [MISTAKE])
    assert not (folder / MISTAKE).exists() and (folder / ".withdrawn" / MISTAKE).exists()
    raw_copies = list(cfg.raw_dir.rglob(f"{done.sha256}*"))
    assert raw_copies, "the raw copy is kept"
    trail = [json.loads(x) for x in (cfg.raw_dir / "withdrawals.jsonl").read_text().splitlines()]
    assert trail[-1]["file_name"] == MISTAKE and trail[-1]["reason"].startswith("tải lại nhầm")
    assert (
        _query(
            cfg,
            "select count(*) from meta.file_events where status = 'withdrawn' and file_name = ?",
            [MISTAKE],
        )[0][0]
        == 1
    )

    # The next run neither reloads it nor warns again, and its rows leave the quarantine.
    report = extract("r2", cfg, DOSSIERS)
    assert MISTAKE not in report.loaded and not [p for p in report.notes if p.rule == "same_period"]
    stage_step(cfg, department="tuyen_quang_pasc")
    validate_step("r2", "tuyen_quang_pasc", cfg)
    # Every row of the mistaken file duplicated one of the real file: those leave quarantine.
    assert with_mistake - _quarantined(cfg, "r2") >= loaded_rows - 10


def test_a_file_that_was_never_loaded_cannot_be_withdrawn(cfg):
    with pytest.raises(WithdrawError, match="nothing to withdraw"):
        withdraw("ho_so_2030-01.csv", cfg, dataset="admin_procedure_dossiers")
    with pytest.raises(WithdrawError, match="give --dataset"):
        withdraw("not_a_known_file.txt", cfg)


def test_the_cli_says_why_with_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DDSS_")}
    env.update(DDSS_DATA_DIR=str(tmp_path / "data"), DDSS_PUBLIC_DIR=str(tmp_path / "public"))
    ddss = str(Path(sys.executable).with_name("ddss"))
    result = subprocess.run(
        [ddss, "withdraw", "ho_so_2030-01.csv", "--dataset", "admin_procedure_dossiers"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "chưa được nạp" in result.stderr and "nothing to withdraw" in result.stderr
    assert "Traceback" not in result.stderr
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
