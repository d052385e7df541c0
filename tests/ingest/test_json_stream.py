"""A fetched JSON file is read one record at a time, never whole (issue 17: 291 MB from the
taxpayers' API at scale 100), with exactly the outcome of reading it whole: the same records,
and for a broken file the same error message and position as ``json.loads`` with the strict
hooks (NaN refused, a key twice refused), whatever the window size."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from ddss.data_contracts import SourceContract, load_contracts
from ddss.errors import FileRejected
from ddss.ingest import encodings, readers

SAMPLE = (
    '{\n"period": "2022-07",\n"total": 4,\n"records": [\n'
    '{"ma_so_thue": "0138640813", "ten": "Dương Minh Hùng", "n": 12345, "x": -1.5e3},\n'
    '{"ma_so_thue": "8080359276", "nested": {"a": [1, 2, {"b": null}]}, "ok": true},\n'
    '  [1, "two", false],\r\n'
    '"\\u00e9\\ud83d\\ude00 \\"quoted\\" \\\\ back"\n'
    "]\n}\n"
)


def _said(error: Exception) -> str:
    """What the steward's message says of ``error`` (the reader quotes it)."""
    return "nested too deep" if isinstance(error, RecursionError) else str(error)


def _whole(text: str) -> object:
    """The reference: the reader before streaming (json.loads of the whole text)."""
    try:
        document = json.loads(
            text,
            parse_constant=readers._not_a_json_constant,
            object_pairs_hook=readers._unique_keys,
        )
        records = document["records"] if isinstance(document, dict) else document
        if not isinstance(records, list):
            raise TypeError("records is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return _said(exc)
    return records


def _streamed(text: str) -> object:
    try:
        return list(readers.json_records(io.StringIO(text, newline="")))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return _said(exc)


def _variants() -> list[str]:
    """Every cut of the sample, a character replaced at every position by a few, and
    documents of other shapes."""
    texts = [SAMPLE[:cut] for cut in range(len(SAMPLE))]
    for position in range(len(SAMPLE)):
        for char in ('"', ",", "}", "1", "\\"):
            texts.append(SAMPLE[:position] + char + SAMPLE[position + 1 :])
    return texts + [
        "",
        "  ",
        "[]",
        "{}",
        '{"records": []}',
        '{"records": [], }',
        '{"records": [1,]}',
        '{"records": [1] ',
        '{"records": [1]} x',
        '{"records": [1], "records": [2]}',
        '{"records": 5}',
        '{"records": {"records": []}}',
        '{"a": 1, "a": 2, "records": []}',
        '{"a": 1, "a": 2, "records": [NaN]}',
        '{"records": [NaN]}',
        '{"records": [{"a": Infinity}]}',
        '{"records": [{"a": 1, "a": 1}]}',
        '[{"a": 1}, {"a": -Infinity}]',
        '"just a string"',
        "12345",
        "123 456",
        "\ufeff[]",
        '{"records": [' + "[" * 5000 + "]" * 5000 + "]}",
        '{"records": ["' + "é" * 3000 + '", 12345678901234567890]}',
    ]


@pytest.mark.parametrize("window", [5, 4096])  # across every boundary; all in one
def test_records_and_errors_are_those_of_reading_the_file_whole(monkeypatch, window):
    monkeypatch.setattr(readers, "JSON_CHUNK", window)
    differ = []
    for text in _variants():
        whole, streamed = _whole(text), _streamed(text)
        if whole != streamed:
            differ.append((text, whole, streamed))
    assert differ == []


def _taxpayer_contract(cfg) -> SourceContract:
    contract = load_contracts(cfg)["taxpayer_e_services"]
    assert isinstance(contract, SourceContract)
    return contract


def _taxpayers(path: Path, count: int) -> None:
    """A fetched taxpayers file as http_source writes it: ``count`` records."""
    record = {
        "ma_so_thue": "0138640813",
        "loai_nguoi_nop_thue": "doanh_nghiep",
        "ma_phuong_xa": "10210",
        "trang_thai": "dang_hoat_dong",
        "ke_khai_dien_tu": True,
        "nop_thue_dien_tu": True,
        "dang_ky_hoa_don_dien_tu": False,
        "ten_nguoi_dai_dien": "Dương Minh Hùng",
        "dien_thoai": "0326964682",
    }
    records = [record | {"ma_so_thue": f"{n:010d}"} for n in range(count)]
    body = {"period": "2022-07", "total": count, "records": records}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=0), "utf-8")


def test_a_large_fetched_file_is_read_in_a_fraction_of_its_size(cfg, tmp_path, monkeypatch):
    # Windows of 64 Ki instead of 1 Mi (the encoding check's too): the same code, on a file
    # 100 times smaller than the scale-100 one (291 MB, read within 44 MB resident).
    monkeypatch.setattr(readers, "JSON_CHUNK", 1 << 16)
    monkeypatch.setattr(encodings, "CHUNK", 1 << 16)
    contract = _taxpayer_contract(cfg)
    path = tmp_path / "nguoi_nop_thue_2022-07.json"
    _taxpayers(path, 10_000)  # 2.9 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        rows = 0
        last = None
        for row in readers.read_rows(path, contract):
            rows, last = rows + 1, row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 10_000 and last is not None and last[0] == 10_001
    assert last[1] is not None and last[1]["tax_code"] == f"{9_999:010d}"
    # Read whole, the text alone is its size and its objects several times more.
    assert peak < size / 3, (peak, size)


@pytest.mark.parametrize(
    ("broken", "said"),
    [('"dien_thoai": NaN', "NaN is not a JSON value"), ('"dien_thoai": 0326964682', "line ")],
)
def test_a_broken_record_far_into_the_file_is_refused_naming_its_place(cfg, tmp_path, broken, said):
    contract = _taxpayer_contract(cfg)
    path = tmp_path / "nguoi_nop_thue_2022-07.json"
    _taxpayers(path, 8_000)  # 2.3 MB: beyond the first window
    text = path.read_text("utf-8")
    cut = text.rindex('"dien_thoai": "0326964682"')
    path.write_text(text[:cut] + broken + text[cut + 26 :], "utf-8")
    with pytest.raises(FileRejected) as refused:
        list(readers.read_rows(path, contract))
    problem = refused.value.problem
    expected = _whole(path.read_text("utf-8"))
    assert problem.rule == "not_json" and isinstance(expected, str) and said in expected
    assert f"({expected})" in problem.message_en
