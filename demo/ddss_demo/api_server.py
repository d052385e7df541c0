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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from ddss.settings import Settings

SEGMENT = re.compile(r"^[a-z0-9_-]+$")
PERIOD = re.compile(r"^\d{4}(-\d{2})?$")
MAX_PAGE_SIZE = 1000


def respond(root: Path, path: str, records: Callable[[Path], list]) -> tuple[int, dict]:
    """The status and JSON body for ``GET path``; ``records`` reads a period's file."""
    url = urlparse(path)
    parts = [p for p in url.path.split("/") if p]
    if len(parts) < 3 or parts[0] != "api" or not all(SEGMENT.match(p) for p in parts[1:]):
        return 404, {"error": "not found"}
    folder = root / parts[1] / parts[2]
    if not folder.is_dir():
        return 404, {"error": "unknown endpoint"}
    if parts[3:] == ["periods"]:
        return 200, {"periods": sorted(p.stem for p in folder.glob("*.json"))}
    if len(parts) != 3:
        return 404, {"error": "not found"}
    return _page(folder, f"/api/{parts[1]}/{parts[2]}", parse_qs(url.query), records)


def _page(
    folder: Path, endpoint: str, query: dict[str, list[str]], records: Callable[[Path], list]
) -> tuple[int, dict]:
    period = (query.get("period") or [""])[0]
    try:
        page = int((query.get("page") or ["1"])[0])
        size = min(int((query.get("page_size") or ["500"])[0]), MAX_PAGE_SIZE)
    except ValueError:
        return 400, {"error": "page and page_size must be integers"}
    if not PERIOD.match(period) or not (folder / f"{period}.json").is_file():
        return 404, {"error": f"no data for period '{period}'"}
    if page < 1 or size < 1:
        return 400, {"error": "page and page_size start at 1"}
    rows = records(folder / f"{period}.json")
    start = (page - 1) * size
    following = {"period": period, "page": page + 1, "page_size": size}
    more = start + size < len(rows)
    return 200, {
        "period": period,
        "page": page,
        "page_size": size,
        "total": len(rows),
        "data": rows[start : start + size],
        "next": f"{endpoint}?{urlencode(following)}" if more else None,
    }


def _handler(root: Path) -> type[BaseHTTPRequestHandler]:
    cache: dict[Path, list] = {}
    lock = threading.Lock()

    def records(path: Path) -> list:
        with lock:
            if path not in cache:
                cache[path] = json.loads(path.read_text("utf-8"))
            return cache[path]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the pipeline logs what it fetched

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            status, body = respond(root, self.path, records)
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


class ApiServer:
    """``with ApiServer(root) as url:`` serves ``root`` on 127.0.0.1 (a free port by default)."""

    def __init__(self, root: Path, port: int = 0):
        self.root = Path(root)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.root))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

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
