"""Real HTTP servers on 127.0.0.1 for tests: a department's JSON API that misbehaves as
asked (the HTTP source's limits, the chaos campaign), and the JSON replies other stand-ins
(Airflow's REST API for the steward workspace) are built from."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PERIOD = "2022-07"
RECORDS = [{"ma_phuong_xa": "00070", "ky_bao_cao": PERIOD, "so_tai_khoan": n} for n in (1, 2, 3)]
ELSEWHERE = "http://192.0.2.1"  # TEST-NET-1: never reachable, never followed


class JsonHandler(BaseHTTPRequestHandler):
    """Quiet request handler with one way to answer."""

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def send_bytes(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, body: object) -> None:
        self.send_bytes(status, json.dumps(body).encode())


class MisbehavingApi(JsonHandler):
    """``/api/<endpoint>/periods`` (one period) and its pages, behaving as the server's
    ``mode`` says; ``requests`` counts every request, ``failures`` is how many 503s the
    ``flaky`` mode answers before the page."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server = self.server
        server.requests += 1  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        if url.path.endswith("/periods"):
            return self.send_json(200, {"periods": [PERIOD]})
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        getattr(self, f"_{server.mode}")(url.path, page)  # type: ignore[attr-defined]

    def _page(self, path: str, page: int, total: int, next_page: int | None, data=None):
        link = f"{path}?period={PERIOD}&page={next_page}&page_size=500" if next_page else None
        body = {"period": PERIOD, "page": page, "total": total, "next": link}
        self.send_json(200, body | {"data": RECORDS if data is None else data})

    def _good(self, path: str, page: int) -> None:
        self._page(path, page, len(RECORDS), None)

    def _endless(self, path: str, page: int) -> None:
        self._page(path, page, 10**9, page + 1)

    def _endless_empty(self, path: str, page: int) -> None:
        self._page(path, page, 1, page + 1, data=[])

    def _looping(self, path: str, page: int) -> None:
        self._page(path, page, 10**9, 2 if page == 1 else 1)

    def _elsewhere(self, path: str, page: int) -> None:
        self.send_json(200, {"total": 9, "data": RECORDS, "next": f"{ELSEWHERE}/api/x?page=2"})

    def _redirect(self, path: str, page: int) -> None:
        self.send_bytes(302, b"", {"Location": f"{ELSEWHERE}/elsewhere"})

    def _short(self, path: str, page: int) -> None:
        self._page(path, page, 126, None)

    def _not_json(self, path: str, page: int) -> None:
        self.send_bytes(200, b"<html><body>502 Bad Gateway</body></html>")

    def _huge(self, path: str, page: int) -> None:
        self._page(path, page, 5000, None, data=RECORDS[:1] * 5000)

    def _flaky(self, path: str, page: int) -> None:
        if self.server.requests <= 1 + self.server.failures:  # type: ignore[attr-defined]
            return self.send_json(503, {"error": "busy"})
        self._good(path, page)

    def _failing(self, path: str, page: int) -> None:
        self.send_json(502, {"error": "bad gateway"})

    def _hang(self, path: str, page: int) -> None:
        time.sleep(5)
        self._good(path, page)

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


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], **attributes) -> Iterator[ThreadingHTTPServer]:
    """A threading server on 127.0.0.1 with ``attributes`` set on it, for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for key, value in attributes.items():
        setattr(server, key, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def misbehaving_api(mode: str = "good", failures: int = 2):
    """``serving(MisbehavingApi)`` in ``mode``; set ``server.mode`` to change it."""
    return serving(MisbehavingApi, mode=mode, requests=0, failures=failures)
