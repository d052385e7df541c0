"""The steward report and the summary a steward reads first (issue 18, items 4, 6 and 10)."""

import csv

from ddss.data_contracts import source_contract
from ddss.quality.findings import annotate, summarise
from ddss.quality.report import CSV_COLUMNS, report_folder_name, write_csv


def _failure(row, column, value, rule="01_r", criterion="dung", vi="Sai.", en="Wrong."):
    return {
        "source_row": row,
        "column": column,
        "value": value,
        "rule": rule,
        "criterion": criterion,
        "message_vi": vi,
        "message_en": en,
    }


def test_report_folders_have_names_windows_can_save():
    name = report_folder_name("scheduled__2022-07-01T00:00:00+00:00")
    assert name == "scheduled__2022-07-01T00-00-00-00-00"
    assert not set(name) & set('<>:"/\\|?*+')
    assert report_folder_name("run-1") == "run-1"


def test_a_period_excel_turned_into_a_date_gets_a_hint_that_names_excel(cfg):
    contract = source_contract("cashless_social_payments", cfg)
    failures = annotate(
        [
            _failure(5, "period", "2022-07-01"),
            _failure(6, "period", "13/2022"),  # a typo, not Excel's doing
        ],
        contract,
    )
    assert "Excel" in failures[0]["message_vi"] and "Excel" in failures[0]["message_en"]
    assert "07/2022" in failures[0]["message_vi"] and "Text" in failures[0]["message_en"]
    assert failures[1]["message_vi"] == "Sai." and failures[1]["hint_vi"] is None


def test_repeated_errors_are_summarised_with_counts_examples_and_the_lost_zeros(cfg):
    contract = source_contract("admin_procedure_dossiers", cfg)
    failures = [
        _failure(row, "commune_code", str(1000 + row), rule="05_unknown_commune")
        for row in range(2, 6520)
    ]
    failures.append(_failure(7, "received_date", "31/02/2022", rule="02_date"))
    summary = summarise(annotate(failures, contract))
    assert [(s["rule"], s["count"]) for s in summary] == [
        ("05_unknown_commune", 6518),
        ("02_date", 1),
    ]
    first = summary[0]
    assert first["examples"] == [
        {"source_row": 2, "value": "1002"},
        {"source_row": 3, "value": "1003"},
        {"source_row": 4, "value": "1004"},
    ]
    assert "Excel removed the leading zeros: format the column as Text" in first["hint_en"]
    assert "số 0 ở đầu" in first["hint_vi"]
    assert first["message_vi"] == "Sai."  # the rule's message, the hint beside it
    assert summary[1]["hint_vi"] is None
    # A full-length code that is simply unknown is not blamed on Excel.
    assert annotate([_failure(2, "commune_code", "99999")], contract)[0]["hint_vi"] is None


def test_the_summary_keeps_the_rules_message_when_rows_add_their_own_details():
    failures = [
        _failure(4, "dossier_id", "A", vi="Trùng mã. Dòng này trùng với dòng 2."),
        _failure(9, "dossier_id", "B", vi="Trùng mã. Dòng này trùng với dòng 3."),
    ]
    assert summarise(failures)[0]["message_vi"] == "Trùng mã."


def test_the_csv_has_vietnamese_headers_and_keeps_machine_codes_last(tmp_path):
    path = tmp_path / "x_can_sua.csv"
    write_csv(
        path,
        [
            {
                "source_file": "ho_so_2022-07.csv",
                "source_row": 12,
                "column": "channel",
                "column_header": "Hình thức nộp",
                "value": "email",
                "criterion": "dung",
                "severity": "row",
                "rule": "03_column_values_to_be_in_set__channel",
                "message_vi": "Sai hình thức.",
                "message_en": "Wrong channel.",
                "record_key": "K1",
            }
        ],
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows[0] == [header for header, _ in CSV_COLUMNS]
    assert [h.split(" (")[0] for h in rows[0][:4]] == [
        "Tệp / File",
        "Dòng / Row",
        "Cột / Column",
        "Giá trị / Value",
    ]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Tiêu chí / Criterion"] == "Đúng / correct"
    assert record["criterion"] == "dung"
    assert record["rule"] == "03_column_values_to_be_in_set__channel"
    assert record["Lỗi và cách sửa (message_vi)"] == "Sai hình thức."
    # The steward workspace still finds every field by its machine code.
    from ddss.steward.pipeline_files import read_report_csv

    assert read_report_csv(path) == [
        {
            "source_file": "ho_so_2022-07.csv",
            "source_row": "12",
            "column_header": "Hình thức nộp",
            "column": "channel",
            "value": "email",
            "criterion": "dung",
            "severity": "row",
            "rule": "03_column_values_to_be_in_set__channel",
            "message_vi": "Sai hình thức.",
            "message_en": "Wrong channel.",
            "record_key": "K1",
        }
    ]


def test_the_report_says_how_to_resend_and_lives_in_a_windows_safe_folder(cfg, tmp_path):
    from test_gate import _candidate_workspace

    from ddss.quality.gate import validate
    from ddss.quality.report import write_reports

    workspace = _candidate_workspace(cfg, tmp_path)
    run_id = "scheduled__2022-08-01T00:00:00+00:00"
    outcome = validate("admin_procedure_dossiers", run_id, workspace)
    paths = write_reports(run_id, [outcome], [], workspace)
    report = paths["tuyen_quang_pasc"]
    relative = report.relative_to(workspace.reports_dir)
    assert not set(str(relative)) & set(':+"<>|?*')
    for path in report.parent.rglob("*"):  # the GX Data Docs beside it too
        assert not set(str(path.relative_to(workspace.reports_dir))) & set(':+"<>|?*'), path
    html = report.read_text("utf-8")
    assert "Cách gửi lại tệp đã sửa" in html and "How to send the corrected file" in html
    # The steward's summary comes before the technical details (run id, Data Docs).
    assert html.index("dòng cần sửa") < html.index(run_id) > html.index("Cách gửi lại")
    rows = list(
        csv.DictReader(
            (report.parent / "admin_procedure_dossiers_can_sua.csv").open(encoding="utf-8-sig")
        )
    )
    assert len(rows) == 35 and rows[0]["Tiêu chí / Criterion"] == "Đúng / correct"
