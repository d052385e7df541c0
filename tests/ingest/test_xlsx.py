"""Workbooks read defensively: the sheet with the header (and which one), other sheets
flagged or refused, formulas without values named, trailing empty cells not ragged, limits
on unpacked size and rows checked before openpyxl, no XML entities."""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import Workbook

from ddss.data_contracts import load_contracts
from ddss.errors import FileRejected
from ddss.ingest.readers import read_rows

HEADERS = [
    "Mã tổ",
    "Tên tổ",
    "Mã phường/xã",
    "Quận/huyện (trước sắp xếp)",
    "Số thành viên",
    "Ngày thành lập",
    "Tổ trưởng",
    "Điện thoại tổ trưởng",
]


def _contract(cfg):
    contract = load_contracts(cfg)["community_digital_teams"]
    assert [c.header for c in contract.columns] == HEADERS  # the test's template
    return contract


def _row(n: int) -> list:
    return [f"T{n:03d}", f"Tổ {n}", "00070", "Hoàn Kiếm", 5, "01/07/2022", "Lê Văn B", "0912345678"]


def _data_sheet(sheet, rows: int, title: bool = True) -> None:
    if title:
        sheet.append(["DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"])
        sheet.append([])
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        sheet.append(_row(n))


def _save(workbook: Workbook, tmp_path, name: str = "to_cong_nghe_so_2022-07.xlsx"):
    path = tmp_path / name
    workbook.save(path)
    return path


def _read(path, contract, notes=None):
    return list(read_rows(path, contract, notes=notes))


