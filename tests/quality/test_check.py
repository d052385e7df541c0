"""`ddss check`: a steward's pre-flight with the pipeline's own rules."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from ddss.quality.check import FAILURE_FIELDS, check_file


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
        assert tuple(failure) == FAILURE_FIELDS


def _check(path: Path, data_dir: Path, public_dir: Path, dataset: str, *extra):
    """`ddss check` as a steward runs it, against the given workspace."""
    env = {**os.environ, "DDSS_DATA_DIR": str(data_dir), "DDSS_PUBLIC_DIR": str(public_dir)}
    ddss = str(Path(sys.executable).with_name("ddss"))
    return subprocess.run(
        [ddss, "check", str(path), "--dataset", dataset, *extra],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def _cli(path: Path, published, *extra, dataset="admin_procedure_dossiers"):
    return _check(path, published.warehouse_path.parents[1], published.public_dir, dataset, *extra)


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
    output = json.loads(process.stdout)
    assert output["file"] == "ho_so_2022-02.csv"  # issue 16: the output names the file
    assert output["dataset"] == "admin_procedure_dossiers"
    assert output["rows"] == len(lines) - 1 - len(bad_rows)
    assert (output["clean"], output["failures"], output["notes"]) == (True, [], [])


def test_an_unreadable_file_is_reported_not_crashed_on(published, tmp_path):
    # Not UTF-8 and no byte-order mark (a UTF-16 BOM would now be read as UTF-16).
    bad = tmp_path / "ho_so.csv"
    bad.write_bytes(b"M\xc3\x28 h\xa0 s\xa1\n1,2\n")
    process = _cli(bad, published)
    assert process.returncode == 1  # a problem in the file for the steward to fix
    assert "UTF-8" in process.stdout and "Traceback" not in process.stderr


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


def test_json_output_names_the_file_and_keeps_every_failure_with_a_summary(published):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    process = _cli(published.landing_dir / name, published, "--json")
    assert process.returncode == 1, process.stderr[-2000:]
    output = json.loads(process.stdout)
    assert set(output) >= {"file", "dataset", "rows", "failures", "notes", "summary"}
    assert output["file"] == "ho_so_2022-05.csv"
    assert len(output["failures"]) == len([d for d in truth["defects"] if d["file"] == name])
    assert sum(item["count"] for item in output["summary"]) == len(output["failures"])


# Issue 19: a pre-flight check never takes a lock on the production warehouse.
WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
con.execute("begin transaction")
con.execute("create table quality.writer_probe (i integer)")
con.execute("insert into quality.writer_probe values (1)")
con.execute("rollback")  # the published workspace stays as it was
con.close()
duckdb.connect(sys.argv[1]).close()  # and the writer can open it again
print("written", flush=True)
"""


