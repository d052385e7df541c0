"""The record of landing hashes (raw/landing_hashes.json) saves reading unchanged files; it is
never trusted beyond what it can vouch for."""

from __future__ import annotations

import os
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


def test_a_landing_file_unchanged_since_it_was_taken_is_not_read_again(pasc, monkeypatch):
    first = archive.archive_landing(pasc, _contracts(pasc))
    assert first.archived and not first.rejected
    read = _reads(monkeypatch)
    again = archive.archive_landing(pasc, _contracts(pasc))
    assert read == []  # every file vouched for by its recorded stat
    assert {e.sha256 for e in again.duplicates} == {e.sha256 for e in first.archived}
    assert not again.archived


def test_new_bytes_of_the_same_size_with_the_mtime_set_back_are_hashed_again(pasc, monkeypatch):
    """What is trusted: size, mtime_ns, ctime_ns, inode and device together. Writing changes
    the ctime, which no program can set back, so restoring size and mtime is not enough."""
    archive.archive_landing(pasc, _contracts(pasc))
    path = sorted((pasc.landing_dir / "tuyen_quang_pasc").glob("ho_so_*.csv"))[0]
    before = path.stat()
    data = bytearray(path.read_bytes())
    at = data.rindex(b"online") if b"online" in data else len(data) // 2
    data[at] = ord("O") if data[at] != ord("O") else ord("o")  # one byte, same size
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    read = _reads(monkeypatch)
    scan = archive.archive_landing(pasc, _contracts(pasc))
    assert read == [path]
    assert [e.file_name for e in scan.archived] == [path.name]


def test_the_snapshot_of_inputs_sees_a_replaced_file(pasc):
    archive.archive_landing(pasc, _contracts(pasc))
    before = archive.landing_snapshot(pasc, _contracts(pasc))
    path = sorted((pasc.landing_dir / "tuyen_quang_pasc").glob("ho_so_*.csv"))[-1]
    replacement = path.with_name(".incoming")
    replacement.write_bytes(path.read_bytes().replace(b"\n", b"\r\n", 1))
    replacement.replace(path)  # a new inode under the same name
    after = archive.landing_snapshot(pasc, _contracts(pasc))
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {str(path.relative_to(pasc.landing_dir))}


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
