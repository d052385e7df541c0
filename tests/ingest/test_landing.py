"""A landing file still being written is not taken: deferred (reported, neither archived
nor rejected) and taken whole by the next run."""

from __future__ import annotations

import threading
import time

from ingest_files import DATASET, dossier_csv, dossier_rows, drop

from ddss.ingest.extract import extract, read_manifest


def _names(problems):
    return [p.file for p in problems]


def test_a_csv_cut_inside_a_row_is_deferred_and_taken_once_complete(cfg):
    whole = dossier_csv(cfg, dossier_rows(4))
    cut = whole.rstrip("\r\n")
    cut = cut[: cut.rfind(",") - 20]  # inside the last row: "...,10" instead of "...,1085000"
    path = drop(cfg, "ho_so_2022-07.csv", cut)
    report = extract("run-1", cfg, [DATASET])
    assert _names(report.deferred) == ["ho_so_2022-07.csv"] and not report.rejected
    deferred = report.deferred[0]
    assert deferred.rule == "file_incomplete" and deferred.row == 5
    assert "dừng giữa dòng 5" in deferred.message_vi and "next run" in deferred.message_en
    assert report.loaded == {} and read_manifest(cfg) == []  # not archived
    path.write_text(whole, "utf-8")
    again = extract("run-2", cfg, [DATASET])
    assert again.deferred == [] and again.loaded == {"ho_so_2022-07.csv": 4}


def test_a_whole_last_row_without_a_final_newline_is_not_a_false_alarm(cfg):
    drop(cfg, "ho_so_2022-07.csv", dossier_csv(cfg, dossier_rows(3)).rstrip("\r\n"))
    report = extract("run-1", cfg, [DATASET])
    assert report.deferred == [] and report.loaded == {"ho_so_2022-07.csv": 3}


def test_a_file_still_being_appended_is_deferred_and_taken_by_the_next_run(cfg, monkeypatch):
    monkeypatch.setenv("DDSS_LANDING_SETTLE_SECONDS", "0.3")
    header, *rows = dossier_csv(cfg, dossier_rows(5000)).splitlines(keepends=True)
    path = drop(cfg, "ho_so_2022-07.csv", header + rows[0])
    started, stop = threading.Event(), threading.Event()
    written = [1]

    def department_writes() -> None:
        """Appends a row every 10 ms until the first run is over (however slow it is)."""
        with path.open("a", encoding="utf-8", newline="") as handle:
            for row in rows[1:]:
                if stop.is_set():
                    break
                handle.write(row)
                handle.flush()
                written[0] += 1
                started.set()
                time.sleep(0.01)

    writer = threading.Thread(target=department_writes)
    writer.start()
    started.wait(5)
    try:
        report = extract("run-1", cfg, [DATASET])
    finally:
        stop.set()
        writer.join()
    assert _names(report.deferred) == ["ho_so_2022-07.csv"]
    assert report.deferred[0].rule == "file_changing" and not report.rejected
    assert read_manifest(cfg) == [] and report.loaded == {}
    again = extract("run-2", cfg, [DATASET])
    assert again.loaded == {"ho_so_2022-07.csv": written[0]}


def test_a_control_file_cut_short_is_deferred(cfg):
    from ddss.data_contracts import load_contracts

    land = load_contracts(cfg)["land_registration_payments"]
    data_file = land.source.pattern.replace("*", "2022-07")
    control_file = land.source.control_file_for(data_file)
    folder = cfg.landing_dir / land.department.landing_folder
    folder.mkdir(parents=True)
    (folder / control_file).write_text('{"row_count": 12, "su', "utf-8")
    report = extract("run-1", cfg, [land.id])
    assert [p.rule for p in report.deferred] == ["file_incomplete"]
    assert "JSON" in report.deferred[0].message_vi


def test_a_quiet_period_defers_a_file_just_dropped_but_not_one_fetched_from_an_api(
    cfg, monkeypatch, tmp_path
):
    import dataclasses
    import json
    import os

    from ddss_demo.api_server import ApiServer

    monkeypatch.setenv("DDSS_LANDING_QUIET_SECONDS", "60")
    path = drop(cfg, "ho_so_2022-07.csv", dossier_csv(cfg, dossier_rows(2)))
    report = extract("run-1", cfg, [DATASET])
    assert [p.rule for p in report.deferred] == ["file_changing"]
    assert "60 s ago" in report.deferred[0].message_en and report.loaded == {}
    old = time.time() - 120
    os.utime(path, (old, old))
    assert extract("run-2", cfg, [DATASET]).loaded == {"ho_so_2022-07.csv": 2}

    api = tmp_path / "api" / "hanoi_tax" / "etax-mobile"
    api.mkdir(parents=True)
    records = [{"ma_phuong_xa": "00070", "ky_bao_cao": "2022-07", "so_tai_khoan": 1}]
    (api / "2022-07.json").write_text(json.dumps(records), "utf-8")
    with ApiServer(tmp_path / "api") as url:
        fetched = extract("run-3", dataclasses.replace(cfg, api_url=url), ["etax_mobile_accounts"])
    assert fetched.deferred == [] and fetched.loaded == {"etax_mobile_2022-07.json": 1}
