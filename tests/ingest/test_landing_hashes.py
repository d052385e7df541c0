"""The record of landing hashes (raw/landing_hashes.json) saves reading unchanged files; it is
never trusted beyond what it can vouch for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ddss.data_contracts import source_contracts
from ddss.ingest import archive


@pytest.fixture
def pasc(cfg, feeds, monkeypatch):
    monkeypatch.setenv("DDSS_LANDING_SETTLE_SECONDS", "0")
    shutil.copytree(feeds / "tuyen_quang_pasc", cfg.landing_dir / "tuyen_quang_pasc")
    return cfg


def _contracts(cfg):
    return [c for c in source_contracts(cfg) if c.department.id == "tuyen_quang_pasc"]


def _reads(monkeypatch) -> list[Path]:
    read: list[Path] = []
    real = archive.sha256_of

    def counting(path: Path) -> str:
        if "landing" in Path(path).parts:
            read.append(Path(path))
        return real(path)

    monkeypatch.setattr(archive, "sha256_of", counting)
    return read


def test_a_torn_record_is_ignored_and_every_file_hashed_again(pasc, monkeypatch):
    first = archive.archive_landing(pasc, _contracts(pasc))
    record = archive.hashes_path(pasc)
    record.write_text(record.read_text("utf-8")[:40], "utf-8")  # cut by a crash
    read = _reads(monkeypatch)
    again = archive.archive_landing(pasc, _contracts(pasc))
    landing = sorted(p for p in (pasc.landing_dir / "tuyen_quang_pasc").iterdir() if p.is_file())
    assert sorted(read) == landing
    assert {e.sha256 for e in again.duplicates} == {e.sha256 for e in first.archived}
    assert archive.HashCache.load(pasc).entries  # written whole again


def test_a_file_moved_in_from_elsewhere_under_a_known_name_is_hashed(pasc, monkeypatch, tmp_path):
    archive.archive_landing(pasc, _contracts(pasc))
    path = sorted((pasc.landing_dir / "tuyen_quang_pasc").glob("ho_so_*.csv"))[0]
    other = tmp_path / "corrected.csv"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20  # one letter's case (or one byte) changed
    other.write_bytes(bytes(data))
    shutil.move(other, path)  # another inode under the same name
    read = _reads(monkeypatch)
    scan = archive.archive_landing(pasc, _contracts(pasc))
    assert read == [path]
    assert [e.file_name for e in scan.archived] == [path.name]


def test_a_file_the_archive_refuses_is_not_remembered(pasc):
    """Only files taken (archived, or recognised as archived) are vouched for."""
    import dataclasses

    small = dataclasses.replace(pasc, max_file_bytes=10)  # every file is too large
    scan = archive.archive_landing(small, _contracts(small))
    assert scan.rejected and not scan.archived
    assert archive.HashCache.load(small).entries == {}
    taken = archive.archive_landing(pasc, _contracts(pasc))  # the limit raised: all taken
    assert len(archive.HashCache.load(pasc).entries) == len(taken.archived + taken.controls)
