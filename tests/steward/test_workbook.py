"""The highlighted workbook: the steward's own .xlsx (title rows kept) or their CSV as a
sheet of text, each failing cell filled and commented."""

import io

from openpyxl import Workbook, load_workbook

from ddss.data_contracts import source_contract
from ddss.steward.workbook import highlighted


def _failure(row, column, message="Sai mã.", field=None):
    return {
        "source_row": row,
        "column": column,
        "field": field,
        "value": "x",
        "rule": "r",
        "criterion": "dung",
        "message_vi": message,
        "message_en": "Wrong code.",
    }


def test_an_xlsx_keeps_its_title_and_marks_the_cell_under_the_header(tmp_path):
    contract = source_contract("cashless_social_payments")
    headers = [c.header for c in contract.columns]
    book = Workbook()
    sheet = book.active
    sheet.append(["BÁO CÁO CHI TRẢ KHÔNG DÙNG TIỀN MẶT"])
    sheet.append([])
    sheet.append(headers)
    sheet.append(["v"] * len(headers))
    sheet.append(["w"] * len(headers))
    path = tmp_path / "f.xlsx"
    book.save(path)
    target = headers[2]
    failures = [_failure(5, target, "Ô này sai."), _failure(None, None, "Thiếu tệp tổng.")]
    result = load_workbook(io.BytesIO(highlighted(path, contract, failures)))
    data = result.worksheets[0]
    assert data["A1"].value == "BÁO CÁO CHI TRẢ KHÔNG DÙNG TIỀN MẶT"
    cell = data.cell(row=5, column=3)
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "Ô này sai." in cell.comment.text and "Wrong code." in cell.comment.text
    assert data.cell(row=4, column=3).comment is None
    assert "Thiếu tệp tổng." in [c.value for c in result.worksheets[1]["B"]]


def test_a_csv_becomes_text_cells_with_the_same_row_numbers(tmp_path):
    contract = source_contract("admin_procedure_dossiers")
    path = tmp_path / "ho_so_2022-07.csv"
    header = ",".join(c.header for c in contract.columns)
    path.write_text(header + "\nA1,=1+1,Fax,00070,,,,01/07/2022,02/07/2022,,\n", "utf-8")
    failures = [_failure(2, "Hình thức nộp", field="channel"), _failure(2, None)]
    sheet = load_workbook(io.BytesIO(highlighted(path, contract, failures))).worksheets[0]
    assert sheet["D2"].value == "00070"  # text: the leading zeros stay
    assert sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"  # never a formula
    assert sheet["C2"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["C2"].comment
    assert sheet["A2"].comment is not None  # a finding without a column marks the row
