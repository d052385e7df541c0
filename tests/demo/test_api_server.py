"""The departments' API stand-in: routes, paging and its errors (``respond``, no socket)."""

from __future__ import annotations

import json

from ddss_demo.api_server import respond


def _served(tmp_path):
    folder = tmp_path / "hanoi_tax" / "etax-mobile"
    folder.mkdir(parents=True)
    (folder / "2022-07.json").write_text(json.dumps([{"n": i} for i in range(5)]))
    return tmp_path


def _read(path):
    return json.loads(path.read_text())


def test_pages_follow_one_another_to_the_last(tmp_path):
    root = _served(tmp_path)
    status, body = respond(root, "/api/hanoi_tax/etax-mobile?period=2022-07&page_size=2", _read)
    assert status == 200 and body["total"] == 5 and body["data"] == [{"n": 0}, {"n": 1}]
    assert body["next"] == "/api/hanoi_tax/etax-mobile?period=2022-07&page=2&page_size=2"
    status, body = respond(
        root, "/api/hanoi_tax/etax-mobile?period=2022-07&page=3&page_size=2", _read
    )
    assert body["data"] == [{"n": 4}] and body["next"] is None
    assert respond(root, "/api/hanoi_tax/etax-mobile/periods", _read) == (
        200,
        {"periods": ["2022-07"]},
    )


def test_errors_say_what_is_wrong(tmp_path):
    root = _served(tmp_path)
    assert respond(root, "/api/hanoi_tax/../secret", _read)[0] == 404
    assert respond(root, "/api/hanoi_tax/other?period=2022-07", _read)[0] == 404
    assert respond(root, "/api/hanoi_tax/etax-mobile?period=2021-01", _read)[0] == 404
    assert respond(root, "/api/hanoi_tax/etax-mobile?period=2022-07&page=x", _read)[0] == 400
    assert respond(root, "/api/hanoi_tax/etax-mobile?period=2022-07&page=0", _read)[0] == 400
    assert respond(root, "/api/hanoi_tax/etax-mobile/periods/more", _read)[0] == 404
