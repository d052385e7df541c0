"""A department API that misbehaves (a next link that never ends or loops, a drip of one byte
every second, too many bytes, 5xx) ends the fetch with a clear message naming the endpoint,
within bounded time, instead of hanging the extract."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ddss.data_contracts import load_contracts
from ddss.errors import FileRejected
from ddss.ingest import http_source

RECORD = {"ma_phuong_xa": "00070", "ky_bao_cao": "2022-07", "so_tai_khoan": 5}


class Api(BaseHTTPRequestHandler):
    """Serves /api/<endpoint>/periods and pages, misbehaving as ``server.mode`` says."""

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server = self.server
        server.requests += 1  # type: ignore[attr-defined]
        mode = server.mode  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        if url.path.endswith("/periods"):
            return self._json(200, {"periods": ["2022-07"]})
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        getattr(self, f"_{mode}")(url.path, page)

    def _page(self, path: str, page: int, total: int, next_page: int | None, data=None):
        link = f"{path}?period=2022-07&page={next_page}&page_size=500" if next_page else None
        body = {"period": "2022-07", "page": page, "total": total, "next": link}
        self._json(200, body | {"data": [RECORD] if data is None else data})

    def _endless(self, path: str, page: int) -> None:
        self._page(path, page, 10**9, page + 1)

    def _endless_empty(self, path: str, page: int) -> None:
        self._page(path, page, 1, page + 1, data=[])

    def _looping(self, path: str, page: int) -> None:
        self._page(path, page, 10**9, 2 if page == 1 else 1)

    def _elsewhere(self, path: str, page: int) -> None:
        body = {"total": 2, "data": [RECORD], "next": "http://192.0.2.1/api/x?page=2"}
        self._json(200, body)

    def _short(self, path: str, page: int) -> None:
        self._page(path, page, 126, None)

    def _flaky(self, path: str, page: int) -> None:
        if self.server.requests <= 3:  # type: ignore[attr-defined]
            return self._json(503, {"error": "busy"})
        self._page(path, page, 1, None)

    def _failing(self, path: str, page: int) -> None:
        self._json(502, {"error": "bad gateway"})

    def _drip(self, path: str, page: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.4)
        except OSError:
            pass  # the client gave up, as it should

    def _slow_pages(self, path: str, page: int) -> None:
        time.sleep(0.3)
        self._page(path, page, 10**9, page + 1)

    def _redirect(self, path: str, page: int) -> None:
        self.send_response(302)
        self.send_header("Location", "http://192.0.2.1/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _huge(self, path: str, page: int) -> None:
        self._page(path, page, 5000, None, data=[RECORD] * 5000)


@pytest.fixture
def api(cfg):
    """(settings pointing at a misbehaving local API, the server: set its ``mode``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    server.mode = "short"  # type: ignore[attr-defined]
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield dataclasses.replace(cfg, api_url=f"http://127.0.0.1:{server.server_port}"), server
    finally:
        server.shutdown()
        server.server_close()


def _fetch(cfg):
    contract = load_contracts(cfg)["etax_mobile_accounts"]
    started = time.monotonic()
    with pytest.raises(FileRejected) as caught:
        http_source.fetch(contract, cfg)
    return caught.value.problem, time.monotonic() - started


def test_a_next_link_that_never_ends_stops_at_the_page_limit(api, monkeypatch):
    cfg, server = api
    monkeypatch.setenv("DDSS_HTTP_MAX_PAGES", "25")
    for mode in ("endless", "endless_empty"):
        server.mode, server.requests = mode, 0
        problem, _ = _fetch(cfg)
        assert problem.rule == "source_unavailable" and problem.file == "hanoi_tax/etax-mobile"
        assert "25 trang" in problem.message_vi and "more than 25 pages" in problem.message_en
        assert server.requests == 1 + 25  # the periods, then exactly the page limit


def test_a_next_link_that_loops_back_is_named(api):
    cfg, server = api
    server.mode = "looping"
    problem, _ = _fetch(cfg)
    assert "lặp" in problem.message_vi and "loops" in problem.message_en
    assert "page=1" in problem.message_en and server.requests == 3


def test_a_next_link_to_another_server_is_not_followed(api):
    cfg, server = api
    server.mode = "elsewhere"
    problem, _ = _fetch(cfg)
    assert "another server" in problem.message_en and "192.0.2.1" in problem.message_en


def test_a_redirect_is_named_not_followed(api):
    cfg, server = api
    server.mode = "redirect"
    problem, _ = _fetch(cfg)
    assert "192.0.2.1/elsewhere" in problem.message_en and "chuyển hướng" in problem.message_vi


def test_a_server_that_drips_a_byte_at_a_time_is_abandoned_in_bounded_time(api, monkeypatch):
    cfg, server = api
    server.mode = "drip"
    monkeypatch.setenv("DDSS_HTTP_REQUEST_SECONDS", "1.5")
    problem, elapsed = _fetch(cfg)
    assert elapsed < 6  # 1000 bytes at 0.4 s each would take 400 s
    assert "quá chậm" in problem.message_vi and "too slowly" in problem.message_en
    assert "hanoi_tax/etax-mobile" in problem.message_en  # names the endpoint


def test_the_whole_fetch_has_a_time_budget(api, monkeypatch):
    cfg, server = api
    monkeypatch.setenv("DDSS_HTTP_FETCH_SECONDS", "1")
    for mode in ("slow_pages", "drip"):  # each page in time, but never done; or one slow page
        server.mode = mode
        problem, elapsed = _fetch(cfg)
        assert elapsed < 5, mode
        assert "longer than its 1 s limit" in problem.message_en, mode
        assert "quá thời gian" in problem.message_vi


def test_more_bytes_than_allowed_end_the_fetch(api, monkeypatch):
    cfg, server = api
    server.mode = "huge"
    monkeypatch.setenv("DDSS_HTTP_MAX_BYTES", "10000")
    problem, _ = _fetch(cfg)
    assert "10000 byte" in problem.message_vi and "more than 10000 bytes" in problem.message_en


def test_a_5xx_is_retried_and_then_the_fetch_succeeds(api):
    cfg, server = api
    server.mode = "flaky"
    contract = load_contracts(cfg)["etax_mobile_accounts"]
    paths = http_source.fetch(contract, cfg)
    assert json.loads(paths[0].read_text("utf-8"))["records"] == [RECORD]
    assert server.requests == 4  # periods, 503, 503, then the page


def test_a_5xx_that_persists_ends_after_the_allowed_attempts(api, monkeypatch):
    cfg, server = api
    server.mode = "failing"
    monkeypatch.setenv("DDSS_HTTP_ATTEMPTS", "2")
    problem, _ = _fetch(cfg)
    assert "HTTP 502" in problem.message_en and "2 attempts" in problem.message_en
    assert server.requests == 1 + 2


def test_an_api_that_does_not_add_up_to_its_declared_total_is_refused(api):
    cfg, server = api
    server.mode = "short"
    problem, _ = _fetch(cfg)
    assert problem.rule == "control_total" and problem.value == "1 / 126"
    assert not (cfg.landing_dir / "hanoi_tax" / "etax_mobile_2022-07.json").exists()
