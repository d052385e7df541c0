"""``ddss generate --scale X`` works at any scale, and its truth manifest points at real
rows whatever the scale."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from ddss.data_contracts import source_contracts
from ddss_demo.feeds import tuyen_quang_office
from ddss_demo.feeds.defects import Spec, place_defects
from ddss_demo.generate import generate


def _records(root: Path, relative: str) -> list[list[str]]:
    """A landing file's rows as a reader sees them (header = row 1)."""
    folder_name, name = relative.rsplit("/", 1)
    contract = next(
        c
        for c in source_contracts()
        if c.department.landing_folder == folder_name and c.source.matches(name)
    )
    source = contract.source
    if source.format == "json":  # served by the department's API, not dropped
        period = name.rsplit("_", 1)[1].removesuffix(".json")
        pages = json.loads((root / "_http" / source.endpoint / f"{period}.json").read_text())
        return [[]] + [[str(v) for v in record.values()] for record in pages]
    if source.format == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(root / relative, read_only=True).worksheets[0]
        return [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    encoding = "utf-8-sig" if source.encoding == "utf-8" else source.encoding
    with (root / relative).open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=source.delimiter))


def _check_manifest(folder: Path, manifest: dict) -> None:
    assert all((folder / name).is_file() for name in manifest["files"])
    files: dict[str, list[list[str]]] = {}
    for defect in manifest["defects"]:
        if defect["file"] not in files:
            files[defect["file"]] = _records(folder, defect["file"])
        rows = files[defect["file"]]
        assert 1 < defect["source_row"] <= len(rows), defect
        assert defect["key"] is None or defect["key"] in rows[defect["source_row"] - 1], defect


@pytest.mark.parametrize("scale", [0.05])
def test_a_small_scale_writes_every_feed_and_a_true_manifest(tmp_path, scale):
    manifest = generate(tmp_path, seed=2022, scale=scale)
    assert manifest["expected"]["office"]["sessions"] == 1
    _check_manifest(tmp_path, manifest)


@pytest.mark.slow
@pytest.mark.parametrize("scale", [4, 10])
def test_large_scales_write_every_feed_and_a_true_manifest(tmp_path, scale):
    manifest = generate(tmp_path, seed=2022, scale=scale)
    assert manifest["clean_rows"]["admin_procedure_dossiers"] == round(42_540 * scale)
    _check_manifest(tmp_path, manifest)
    labour = [d for d in manifest["defects"] if d["kind"] == "pre_2025_ward_code_mapped"]
    # One Hoàn Kiếm row per payment type and month can be rewritten: 3 a month, not `scale`.
    assert sum(d["file"].startswith("hanoi_labour/") for d in labour) == 7 * 3


def test_a_kind_with_fewer_templates_than_asked_gets_one_defect_per_template():
    rows = [{"id": str(i), "ward": "00070" if i < 3 else "00004"} for i in range(20)]
    spec = Spec(
        "rewritten",
        "ward",
        "song",
        lambda r, rng, s: {**r, "ward": "00043"},
        in_place=True,
        where=lambda r: r["ward"] == "00070",
    )
    copy = Spec("copied", "id", "sach", lambda r, rng, s: r)
    lines, serial = place_defects(rows, [spec, copy], random.Random(1), 5, 0)
    assert [m[0] for _, m in lines if m].count("rewritten") == 3
    assert [m[0] for _, m in lines if m].count("copied") == 5
    assert len(lines) == 25 and serial == 8


def test_more_sessions_than_days_share_days():
    days = tuyen_quang_office._session_days(random.Random(1), 400)
    assert len(days) == 400 and days == sorted(days)
    assert set(days) <= set(tuyen_quang_office.YEAR_DAYS)


def test_every_duplicate_follows_its_original_and_positions_stay_exact():
    """The bookkeeping of inserted positions agrees with a plain search of the lines."""
    rows = [{"id": str(i)} for i in range(50)]
    specs = [Spec("copied", "id", "sach", lambda r, rng, s: r)] * 3
    lines, _ = place_defects(rows, specs, random.Random(7), 6, 0)
    assert [r["id"] for r, m in lines if m is None] == [str(i) for i in range(50)]
    for position, (row, marker) in enumerate(lines):
        if marker:
            original = next(
                i for i, (r, m) in enumerate(lines) if m is None and r["id"] == row["id"]
            )
            assert original < position