def test_check_runs_while_the_pipeline_holds_the_warehouse_and_never_disturbs_it(published):
    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    alone = check_file(published.landing_dir / name, "admin_procedure_dossiers", published)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(published.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        busy = check_file(published.landing_dir / name, "admin_procedure_dossiers", published)
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0, writer.stderr.read()
        assert writer.stdout.read().strip() == "written"
    finally:
        writer.kill()
    # Same answer as without the writer: the reference catalogue came from the snapshot.
    assert busy.notes == [] and busy.failures == alone.failures


def test_check_never_opens_the_production_warehouse_file(published, monkeypatch):
    import duckdb

    opened = []
    real_connect = duckdb.connect

    def spy(database=":memory:", *args, **kwargs):
        opened.append(str(database))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    result = check_file(published.landing_dir / name, "admin_procedure_dossiers", published)
    assert result.rows and opened  # the check did open its own scratch warehouse
    production = published.warehouse_path.resolve()
    assert not [p for p in opened if p != ":memory:" and Path(p).resolve() == production]


def test_a_writer_opening_while_check_runs_is_not_refused(published):
    import time

    import duckdb

    name = "tuyen_quang_pasc/ho_so_2022-05.csv"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("ddss")),
            "check",
            str(published.landing_dir / name),
            "--dataset",
            "admin_procedure_dossiers",
        ],
        env={
            **os.environ,
            "DDSS_DATA_DIR": str(published.warehouse_path.parents[1]),
            "DDSS_PUBLIC_DIR": str(published.public_dir),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    opened = 0
    try:
        while process.poll() is None:
            con = duckdb.connect(str(published.warehouse_path))  # raises if check held a lock
            con.execute("select count(*) from quality.validation_runs").fetchall()
            con.close()
            opened += 1
            time.sleep(0.05)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert opened > 10
    assert process.returncode == 1 and "ho_so_2022-05.csv" in stdout, stderr[-2000:]


def test_check_reads_the_control_totals_beside_a_land_file_and_checks_them(published, tmp_path):
    name = "dang_ky_dat_dai_2022-03.csv"
    landing = published.landing_dir / "hanoi_monre"
    result = check_file(landing / name, "land_registration_payments", published)
    rules = {f["rule"] for f in result.failures}
    assert not rules & {"control_totals_missing", "control_total_rows", "control_total_sum"}
    control = json.loads(
        (landing / "dang_ky_dat_dai_2022-03.kiem_soat.json").read_text("utf-8-sig")
    )
    control["row_count"] += 5
    (tmp_path / name).write_bytes((landing / name).read_bytes())
    (tmp_path / "dang_ky_dat_dai_2022-03.kiem_soat.json").write_text(json.dumps(control), "utf-8")
    result = check_file(tmp_path / name, "land_registration_payments", published)
    totals = [f for f in result.failures if f["rule"] == "control_total_rows"]
    assert [f["value"] for f in totals] == [f"{control['row_count'] - 5} / {control['row_count']}"]
    # Without the control file, the check says it is missing, as the pipeline would.
    (tmp_path / "dang_ky_dat_dai_2022-03.kiem_soat.json").unlink()
    result = check_file(tmp_path / name, "land_registration_payments", published)
    assert "control_totals_missing" in {f["rule"] for f in result.failures}


def test_coverage_in_check_judges_only_the_periods_the_file_is_for(published, tmp_path):
    # The July health file carries one late June row; June's 125 other wards are not July's
    # business.
    path = published.landing_dir / "hanoi_health" / "ho_so_suc_khoe_2022-07.csv"
    assert ",06/2022," in path.read_text("cp1258")
    result = check_file(path, "electronic_health_records", published)
    assert [f for f in result.failures if f["rule"] == "coverage"] == []
    # A ward missing from July itself is still reported.
    lines = path.read_text("cp1258").splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if not line.startswith("00070,07/2022")]
    short = tmp_path / path.name
    short.write_text("".join(kept), "cp1258")
    result = check_file(short, "electronic_health_records", published)
    coverage = [f for f in result.failures if f["rule"] == "coverage"]
    assert len(coverage) == 1 and "00070 (2022-07)" in coverage[0]["message_vi"]
    assert "2022-06" not in coverage[0]["message_vi"]


def test_a_period_excel_turned_into_a_date_is_explained(published, tmp_path):
    import datetime

    from openpyxl import load_workbook

    name = "chi_tra_khong_tien_mat_2022-07.xlsx"
    workbook = load_workbook(published.landing_dir / "hanoi_labour" / name)
    sheet = workbook.worksheets[0]
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == "07/2022":
                cell.value = datetime.datetime(2022, 7, 1)
                cell.number_format = "mm/yyyy"
                changed += 1
    workbook.save(tmp_path / name)
    result = check_file(tmp_path / name, "cashless_social_payments", published)
    periods = [f for f in result.failures if f["field"] == "period"]
    assert len(periods) == changed > 100
    for failure in periods:
        assert "Excel" in failure["message_vi"] and "Excel" in failure["message_en"]
        assert "Text" in failure["message_en"] and "07/2022" in failure["message_vi"]


