"""Encodings and separators as departments' tools really write them: UTF-8 (a BOM is proof)
for every dataset whatever the contract says, UTF-16 when its BOM says so, a refusal that
names the encoding to use; a ``;``-separated CSV (Excel with Vietnamese regional settings)
is read and the steward told."""

from __future__ import annotations

import codecs
import dataclasses

import pytest
from ingest_files import DATASET, dossier_contract, dossier_csv, dossier_rows, drop

from ddss.errors import FileRejected
from ddss.ingest.extract import extract
from ddss.ingest.readers import read_rows


def _legacy(cfg):
    """The dossiers' contract as if it said Windows-1258 (the health feed's case)."""
    contract = dossier_contract(cfg)
    return dataclasses.replace(
        contract, source=dataclasses.replace(contract.source, encoding="cp1258")
    )


def _file(tmp_path, data: bytes):
    path = tmp_path / "ho_so_2022-08.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "bom, codec",
    [
        (codecs.BOM_UTF8, "utf-8"),
        (b"", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
    ids=["utf-8 with BOM", "utf-8", "utf-16 LE with BOM", "utf-16 BE with BOM"],
)
def test_utf8_and_utf16_with_its_bom_are_read_whatever_the_contract_says(cfg, tmp_path, bom, codec):
    text = dossier_csv(cfg, dossier_rows(2))
    path = _file(tmp_path, bom + text.encode(codec))
    for contract in (dossier_contract(cfg), _legacy(cfg)):
        rows = list(read_rows(path, contract))
        assert [r[0] for r in rows] == [2, 3], contract.source.encoding
        assert rows[0][1]["channel"] == "Trực tiếp"  # not mojibake
        assert rows[0][1]["applicant_name"] == "Nguyễn Văn An"


def test_utf16_without_its_bom_is_refused_naming_the_encoding_to_use(cfg, tmp_path):
    path = _file(tmp_path, dossier_csv(cfg, dossier_rows(1)).encode("utf-16-le"))
    with pytest.raises(FileRejected) as error:
        list(read_rows(path, dossier_contract(cfg)))
    problem = error.value.problem
    assert problem.rule == "encoding" and "UTF-16" in problem.message_en
    assert "CSV UTF-8" in problem.message_vi and "CSV UTF-8" in problem.message_en


def test_a_file_in_no_accepted_encoding_names_utf8_and_the_agreed_one(cfg, tmp_path):
    header = dossier_csv(cfg, []).encode("utf-8")
    path = _file(tmp_path, header + b"a,b,\x81\x8d,\r\n")  # bytes Windows-1258 does not have
    with pytest.raises(FileRejected) as error:
        list(read_rows(path, _legacy(cfg)))
    problem = error.value.problem
    assert (problem.row, problem.value) == (2, "81 8d 2c 0d")
    assert "UTF-8" in problem.message_vi and "Windows-1258" in problem.message_vi
    assert "Windows-1258, as agreed" in problem.message_en


def test_a_semicolon_separated_csv_is_read_and_the_steward_told(cfg, tmp_path):
    path = _file(tmp_path, dossier_csv(cfg, dossier_rows(2), delimiter=";").encode("utf-8-sig"))
    notes: list = []
    rows = list(read_rows(path, dossier_contract(cfg), notes=notes))
    assert [r[1]["dossier_id"] for r in rows] == [
        "000.00.15.H61-220101-0001",
        "000.00.15.H61-220101-0002",
    ]
    [note] = notes
    assert note.rule == "delimiter" and note.value == ";"
    assert "';'" in note.message_vi and "';'" in note.message_en


def test_a_comma_separated_file_for_a_semicolon_contract_is_read_too(cfg, tmp_path):
    contract = dossier_contract(cfg)
    semicolon = dataclasses.replace(
        contract, source=dataclasses.replace(contract.source, delimiter=";")
    )
    path = _file(tmp_path, dossier_csv(cfg, dossier_rows(1)).encode())
    assert len(list(read_rows(path, semicolon))) == 1


def test_a_semicolon_file_missing_a_column_names_only_that_column(cfg, tmp_path):
    text = dossier_csv(cfg, dossier_rows(1), delimiter=";").replace("Hình thức nộp", "Kênh")
    with pytest.raises(FileRejected) as error:
        list(read_rows(_file(tmp_path, text.encode()), dossier_contract(cfg)))
    assert error.value.problem.column == "Hình thức nộp"
    assert "Thiếu cột 'Hình thức nộp' trong" in error.value.problem.message_vi


def test_the_separator_note_reaches_the_extract_report(cfg):
    drop(cfg, "ho_so_2022-08.csv", dossier_csv(cfg, dossier_rows(3), delimiter=";"))
    report = extract("run-1", cfg, [DATASET])
    assert report.loaded == {"ho_so_2022-08.csv": 3} and not report.rejected
    assert [n.rule for n in report.notes] == ["delimiter"]
