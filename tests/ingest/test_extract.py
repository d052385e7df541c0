"""Extraction: the archive is immutable and checksummed, nothing is loaded twice, bad
files get a message naming file, row, column and value, and nothing loaded is lost."""

import csv
import hashlib
import json
import os
import stat

import duckdb
import pytest

from ddss.data_contracts import load_contracts
from ddss.errors import FileRejected
from ddss.ingest.extract import extract, read_manifest, read_rows

FOLDER = "tuyen_quang_pasc"


def _count(cfg, table="raw.raw_admin_procedure_dossiers", where="true"):
    con = duckdb.connect(str(cfg.warehouse_path))
    try:
        return con.execute(f"select count(*) from {table} where {where}").fetchall()[0][0]
    finally:
        con.close()


# The first two departments' datasets: the counts below are theirs.
FIRST = ["admin_procedure_dossiers", "online_public_services", "community_digital_teams"]


def test_files_are_archived_by_sha256_read_only_and_loaded_with_row_numbers(landed):
    report = extract("run-1", landed, FIRST)
    assert len(report.archived) == 9 and not report.rejected
    assert _count(landed, "raw.raw_community_digital_teams") == 545 + 5
    for entry in read_manifest(landed):
        raw = landed.raw_dir / entry["raw_path"]
        assert hashlib.sha256(raw.read_bytes()).hexdigest() == entry["sha256"]
        assert not raw.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        assert raw.read_bytes() == (landed.landing_dir / entry["landing_path"]).read_bytes()
    # 42,540 clean rows + 49 defective rows that split into the right number of columns.
    assert _count(landed) == 42_540 + 49
    assert _count(landed, "raw.load_rejects") == 7
    first = _count(
        landed,
        where="_source_file = 'ho_so_2022-01.csv' and _source_row = 2 "
        "and dossier_id = '000.00.15.H61-220101-0001'",
    )
    assert first == 1


def test_a_file_sent_twice_is_recognised_and_not_loaded_twice(landed):
    extract("run-1", landed, FIRST)
    before = _count(landed)
    folder = landed.landing_dir / FOLDER
    (folder / "ho_so_2022-01 - Copy.csv").write_bytes((folder / "ho_so_2022-01.csv").read_bytes())
    report = extract("run-2", landed, FIRST)
    assert report.loaded == {} and len(report.archived) == 0
    assert "ho_so_2022-01 - Copy.csv" in {d.file_name for d in report.duplicates}
    assert _count(landed) == before
    assert len(read_manifest(landed)) == 9


def test_a_corrected_file_replaces_only_its_own_rows_and_the_old_version_stays_archived(landed):
    extract("run-1", landed, FIRST)
    path = landed.landing_dir / FOLDER / "ho_so_2022-07.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-100]), "utf-8")  # the department withdraws 100 rows
    report = extract("run-2", landed, FIRST)
    assert list(report.loaded) == ["ho_so_2022-07.csv"]
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    well_formed = sum(1 for r in records[1:] if len(r) == len(records[0]))
    assert _count(landed, where="_source_file = 'ho_so_2022-07.csv'") == well_formed
    assert _count(landed, where="_source_file = 'ho_so_2022-01.csv'") > 6000  # untouched
    versions = [e for e in read_manifest(landed) if e["file_name"] == "ho_so_2022-07.csv"]
    assert len(versions) == 2
    assert all((landed.raw_dir / v["raw_path"]).exists() for v in versions)


