"""The feeds are the same bytes for the same seed and scale, and the same as the first
generator made before it was merged into one (tests/demo/golden/*.json: sha256 per file as
the old generator wrote CSV and JSON; spreadsheets, which it did not write
deterministically, by their new bytes and by the old files' cell values)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from ddss_demo.feeds.formats import ZIP_DATE
from ddss_demo.generate import generate

GOLDEN = Path(__file__).parent / "golden"


def cell_digest(path: Path) -> str:
    """A spreadsheet by what a reader sees: sheet names and every cell's value."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    sheets = [
        [ws.title, [[repr(v) for v in row] for row in ws.iter_rows(values_only=True)]]
        for ws in workbook.worksheets
    ]
    workbook.close()
    return hashlib.sha256(json.dumps(sheets, ensure_ascii=False).encode()).hexdigest()


def fingerprint(folder: Path) -> dict:
    """sha256 of every file, the cell digest of every spreadsheet, and the arrival time
    (modification time) of every landing and control file."""
    manifest = json.loads((folder / "truth-manifest.json").read_text("utf-8"))
    dated = [
        *manifest["files"],
        *(str(p.relative_to(folder)) for p in folder.rglob("*.kiem_soat.json")),
    ]
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {
        "sha256": {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
        },
        "xlsx_cells": {
            str(p.relative_to(folder)): cell_digest(p) for p in files if p.suffix == ".xlsx"
        },
        "mtime": {name: int((folder / name).stat().st_mtime) for name in sorted(dated)},
    }


def _check(folder: Path, golden: Path) -> None:
    expected = json.loads(golden.read_text("utf-8"))
    got = fingerprint(folder)
    assert got["xlsx_cells"] == expected["xlsx_cells"]
    assert got["mtime"] == expected["mtime"]
    assert got["sha256"] == expected["sha256"]


def test_seed_2022_scale_1_is_what_the_first_generator_wrote(feeds):
    _check(feeds, GOLDEN / "seed2022-scale1.json")


@pytest.mark.slow
def test_seed_7_scale_2_is_what_the_first_generator_wrote(tmp_path):
    generate(tmp_path, seed=7, scale=2.0)
    _check(tmp_path, GOLDEN / "seed7-scale2.json")


def test_spreadsheets_are_the_same_bytes_twice(tmp_path):
    """openpyxl stamps files with the time they are written: the writer fixes those dates."""
    first, second = (
        generate(tmp_path / run, seed=3, scale=0.05, departments={"hanoi_labour"})
        for run in ("a", "b")
    )
    assert first == second
    for name in first["files"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    spreadsheets = [name for name in first["files"] if name.endswith(".xlsx")]
    assert spreadsheets
    for name in spreadsheets:  # no trace of when they were written
        with zipfile.ZipFile(tmp_path / "a" / name) as archive:
            assert {info.date_time for info in archive.infolist()} == {ZIP_DATE}
            core = archive.read("docProps/core.xml").decode()
        assert "2022-08-01T00:00:00Z</dcterms:created>" in core
        assert "2022-08-01T00:00:00Z</dcterms:modified>" in core
