"""The steward report shows what the loader noted about the files it read (an extra column
it ignored): a warning for the steward, though no row failed (integration finding)."""

from __future__ import annotations

import csv

from ddss.data_contracts import source_contract
from ddss.settings import Settings

DATASET = "admin_procedure_dossiers"
# An extra header with markup in it: the report must escape it, not render it.
EXTRA = "Cột lạ <b>x</b>"


def _drop(cfg: Settings, name: str, extra: bool) -> None:
    contract = source_contract(DATASET, cfg)
    folder = cfg.landing_dir / contract.department.landing_folder
    folder.mkdir(parents=True, exist_ok=True)
    header = [c.header or c.name for c in contract.columns]
    row = {
        "Mã hồ sơ": "000.00.01.H60-220701-0001",
        "Mã thủ tục": "1.001234",
        "Hình thức nộp": "Trực tuyến",
        "Mã xã": "02218",
        "Ngày tiếp nhận": "01/07/2022",
        "Ngày hẹn trả": "05/07/2022",
    }
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, EXTRA] if extra else header)
        values = [row.get(h, "") for h in header]
        writer.writerow([*values, "giá trị lạ"] if extra else values)


def _report(workspace: Settings, run_id: str) -> str:
    from ddss.ingest.extract import extract
    from ddss.quality.gate import validate
    from ddss.quality.report import write_reports

    loaded = extract(run_id, workspace, datasets=[DATASET], fetched=[])
    assert loaded.loaded == {"ho_so_2022-07.csv": 1}, loaded
    outcome = validate(DATASET, run_id, workspace)
    path = write_reports(run_id, [outcome], [], workspace, data_docs=False)["tuyen_quang_pasc"]
    return path.read_text("utf-8")


def test_the_report_shows_the_loaders_note_about_an_extra_column(cfg, tmp_path):
    from test_gate import _candidate_workspace

    workspace = _candidate_workspace(cfg, tmp_path)
    _drop(workspace, "ho_so_2022-07.csv", extra=True)
    html = _report(workspace, "run-1")

    assert "Lưu ý về cách đọc tệp" in html and "How your files were read" in html
    section = html[html.index("Lưu ý về cách đọc tệp") :]
    assert "<strong>ho_so_2022-07.csv</strong>: Tệp có cột không có trong mẫu" in section
    assert '<span class="en" lang="en">The file has column(s) the template does not' in section
    assert "Cột lạ &lt;b&gt;x&lt;/b&gt;" in section and EXTRA not in html  # escaped
    # Vietnamese first, then English; before the datasets' own sections.
    assert section.index("Tệp có cột") < section.index("The file has column(s)")
    assert html.index("How your files were read") < html.index("<h2>Hồ sơ thủ tục")

    # The file sent again without the extra column replaces it: the note goes away.
    _drop(workspace, "ho_so_2022-07.csv", extra=False)
    again = _report(workspace, "run-2")
    assert "How your files were read" not in again and "Tệp có cột" not in again


def test_the_lost_zeros_hint_follows_the_contracts_code_width_not_the_column_name(cfg):
    """A code column's width comes from its contract (``code_width``), whatever its name."""
    import dataclasses

    from ddss.quality.findings import lost_leading_zeros

    contract = source_contract(DATASET, cfg)
    widths = {"service_code": 8, "commune_code": None}  # a new fixed-width code; one undeclared
    contract = dataclasses.replace(
        contract,
        columns=tuple(
            dataclasses.replace(c, code_width=widths[c.name]) if c.name in widths else c
            for c in contract.columns
        ),
    )

    def failure(column: str, value: str) -> dict:
        return {"column": column, "value": value}

    assert lost_leading_zeros(contract, failure("service_code", "1234"))
    assert lost_leading_zeros(contract, failure("Mã thủ tục", "1234"))  # found by its header
    assert not lost_leading_zeros(contract, failure("service_code", "12345678"))
    assert not lost_leading_zeros(contract, failure("service_code", "1.0012"))
    assert not lost_leading_zeros(contract, failure("commune_code", "218"))
