"""Group 4: load. The steward workspace and the public query API, each served by a real
uvicorn on 127.0.0.1, under bounded concurrent requests (httpx, a thread per client):
every answer 200, and the p95 latency printed with the campaign's figures."""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from chaos.tally import TALLY
from conftest import copy_workspace

pytestmark = pytest.mark.slow

CLIENTS = 8  # at once
REQUESTS = 240  # in all, per server
PASSWORD = "chaos load correct horse 2022"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 in a thread until the block ends."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]


def _hammer(make_client, paths: list[str]) -> tuple[list[float], list[str]]:
    """REQUESTS GETs over ``paths`` in turn, CLIENTS at a time; (latencies, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def one(n: int) -> None:
        if not hasattr(local, "client"):
            local.client = make_client()
        path = paths[n % len(paths)]
        started = time.perf_counter()
        try:
            answer = local.client.get(path)
            ok = answer.status_code == 200
            problem = f"{path}: HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            ok, problem = False, f"{path}: {type(exc).__name__}"
        with lock:
            latencies.append(time.perf_counter() - started)
            if not ok:
                errors.append(problem)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(one, range(REQUESTS)))
    return latencies, errors


def _report(name: str, latencies: list[float], errors: list[str]) -> None:
    TALLY.lines.append(
        f"load {name}: {len(latencies)} requests, {CLIENTS} at once, "
        f"p95 {_p95(latencies) * 1000:.0f} ms, median {statistics.median(latencies) * 1000:.0f} ms, "
        f"errors {len(errors)}"
    )


def test_the_steward_workspace_under_concurrent_stewards(chaos_workspace, tmp_path):
    """Eight signed-in stewards of one department browse dashboard, quarantine and dataset
    pages at once: every answer 200, p95 reported."""
    from ddss.steward.accounts import AccountStore
    from ddss.steward.app import create_app
    from ddss.steward.settings import load_steward_settings

    cfg = copy_workspace(chaos_workspace, tmp_path / "ws")
    steward = load_steward_settings(cfg)
    AccountStore(steward.accounts_db).add("chaos.load", "hanoi_transport", PASSWORD)
    app = create_app(cfg, steward)
    with serving(app) as url:

        def signed_in() -> httpx.Client:
            client = httpx.Client(base_url=url, timeout=30)
            page = client.get("/login").text
            match = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert match, "no CSRF token on the sign-in page"
            client.post(
                "/login",
                data={"username": "chaos.load", "password": PASSWORD, "csrf_token": match[1]},
                follow_redirects=True,
            ).raise_for_status()
            return client

        paths = ["/dashboard", "/quarantine", "/datasets/cashless_parking_payments"]
        latencies, errors = _hammer(signed_in, paths)
    TALLY.runs += 1
    _report("steward workspace", latencies, errors)
    assert errors == []
    assert len(latencies) == REQUESTS


def test_the_query_api_under_concurrent_clients(chaos_workspace):
    """Eight clients page through the published datasets' rows at once: every answer 200."""
    api = pytest.importorskip("ddss.api.app", reason="the query API (ddss.api) is not built yet")
    app = api.create_app(chaos_workspace.public_dir)
    with serving(app) as url:
        listing = httpx.get(f"{url}/api/v1/datasets", timeout=30)
        assert listing.status_code == 200, listing.text[:500]
        body = listing.json()
        items = body.get("datasets", body) if isinstance(body, dict) else body
        ids = [d["id"] if isinstance(d, dict) else d for d in items][:4]
        assert ids
        paths = ["/api/v1/datasets"] + [f"/api/v1/datasets/{i}/rows" for i in ids]
        latencies, errors = _hammer(lambda: httpx.Client(base_url=url, timeout=30), paths)
    TALLY.runs += 1
    _report("query API", latencies, errors)
    assert errors == []
