import csv
import hashlib
import json
from collections import Counter

from ddss_demo.feeds.tuyen_quang_pasc import RECEIVED, RESOLVED, SERVICES_BY_LEVEL
from ddss_demo.generate import generate


def _digest(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.csv"))
    }


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path, feeds):
    generate(tmp_path / "again", seed=2022, scale=1.0)
    assert _digest(tmp_path / "again") == _digest(feeds)
    generate(tmp_path / "other", seed=7, scale=0.05)
    assert _digest(tmp_path / "other") != _digest(feeds)


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_clean_rows_reproduce_the_published_figures(feeds):
    manifest = json.loads((feeds / "truth-manifest.json").read_text("utf-8"))
    defect_rows = {(d["file"], d["source_row"]) for d in manifest["defects"]}
    channels, outcomes = Counter(), Counter()
    for path in sorted((feeds / "tuyen_quang_pasc").glob("ho_so_*.csv")):
        rows = _rows(path)
        rel = f"tuyen_quang_pasc/{path.name}"
        for number, row in enumerate(rows[1:], start=2):
            if (rel, number) in defect_rows:
                continue
            channels[row[2]] += 1
            if row[9]:
                due = row[8].split("/")[::-1]
                done = row[9].split("/")[::-1]
                outcomes["early" if done < due else "on_time" if done == due else "late"] += 1
    assert channels == {
        "Trực tiếp": RECEIVED["direct"],
        "Trực tuyến": RECEIVED["online"],
        "Bưu chính công ích": RECEIVED["postal"],
    }
    assert outcomes == RESOLVED
    services = _rows(feeds / "tuyen_quang_pasc" / "dich_vu_cong_2022-07.csv")[1:]
    assert Counter(int(r[2]) for r in services) == SERVICES_BY_LEVEL


def test_the_truth_manifest_points_at_the_defective_rows(feeds):
    manifest = json.loads((feeds / "truth-manifest.json").read_text("utf-8"))
    dossier_defects = [d for d in manifest["defects"] if d["file"].startswith("tuyen_quang_pasc/")]
    assert len(dossier_defects) == 7 * 8  # 7 months x 8 kinds at scale 1
    files = {}
    for defect in dossier_defects:
        rows = files.setdefault(defect["file"], _rows(feeds / defect["file"]))
        row = rows[defect["source_row"] - 1]
        assert row[0] == defect["key"]
        if defect["kind"] == "ragged_row":
            assert len(row) == len(rows[0]) + 1
        elif defect["kind"] == "impossible_date":
            assert row[7] == "30/02/2022"
        elif defect["kind"] == "duplicate_row":
            first = next(i for i, r in enumerate(rows) if r[0] == row[0])
            assert first + 1 < defect["source_row"] and rows[first] == row


def test_scale_multiplies_rows(tmp_path):
    manifest = generate(tmp_path, seed=1, scale=0.1)
    assert manifest["clean_rows"]["admin_procedure_dossiers"] == round(42_540 * 0.1)


def test_the_teams_spreadsheet_has_a_title_above_its_header_and_the_published_totals(feeds):
    from openpyxl import load_workbook

    manifest = json.loads((feeds / "truth-manifest.json").read_text("utf-8"))
    path = feeds / "hanoi_dict" / "to_cong_nghe_so_2022-07.xlsx"
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0].startswith("DANH SÁCH TỔ CÔNG NGHỆ SỐ") and rows[3][0] == "Mã tổ"
    bad = {d["source_row"] for d in manifest["defects"] if d["file"].startswith("hanoi_dict/")}
    clean = [r for number, r in enumerate(rows[4:], start=5) if number not in bad]
    assert len(clean) == 545 and sum(r[4] for r in clean) == 2_396
    assert {r[3] for r in clean} == {"Hoàn Kiếm", "Ba Đình", "Đông Anh", "Sóc Sơn"}
    for defect in manifest["defects"]:
        if defect["file"].startswith("hanoi_dict/"):
            assert rows[defect["source_row"] - 1][0] == defect["key"]
