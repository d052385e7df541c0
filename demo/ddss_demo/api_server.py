"""A department's HTTP API, served locally for the demo and the tests.

Departments that do not drop files expose their records through a paginated JSON API. This
server plays that part on 127.0.0.1: it serves what ``ddss generate`` wrote under
``<feeds>/_http/<department>/<endpoint>/<period>.json`` as

    GET /api/<department>/<endpoint>/periods            -> {"periods": ["2022-07", ...]}
    GET /api/<department>/<endpoint>?period=P&page=N&page_size=S
        -> {"period": P, "page": N, "page_size": S, "total": T, "data": [...], "next": url|null}

``total`` is the department's control total for the period: the fetcher checks it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from ddss.settings import Settings

SEGMENT = re.compile(r"^[a-z0-9_-]+$")
PERIOD = re.compile(r"^\d{4}(-\d{2})?$")
MAX_PAGE_SIZE = 1000


def _handler(root: Path):
    cache: dict[Path, list] = {}
    lock = threading.Lock()

    def records(path: Path) -> list:
        with lock:
            if path not in cache:
                cache[path] = json.loads(path.read_text("utf-8"))
            return cache[path]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the pipeline logs what it fetched
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            parts = [p for p in url.path.split("/") if p]
            if len(parts) < 3 or parts[0] != "api" or not all(SEGMENT.match(p) for p in parts[1:]):
                return self._send(404, {"error": "not found"})
            folder = root / parts[1] / parts[2]
            if not folder.is_dir():
                return self._send(404, {"error": "unknown endpoint"})
            if parts[3:] == ["periods"]:
                return self._send(200, {"periods": sorted(p.stem for p in folder.glob("*.json"))})
            if len(parts) != 3:
                return self._send(404, {"error": "not found"})
            query = parse_qs(url.query)
            period = (query.get("period") or [""])[0]
            try:
                page = int((query.get("page") or ["1"])[0])
                size = min(int((query.get("page_size") or ["500"])[0]), MAX_PAGE_SIZE)
            except ValueError:
                return self._send(400, {"error": "page and page_size must be integers"})
            if not PERIOD.match(period) or not (folder / f"{period}.json").is_file():
                return self._send(404, {"error": f"no data for period '{period}'"})
            if page < 1 or size < 1:
                return self._send(400, {"error": "page and page_size start at 1"})
            rows = records(folder / f"{period}.json")
            start = (page - 1) * size
            more = start + size < len(rows)
            next_url = (
                (
                    f"/api/{parts[1]}/{parts[2]}?"
                    + urlencode({"period": period, "page": page + 1, "page_size": size})
                )
                if more
                else None
            )
            return self._send(
                200,
                {
                    "period": period,
                    "page": page,
                    "page_size": size,
                    "total": len(rows),
                    "data": rows[start : start + size],
                    "next": next_url,
                },
            )

    return Handler


class ApiServer:
    """``with ApiServer(root) as url:`` serves ``root`` on 127.0.0.1 (a free port by default)."""

    def __init__(self, root: Path, port: int = 0):
        self.root = Path(root)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.root))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self.thread.start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def serve_generated_feeds(cfg: Settings) -> Iterator[str | None]:
    """The ``ddss.source_services`` entry point: serves ``<landing>/_http`` (what ``ddss
    generate`` wrote) while the block runs, and yields its URL; None when there is none."""
    root = cfg.landing_dir / "_http"
    if not root.is_dir():
        yield None
        return
    with ApiServer(root) as url:
        yield url
