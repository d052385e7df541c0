"""`ddss check`: a steward's pre-flight with the pipeline's own rules."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from ddss.check import check_file


def test_check_finds_every_injected_defect_of_a_file_with_its_row(published):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    result = check_file(published.landing_dir / name, "admin_procedure_dossiers", published)
    expected = sorted((d["source_row"], d["criterion"]) for d in truth["defects"] if d["file"] == name)
    assert sorted((f["source_row"], f["criterion"]) for f in result.failures) == expected
    assert not result.clean and result.notes == []
    for failure in result.failures:
        assert set(failure) >= {"source_row", "column", "value", "rule", "criterion", "message_vi", "message_en"}


def _cli(path: Path, published, *extra):
    env = {**os.environ, "DDSS_DATA_DIR": str(published.warehouse_path.parents[1]),
           "DDSS_PUBLIC_DIR": str(published.public_dir)}
    return subprocess.run([str(Path(sys.executable).with_name("ddss")), "check", str(path),
                           "--dataset", "admin_procedure_dossiers", *extra],
                          env=env, capture_output=True, text=True, cwd=REPO)


def test_a_corrected_file_passes_and_exits_zero(published, tmp_path):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-02.csv"
    bad_rows = {d["source_row"] for d in truth["defects"] if d["file"] == name}
    lines = (published.landing_dir / name).read_text("utf-8").splitlines(keepends=True)
    fixed = tmp_path / "ho_so_2022-02.csv"
    fixed.write_text("".join(l for i, l in enumerate(lines, start=1) if i not in bad_rows), "utf-8")
    process = _cli(fixed, published, "--json")
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-2000:]
    assert json.loads(process.stdout) == []


def test_an_unreadable_file_is_reported_not_crashed_on(published, tmp_path):
    bad = tmp_path / "ho_so.csv"
    bad.write_bytes(b"\xff\xfe garbage")
    process = _cli(bad, published)
    assert process.returncode == 1
    assert "UTF-8" in process.stdout
