"""A fetched period is written to landing page by page as it arrives, never held whole
(issue 17: 291 MB from the taxpayers' API at scale 100), with the very bytes the writer of
the whole list gave: an unchanged source keeps its sha256 in the archive."""

from __future__ import annotations

import json
import os

import pytest

from ddss.ingest.http_source import _PeriodFile

PAGES = [
    [
        {"ma_so_thue": "0138640813", "ten": "Dương Minh Hùng", "ke_khai": True, "n": 1.5},
        {"ma_so_thue": None, "nested": {"a": [1, {"b": []}], "c": {}}, "s": 'quote " \\ /'},
    ],
    [],
    [["a", 1], "x", 12, None, False, {"emoji": "😀", "tab": "\t", "zero": 0, "neg": -3e-7}],
]


def _whole(period: str, total: object, records: list) -> bytes:
    """The writer before streaming: the whole period's records dumped at once."""
    body = {"period": period, "total": total, "records": records}
    return json.dumps(body, ensure_ascii=False, indent=0).encode("utf-8")


@pytest.mark.parametrize(
    ("pages", "total"),
    [
        (PAGES, 5),
        ([[]], 0),
        ([], 0),
        (PAGES[:1], 2),
        (PAGES, {"declared": [5]}),  # whatever the API declared is written as it came
        (PAGES, None),
    ],
)
def test_a_period_written_page_by_page_has_the_bytes_of_the_whole_list(tmp_path, pages, total):
    landing = _PeriodFile(tmp_path, "etax_mobile_2022-07.json")
    try:
        for page in pages:
            landing.add(page)
        path = landing.finish("2022-07", total)
    finally:
        landing.discard()
    records = [record for page in pages for record in page]
    assert landing.count == len(records)
    assert path.read_bytes() == _whole("2022-07", total, records)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing hidden left


def test_an_unchanged_period_leaves_its_landing_file_untouched(tmp_path):
    path = tmp_path / "etax_mobile_2022-07.json"
    path.write_bytes(_whole("2022-07", 5, [r for page in PAGES for r in page]))
    os.utime(path, (1_000_000, 1_000_000))
    before = path.stat()
    landing = _PeriodFile(tmp_path, path.name)
    for page in PAGES:
        landing.add(page)
    landing.finish("2022-07", 5)
    landing.discard()
    after = path.stat()
    assert (after.st_ino, after.st_mtime) == (before.st_ino, before.st_mtime)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_discarded_period_leaves_nothing(tmp_path):
    landing = _PeriodFile(tmp_path, "etax_mobile_2022-07.json")
    landing.add(PAGES[0])
    landing.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_changed_period_of_the_same_size_replaces_its_landing_file(tmp_path):
    records = [{"ma_so_thue": "0138640813"}, {"ma_so_thue": "8080359276"}]
    path = tmp_path / "etax_mobile_2022-07.json"
    path.write_bytes(_whole("2022-07", 2, records).replace(b"0138640813", b"0138640814"))
    landing = _PeriodFile(tmp_path, path.name)
    landing.add(records)
    landing.finish("2022-07", 2)
    landing.discard()
    assert path.read_bytes() == _whole("2022-07", 2, records)


def test_two_runs_fetching_one_period_at_once_never_touch_each_others_files(tmp_path):
    """A run waiting for the warehouse and another one fetch the same source: one's refused
    fetch must not remove what the other is writing (found by the chaos campaign)."""
    name = "etax_mobile_2022-07.json"
    one, other = _PeriodFile(tmp_path, name), _PeriodFile(tmp_path, name)
    one.add([{"n": 1}])
    other.add([{"n": 2}])
    one.discard()
    path = other.finish("2022-07", 1)
    other.discard()  # as fetch does, finished or not
    assert json.loads(path.read_text("utf-8"))["records"] == [{"n": 2}]
    assert os.listdir(tmp_path) == [name]
