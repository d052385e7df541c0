"""A department API that misbehaves (a next link that never ends or loops, a drip of one byte
every second, too many bytes, 5xx) ends the fetch with a clear message naming the endpoint,
within bounded time, instead of hanging the extract."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from ddss.data_contracts import load_contracts
from ddss.errors import FileRejected
from ddss.ingest import http_source
from http_servers import RECORDS, misbehaving_api


@pytest.fixture
def api(cfg):
    """(settings pointing at a misbehaving local API, the server: set its ``mode``)."""
    with misbehaving_api("short") as server:
        yield dataclasses.replace(cfg, api_url=f"http://127.0.0.1:{server.server_port}"), server


def _fetch(cfg):
    contract = load_contracts(cfg)["etax_mobile_accounts"]
    started = time.monotonic()
    with pytest.raises(FileRejected) as caught:
        http_source.fetch(contract, cfg)
    return caught.value.problem, time.monotonic() - started


def _landing_files(cfg) -> list[str]:
    """Every file in the source's landing folder, hidden ones included."""
    folder = cfg.landing_dir / "hanoi_tax"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


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
    assert _landing_files(cfg) == []


def test_a_5xx_is_retried_and_then_the_fetch_succeeds(api):
    cfg, server = api
    server.mode = "flaky"
    contract = load_contracts(cfg)["etax_mobile_accounts"]
    paths = http_source.fetch(contract, cfg)
    assert json.loads(paths[0].read_text("utf-8"))["records"] == RECORDS
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
    assert problem.rule == "control_total" and problem.value == f"{len(RECORDS)} / 126"
    # Nothing, not even the hidden file its pages were written to as they arrived.
    assert _landing_files(cfg) == []