def _rewrite_part(path, part: str, change) -> None:
    """Rewrite one XML part of a saved workbook (what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, change(data) if info.filename == part else data)


def test_the_sheet_with_the_header_is_read_and_named_after_an_instructions_sheet(cfg, tmp_path):
    workbook = Workbook()
    guide = workbook.active
    guide.title = "Hướng dẫn"
    guide.append(["Điền mỗi tổ một dòng ở trang 'Dữ liệu'."])
    _data_sheet(workbook.create_sheet("Dữ liệu"), 3)
    notes: list = []
    rows = _read(_save(workbook, tmp_path), _contract(cfg), notes)
    assert [r[0] for r in rows] == [4, 5, 6] and rows[0][1]["team_id"] == "T001"
    [note] = notes
    assert note.rule == "xlsx_sheet" and note.value == "Dữ liệu"
    assert "Đã đọc trang tính 'Dữ liệu'" in note.message_vi
    assert "'Hướng dẫn'" in note.message_vi and "'Hướng dẫn'" in note.message_en


def test_a_header_found_nowhere_names_the_sheets_searched(cfg, tmp_path):
    workbook = Workbook()
    workbook.active.title = "Hướng dẫn"
    workbook.active.append(["chỉ có hướng dẫn"])
    with pytest.raises(FileRejected) as error:
        _read(_save(workbook, tmp_path), _contract(cfg))
    assert "'Hướng dẫn'" in error.value.problem.message_vi
    assert "'Hướng dẫn'" in error.value.problem.message_en


def test_data_continued_on_a_second_sheet_is_refused_not_read_in_part(cfg, tmp_path):
    workbook = Workbook()
    _data_sheet(workbook.active, 3)
    workbook.active.title = "Tháng 7 (1)"
    _data_sheet(workbook.create_sheet("Tháng 7 (2)"), 2)
    with pytest.raises(FileRejected) as error:
        _read(_save(workbook, tmp_path), _contract(cfg))
    problem = error.value.problem
    assert problem.rule == "several_sheets"
    assert (
        "'Tháng 7 (1)', 'Tháng 7 (2)'" in problem.message_vi and "one sheet" in problem.message_en
    )


def test_formulas_without_a_cached_value_are_named_by_cell(cfg, tmp_path):
    workbook = Workbook()
    _data_sheet(workbook.active, 3)
    workbook.active["E5"] = "=2+3"  # openpyxl writes the formula, never its value
    workbook.active["E6"] = "=E5+1"
    with pytest.raises(FileRejected) as error:
        _read(_save(workbook, tmp_path), _contract(cfg))
    problem = error.value.problem
    assert problem.rule == "formula_without_value" and problem.row == 5
    assert "(E5, E6)" in problem.message_vi and "2 formula cell(s)" in problem.message_en


def test_a_formula_with_its_cached_value_is_read_as_that_value(cfg, tmp_path):
    workbook = Workbook()
    _data_sheet(workbook.active, 3)
    workbook.active["E5"] = "=2+3"
    path = _save(workbook, tmp_path)
    _rewrite_part(  # as Excel saves it: the formula and the value it computed
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<f>2\+3</f>(<v\s*/>|<v></v>)?", b"<f>2+3</f><v>5</v>", xml),
    )
    rows = _read(path, _contract(cfg))
    assert rows[1][1]["member_count"] == "5"


def test_a_text_formula_whose_cached_value_is_empty_is_read_as_empty(cfg, tmp_path):
    workbook = Workbook()
    _data_sheet(workbook.active, 3)
    workbook.active["G5"] = '=""'
    path = _save(workbook, tmp_path)
    _rewrite_part(  # as Excel saves a formula that gives "": t="str" and an empty value
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<c r="G5">', b'<c r="G5" t="str">').replace(
            b'<f>""</f><v />', b'<f>""</f><v></v>'
        ),
    )
    rows = _read(path, _contract(cfg))
    assert rows[1][1]["leader_name"] == ""


def test_optional_trailing_cells_left_empty_are_not_a_ragged_row(cfg, tmp_path):
    workbook = Workbook()
    _data_sheet(workbook.active, 1)
    workbook.active.append(_row(2)[:6])  # no leader name or phone: both optional
    rows = _read(_save(workbook, tmp_path), _contract(cfg))
    assert [r[2] for r in rows] == [None, None]  # neither row is ragged
    assert rows[1][1]["leader_name"] == "" and rows[1][1]["leader_phone"] == ""


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_openpyxl_opens_it(
    cfg, tmp_path, monkeypatch
):
    import openpyxl

    workbook = Workbook()
    _data_sheet(workbook.active, 2000)
    path = _save(workbook, tmp_path)
    assert path.stat().st_size < 100_000  # compresses well: the bomb's shape
    monkeypatch.setenv("DDSS_XLSX_MAX_BYTES", "100000")

    def must_not_open(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook over the limit")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    with pytest.raises(FileRejected) as error:
        _read(path, _contract(cfg))
    assert error.value.problem.rule == "file_too_large"
    assert "100000" in error.value.problem.message_en


def test_rows_beyond_the_limit_are_refused(cfg, tmp_path, monkeypatch):
    workbook = Workbook()
    _data_sheet(workbook.active, 10)
    monkeypatch.setenv("DDSS_XLSX_MAX_ROWS", "8")
    with pytest.raises(FileRejected) as error:
        _read(_save(workbook, tmp_path), _contract(cfg))
    assert error.value.problem.rule == "file_too_large" and error.value.problem.row == 9


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_an_entity_expansion_payload_is_refused_without_a_traceback(cfg, tmp_path, part):
    workbook = Workbook()
    _data_sheet(workbook.active, 2)
    path = _save(workbook, tmp_path)
    _rewrite_part(path, part, lambda xml: BILLION_LAUGHS + re.sub(rb"^<\?xml[^>]*\?>", b"", xml))
    with pytest.raises(FileRejected) as error:
        _read(path, _contract(cfg))
    problem = error.value.problem
    assert problem.rule == "xlsx_unsafe" and part in problem.message_en
    assert "Excel" in problem.message_vi


@pytest.mark.parametrize(
    "head, says",
    [(b"Ma to,Ten to\r\n", "CSV"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, ".xls")],
    ids=["a CSV named .xlsx", "an Excel 97-2003 .xls"],
)
def test_not_a_workbook_is_refused_saying_what_it_is_and_the_fix(cfg, tmp_path, head, says):
    path = tmp_path / "to_cong_nghe_so_2022-07.xlsx"
    path.write_bytes(head)
    with pytest.raises(FileRejected) as error:
        _read(path, _contract(cfg))
    problem = error.value.problem
    assert problem.rule == "not_xlsx" and says in problem.message_vi and says in problem.message_en
    assert "(.xlsx)'" in problem.message_vi and "Save As" in problem.message_en


def test_a_workbook_sent_for_a_csv_dataset_is_refused_saying_so(cfg, tmp_path):
    from ingest_files import dossier_contract

    workbook = Workbook()
    _data_sheet(workbook.active, 1)
    path = _save(workbook, tmp_path, "ho_so_2022-07.csv")
    with pytest.raises(FileRejected) as error:
        _read(path, dossier_contract(cfg))
    problem = error.value.problem
    assert problem.rule == "wrong_format" and "CSV UTF-8" in problem.message_vi
    assert "Excel workbook (.xlsx), not a CSV" in problem.message_en
