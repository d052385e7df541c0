"""A crash mid-append tears the manifest's last line: the next run recovers, says what it
repaired in both languages, and loses no archived file."""

from __future__ import annotations

import json

from ingest_files import DATASET, dossier_contract, dossier_csv, dossier_rows, drop

from ddss.ingest.archive import archive_landing
from ddss.ingest.extract import extract, read_manifest
from ddss.ingest.manifest import manifest_path


def _tear_last_line(cfg) -> str:
    """Cut the manifest's last line in half, as a crash inside write(2) leaves it."""
    path = manifest_path(cfg)
    data = path.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    last = data[start:]
    path.write_bytes(data[: start + len(last) // 2])
    return last.decode("utf-8")


def _archived_but_torn(cfg):
    """Two months loaded; a third archived whose manifest line was torn before its load."""
    drop(cfg, "ho_so_2022-01.csv", dossier_csv(cfg, dossier_rows(3)))
    drop(cfg, "ho_so_2022-02.csv", dossier_csv(cfg, dossier_rows(4, start=10)))
    extract("run-1", cfg, [DATASET])
    drop(cfg, "ho_so_2022-03.csv", dossier_csv(cfg, dossier_rows(5, start=20)))
    archive_landing(cfg, [dossier_contract(cfg)])  # the crash: archived, never loaded
    return _tear_last_line(cfg)


def _assert_archive_whole(cfg):
    entries = read_manifest(cfg)
    assert sorted(e["file_name"] for e in entries) == [
        "ho_so_2022-01.csv",
        "ho_so_2022-02.csv",
        "ho_so_2022-03.csv",
    ]
    for line in manifest_path(cfg).read_text("utf-8").splitlines():
        json.loads(line)  # every line whole again
    for entry in entries:
        assert (cfg.raw_dir / entry["raw_path"]).is_file()


def test_a_torn_manifest_line_is_moved_aside_reported_and_the_run_succeeds(cfg):
    torn = _archived_but_torn(cfg)
    report = extract("run-2", cfg, [DATASET])
    assert not report.rejected
    assert report.loaded == {"ho_so_2022-03.csv": 5}
    repaired = [p for p in report.repairs if p.rule == "manifest_repaired"]
    assert [p.row for p in repaired if p.file == "raw/manifest.jsonl"] == [3]
    assert "cắt dở" in repaired[0].message_vi and "torn" in repaired[0].message_en
    aside = list(cfg.raw_dir.glob("manifest.torn-*.jsonl"))
    assert len(aside) == 1 and aside[0].read_text("utf-8") == torn[: len(torn) // 2] + "\n"
    _assert_archive_whole(cfg)
    again = extract("run-3", cfg, [DATASET])  # nothing left to repair or load
    assert again.repairs == [] and again.loaded == {}


def test_an_archived_copy_whose_line_was_lost_is_verified_and_listed_again(cfg):
    _archived_but_torn(cfg)
    # The department took the file back after the crash: only the archive holds it now.
    (cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-03.csv").unlink()
    report = extract("run-2", cfg, [DATASET])
    assert not report.rejected
    relisted = [p for p in report.repairs if p.file.endswith("__ho_so_2022-03.csv")]
    assert len(relisted) == 1 and "sha256" in relisted[0].message_en
    _assert_archive_whole(cfg)


def test_a_copy_left_read_only_by_a_crash_before_its_rename_does_not_block_the_next_run(cfg):
    path = drop(cfg, "ho_so_2022-01.csv", dossier_csv(cfg, dossier_rows(3)))
    from ddss.checksums import sha256_of

    folder = cfg.raw_dir / "tuyen_quang_pasc" / DATASET
    folder.mkdir(parents=True)
    stale = folder / f"{sha256_of(path)}__{path.name}.partial"
    stale.write_bytes(b"half")
    stale.chmod(0o444)
    report = extract("run-1", cfg, [DATASET])
    assert report.loaded == {"ho_so_2022-01.csv": 3} and not stale.exists()


def test_after_a_repair_the_archive_is_re_verified_and_damage_is_named(cfg):
    _archived_but_torn(cfg)
    first = next(e for e in read_manifest(cfg) if e["file_name"] == "ho_so_2022-01.csv")
    damaged = cfg.raw_dir / first["raw_path"]
    damaged.chmod(0o644)
    damaged.write_bytes(b"bit rot")
    report = extract("run-2", cfg, [DATASET])
    [problem] = [p for p in report.repairs if p.rule == "archive_damaged"]
    assert problem.file == first["raw_path"] and "ho_so_2022-01.csv" in problem.message_vi
    assert "sha256" in problem.message_en