def test_codes_excel_stripped_of_their_zeros_are_padded_to_their_contract_width(
    published, tmp_path
):
    """Issue 18 item 4: a commune code sent as 2524 (Excel ate the zeros of 02524) is padded
    to its contract's code_width and the row is kept: the file gets exactly the findings it
    gets with its zeros (the planted defects), none about the codes. The staging build warns
    how many were padded (tests/transform/test_code_width.py)."""
    import csv

    name = "ho_so_2022-05.csv"
    original = published.landing_dir / "tuyen_quang_pasc" / name
    rows = list(csv.reader(original.open(encoding="utf-8")))
    commune = rows[0].index("Mã xã")
    stripped_rows = [
        [c.lstrip("0") if i == commune else c for i, c in enumerate(r)]
        if len(r) == len(rows[0])
        else r
        for r in rows[1:]
    ]
    assert (
        sum(r[commune] != s[commune] for r, s in zip(rows[1:], stripped_rows, strict=True)) > 1000
    )
    with (tmp_path / name).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *stripped_rows])
    stripped = _cli(tmp_path / name, published, "--json")
    with_zeros = _cli(original, published, "--json")
    assert stripped.returncode == with_zeros.returncode == 1  # the planted defects remain
    found = [
        sorted((f["source_row"], f["rule"]) for f in json.loads(p.stdout)["failures"])
        for p in (stripped, with_zeros)
    ]
    assert found[0] and found[0] == found[1]
    assert "Excel removed the leading zeros" not in stripped.stdout


def _refused(tmp_path, path: Path, dataset: str, *extra):
    return _check(path, tmp_path / "data", tmp_path / "public", dataset, *extra)


def test_files_that_cannot_be_checked_exit_2_with_a_bilingual_message(tmp_path):
    xls = tmp_path / "chi_tra_khong_tien_mat_2022-07.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE2 (.xls) header
    csv_file = tmp_path / "to_cong_nghe_so_2022-07.csv"
    csv_file.write_text("Mã tổ,Tên tổ\n1,A\n", "utf-8")
    renamed = tmp_path / "chi_tra_khong_tien_mat_2022-07.xlsx"  # a CSV with an .xlsx name
    renamed.write_text("Mã phường/xã,Kỳ chi trả\n00070,07/2022\n", "utf-8")
    cases = [
        (xls, "cashless_social_payments", ["Save As", ".xlsx"]),
        (renamed, "cashless_social_payments", [".xlsx", "Excel"]),
        (csv_file, "community_digital_teams", [".xlsx"]),
        (csv_file, "no_such_dataset", ["admin_procedure_dossiers", "Không có bộ dữ liệu"]),
        (tmp_path / "missing.csv", "admin_procedure_dossiers", ["Không tìm thấy", "not found"]),
    ]
    for path, dataset, words in cases:
        process = _refused(tmp_path, path, dataset)
        assert process.returncode == 2, (path, process.stdout, process.stderr)
        assert "Traceback" not in process.stderr + process.stdout
        message = process.stderr
        assert " / " in message  # Vietnamese, then English
        for word in words:
            assert word in message, (word, message)
    process = _refused(tmp_path, xls, "cashless_social_payments", "--json")
    assert process.returncode == 2
    assert json.loads(process.stdout) == {
        "file": xls.name,
        "dataset": "cashless_social_payments",
        "error": process.stderr.strip(),
    }


def test_check_help_lists_the_dataset_ids_and_shows_json_as_a_flag(tmp_path):
    process = subprocess.run(
        [str(Path(sys.executable).with_name("ddss")), "check", "--help"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert process.returncode == 0
    for dataset in ("admin_procedure_dossiers", "land_registration_payments", "vneid_activations"):
        assert dataset in process.stdout
    assert "--json" in process.stdout
    json_line = next(line for line in process.stdout.splitlines() if "--json" in line)
    assert "<bool>" not in json_line


def test_a_file_the_loader_rejects_is_one_failure_with_every_field(cfg, tmp_path):
    empty = tmp_path / "ho_so_2022-07.csv"
    empty.write_bytes(b"")
    result = check_file(empty, "admin_procedure_dossiers", cfg)
    assert (result.file, result.rows, result.clean) == ("ho_so_2022-07.csv", 0, False)
    assert [tuple(f) for f in result.failures] == [FAILURE_FIELDS]
    assert result.failures[0]["rule"] == "empty_file"
    assert result.as_json()["file"] == "ho_so_2022-07.csv"