def test_a_symlink_leading_outside_the_landing_folder_is_refused(landed, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("x", "utf-8")
    os.symlink(outside, landed.landing_dir / FOLDER / "ho_so_2099-01.csv")
    report = extract("run-1", landed, FIRST)
    assert [p.rule for p in report.rejected] == ["outside_landing"]
    assert not any("secret" in e["raw_path"] for e in read_manifest(landed))


def _contract(cfg):
    return load_contracts(cfg)["admin_procedure_dossiers"]


def test_wrong_encoding_names_the_file_line_and_bytes(cfg, tmp_path):
    path = tmp_path / "ho_so_2022-08.csv"
    header = ",".join(c.header for c in _contract(cfg).columns)
    legacy = "a,b,Văn Đông\r\n".encode("cp1258")  # a legacy Windows-1258 export
    path.write_bytes((header + "\r\n").encode() + legacy)
    with pytest.raises(FileRejected) as error:
        list(read_rows(path, _contract(cfg)))
    problem = error.value.problem
    assert (problem.file, problem.row, problem.rule) == ("ho_so_2022-08.csv", 2, "encoding")
    assert "UTF-8" in problem.message_vi and "UTF-8" in problem.message_en


def test_a_missing_column_is_named_in_both_languages(cfg, tmp_path):
    path = tmp_path / "ho_so_2022-08.csv"
    headers = [c.header for c in _contract(cfg).columns if c.name != "channel"]
    path.write_text(",".join(headers) + "\r\n" + ",".join("x" * len(headers)) + "\r\n", "utf-8")
    with pytest.raises(FileRejected) as error:
        list(read_rows(path, _contract(cfg)))
    assert error.value.problem.column == "Hình thức nộp"
    assert "Thiếu cột 'Hình thức nộp'" in error.value.problem.message_vi


@pytest.mark.parametrize("content", [b"", "Mã hồ sơ\r\n".encode()])
def test_empty_files_are_refused(cfg, tmp_path, content):
    path = tmp_path / "ho_so_2022-08.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as error:
        list(read_rows(path, _contract(cfg)))
    assert error.value.problem.rule in ("empty_file", "missing_columns")


def test_a_byte_order_mark_and_spacing_in_headers_are_accepted(cfg, tmp_path):
    contract = _contract(cfg)
    path = tmp_path / "ho_so_2022-08.csv"
    header = ",".join(f"  {c.header.upper()} " for c in contract.columns)
    path.write_bytes(
        b"\xef\xbb\xbf" + (header + "\r\n" + ",".join(["v"] * len(contract.columns))).encode()
    )
    rows = list(read_rows(path, contract))
    assert rows[0][0] == 2 and rows[0][1]["dossier_id"] == "v"


def test_a_rejected_file_is_kept_and_loses_nothing_already_loaded(landed, monkeypatch):
    extract("run-1", landed, FIRST)
    before = _count(landed)
    bad = landed.landing_dir / FOLDER / "ho_so_2022-08.csv"
    bad.write_bytes("Mã hồ sơ,Ghi chú\r\nx,y\r\n".encode())
    report = extract("run-2", landed, FIRST)
    assert [p.file for p in report.rejected] == ["ho_so_2022-08.csv"]
    assert _count(landed) == before
    kept = [e for e in read_manifest(landed) if e["file_name"] == "ho_so_2022-08.csv"]
    assert kept and (landed.raw_dir / kept[0]["raw_path"]).read_bytes() == bad.read_bytes()
    events = _count(landed, "meta.file_events", "status = 'rejected' and run_id = 'run-2'")
    assert events == 1


def test_oversized_files_are_refused_before_copying(landed, monkeypatch):
    monkeypatch.setenv("DDSS_MAX_FILE_BYTES", "1000")
    from ddss.settings import load_settings

    report = extract("run-1", load_settings(), FIRST)
    assert {p.rule for p in report.rejected} == {"file_too_large"}
    assert json.dumps(read_manifest(load_settings())) == "[]"


def test_a_legacy_windows_1258_file_is_read_when_its_contract_says_so(cfg, tmp_path):
    import dataclasses
    import unicodedata

    def windows_1258(text: str) -> str:
        """Vowel shapes (â, ă, ơ, ư) precomposed, tone marks as combining characters."""
        out: list[str] = []
        for ch in unicodedata.normalize("NFD", text):
            if ch in "\u0302\u0306\u031b":
                base = max(i for i, c in enumerate(out) if not unicodedata.combining(c))
                out[base] = unicodedata.normalize("NFC", out[base] + ch)
            else:
                out.append(ch)
        return "".join(out)

    contract = _contract(cfg)
    legacy = dataclasses.replace(
        contract, source=dataclasses.replace(contract.source, encoding="cp1258")
    )
    header = ",".join(windows_1258(c.header) for c in contract.columns)
    row = ",".join(["x"] * 2 + [windows_1258("Trực tiếp")] + ["y"] * 8)
    path = tmp_path / "ho_so_2022-08.csv"
    # Windows-1258 has no precomposed tone marks: Vietnamese travels as base letter + combining mark.
    path.write_bytes((header + "\r\n" + row + "\r\n").encode("cp1258", errors="strict"))
    rows = list(read_rows(path, legacy))
    assert rows[0][0] == 2
    channel = rows[0][1]["channel"]
    assert (
        channel != "Trực tiếp" and unicodedata.normalize("NFC", channel) == "Trực tiếp"
    )  # NFC in staging
