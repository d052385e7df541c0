"""`ddss check`: a steward's pre-flight with the pipeline's own rules."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from ddss.quality.check import check_file


def test_check_finds_every_injected_defect_of_a_file_with_its_row(published):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    result = check_file(published.landing_dir / name, "admin_procedure_dossiers", published)
    expected = sorted(
        (d["source_row"], d["criterion"]) for d in truth["defects"] if d["file"] == name
    )
    assert sorted((f["source_row"], f["criterion"]) for f in result.failures) == expected
    assert not result.clean and result.notes == []
    for failure in result.failures:
        assert set(failure) >= {
            "source_row",
            "column",
            "value",
            "rule",
            "criterion",
            "message_vi",
            "message_en",
        }


def _cli(path: Path, published, *extra):
    env = {
        **os.environ,
        "DDSS_DATA_DIR": str(published.warehouse_path.parents[1]),
        "DDSS_PUBLIC_DIR": str(published.public_dir),
    }
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("ddss")),
            "check",
            str(path),
            "--dataset",
            "admin_procedure_dossiers",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_a_corrected_file_passes_and_exits_zero(published, tmp_path):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-02.csv"
    bad_rows = {d["source_row"] for d in truth["defects"] if d["file"] == name}
    lines = (published.landing_dir / name).read_text("utf-8").splitlines(keepends=True)
    fixed = tmp_path / "ho_so_2022-02.csv"
    fixed.write_text(
        "".join(line for i, line in enumerate(lines, start=1) if i not in bad_rows), "utf-8"
    )
    process = _cli(fixed, published, "--json")
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-2000:]
    assert json.loads(process.stdout) == []


def test_an_unreadable_file_is_reported_not_crashed_on(published, tmp_path):
    bad = tmp_path / "ho_so.csv"
    bad.write_bytes(b"\xff\xfe garbage")
    process = _cli(bad, published)
    assert process.returncode == 1
    assert "UTF-8" in process.stdout


def test_old_ward_codes_anywhere_in_the_city_are_mapped_or_their_new_wards_named(
    published, tmp_path
):
    # Phúc Xá (00001, former Ba Đình) went whole into Hồng Hà (00097); Cống Vị (00007) was
    # divided: the steward is told which new wards to choose from.
    name = "hanoi_transport/trong_giu_xe_2022-03.csv"
    lines = (published.landing_dir / name).read_text("utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(";")
    ward = header.index("Mã phường/xã")
    edited = [lines[0]]
    for number, line in enumerate(lines[1:4], start=2):
        cells = line.rstrip("\r\n").split(";")
        cells[ward] = {2: "00001", 3: "00007", 4: "1"}[number]
        edited.append(";".join(cells) + "\n")
    path = tmp_path / "trong_giu_xe_2022-03.csv"
    path.write_text("".join(edited), "utf-8")
    result = check_file(path, "cashless_parking_payments", published)
    by_row = {}
    for failure in result.failures:
        by_row.setdefault(failure["source_row"], []).append(failure)
    assert [(f["column"], f["value"], f["criterion"]) for f in by_row[2]] == [
        ("Mã phường/xã", "00001", "song")
    ]
    assert [(f["column"], f["value"], f["criterion"]) for f in by_row[3]] == [
        ("Mã phường/xã", "00007", "dung")
    ]
    assert "00025 Phường Giảng Võ" in by_row[3][0]["message_vi"]
    assert "00008 Phường Ngọc Hà" in by_row[3][0]["message_en"]
    # "1" is Excel's "00001": read as the old code too.
    assert [f["value"] for f in by_row[4]] == ["00001"]
