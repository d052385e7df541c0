"""Landing names and links the raw archive refuses before reading the file: a name too long
for its archived copy, a name with a control or bidirectional character, a hard link. Each
is a rejected file event; the file stays in landing and the other files are still taken."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from ddss.data_contracts import source_contracts
from ddss.ingest import archive
from ddss.ingest.manifest import read_manifest

FOLDER = "tuyen_quang_pasc"


@pytest.fixture
def pasc(cfg, feeds, monkeypatch):
    monkeypatch.setenv("DDSS_LANDING_SETTLE_SECONDS", "0")
    shutil.copytree(feeds / FOLDER, cfg.landing_dir / FOLDER)
    return cfg


def _contracts(cfg):
    return [c for c in source_contracts(cfg) if c.department.id == FOLDER]


def _body(cfg) -> bytes:
    """A whole landing file of the department (a header and rows, ending with a newline)."""
    return sorted((cfg.landing_dir / FOLDER).glob("ho_so_2*.csv"))[0].read_bytes()


def _plant(cfg, name: str) -> Path:
    path = cfg.landing_dir / FOLDER / name
    lines = _body(cfg).decode("utf-8-sig").splitlines()
    path.write_text(f"{lines[0]}\n{lines[-1]}\n", "utf-8")
    return path


def _landing_names(cfg) -> set[str]:
    return {p.name for p in (cfg.landing_dir / FOLDER).iterdir()}


def _scan(cfg):
    before = _landing_names(cfg)
    scan = archive.archive_landing(cfg, _contracts(cfg))
    assert _landing_names(cfg) == before, "a landing file was lost"
    assert scan.archived, "the department's other files were not taken"
    return scan


def test_a_name_too_long_for_its_archived_copy_is_refused_and_the_rest_taken(pasc):
    name = "ho_so_" + "x" * 200 + ".csv"
    _plant(pasc, name)
    scan = _scan(pasc)
    [problem] = scan.rejected
    assert (problem.file, problem.rule, problem.value) == (name, "name_too_long", "210")
    assert "x" * 80 not in problem.message_vi  # shortened for display
    assert problem.message_vi.startswith("Tên tệp 'ho_so_xxx")
    assert "181" in problem.message_vi and "181" in problem.message_en
    assert name not in {e.file_name for e in scan.archived}
    assert all(name not in e["raw_path"] for e in read_manifest(pasc))


def test_the_limit_is_counted_in_bytes_and_a_name_at_the_limit_is_archived(pasc):
    at_limit = "ho_so_" + "x" * (archive.MAX_NAME_BYTES - 10) + ".csv"
    assert len(at_limit.encode()) == archive.MAX_NAME_BYTES == 181
    # 90 letters đ are 90 characters but 180 bytes in UTF-8: too long.
    over = "ho_so_" + "đ" * 90 + ".csv"
    _plant(pasc, at_limit)
    _plant(pasc, over)
    scan = _scan(pasc)
    assert [(p.file, p.rule) for p in scan.rejected] == [(over, "name_too_long")]
    [taken] = [e for e in scan.archived if e.file_name == at_limit]
    assert (pasc.raw_dir / taken.raw_path).is_file()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("ho_so_a\nb.csv", "ho_so_a<U+000A>b.csv"),
        ("ho_so_\u202evsc.exe.csv", "ho_so_<U+202E>vsc.exe.csv"),
        ("ho_so_\u2067x\u2069.csv", "ho_so_<U+2067>x<U+2069>.csv"),
        ("ho_so_\tx\x7f.csv", "ho_so_<U+0009>x<U+007F>.csv"),
        ("ho_so_\u200fx.csv", "ho_so_<U+200F>x.csv"),
    ],
)
def test_a_name_with_a_control_or_bidi_character_is_refused_and_shown_visibly(
    pasc, caplog, name, shown
):
    _plant(pasc, name)
    with caplog.at_level(logging.ERROR, logger="ddss.ingest.archive"):
        scan = _scan(pasc)
    [problem] = scan.rejected
    assert (problem.file, problem.rule, problem.value) == (name, "unsafe_name", shown)
    assert f"'{shown}'" in problem.message_vi and f"'{shown}'" in problem.message_en
    assert name not in {e.file_name for e in scan.archived}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert shown in logged and name not in logged  # no forged log line, no hidden override


def test_a_hard_link_is_refused_without_being_read(pasc, tmp_path, monkeypatch):
    outside = tmp_path / "owned-by-someone-else.csv"
    outside.write_bytes(_body(pasc))
    link = pasc.landing_dir / FOLDER / "ho_so_hardlink.csv"
    os.link(outside, link)
    read: list[Path] = []
    real = archive.sha256_of

    def counting(path: Path) -> str:
        read.append(Path(path))
        return real(path)

    monkeypatch.setattr(archive, "sha256_of", counting)
    scan = _scan(pasc)
    [problem] = scan.rejected
    assert (problem.file, problem.rule) == (str(link), "hard_link")
    assert problem.message_vi.startswith("Tệp là một liên kết cứng (2 tên")
    assert "hard link (2 names" in problem.message_en
    assert link not in read
    assert "ho_so_hardlink.csv" not in {e.file_name for e in scan.archived + scan.duplicates}
    assert outside.read_bytes() == _body(pasc)


def test_a_file_whose_other_link_is_gone_is_taken(pasc, tmp_path):
    """A file moved in by a hard link whose first name was then removed is an ordinary file."""
    outside = tmp_path / "moved.csv"
    outside.write_bytes(_body(pasc))
    link = pasc.landing_dir / FOLDER / "ho_so_2099-01.csv"
    os.link(outside, link)
    outside.unlink()
    scan = _scan(pasc)
    assert scan.rejected == []
    assert "ho_so_2099-01.csv" in {e.file_name for e in scan.archived + scan.duplicates}


def test_a_name_refused_is_refused_at_once_not_deferred_as_still_changing(pasc, monkeypatch):
    """A fresh file under an unsafe name is refused on its name, not reported (with its raw
    name) as still being written; a fresh file under a good name is deferred as before."""
    monkeypatch.setenv("DDSS_LANDING_QUIET_SECONDS", "3600")
    name = "ho_so_\u202evsc.exe.csv"
    _plant(pasc, name)
    _plant(pasc, "ho_so_2099-02.csv")
    scan = archive.archive_landing(pasc, _contracts(pasc))
    assert [(p.file, p.rule) for p in scan.rejected] == [(name, "unsafe_name")]
    deferred = {Path(p.file).name for p in scan.deferred}
    assert "ho_so_2099-02.csv" in deferred
    assert name not in deferred
