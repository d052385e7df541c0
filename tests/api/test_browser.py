"""Issue 13, as a person uses it in headless Chromium through `ddss serve` (portal and API on
one 127.0.0.1 server): search without diacritics, open an indicators dataset, see its chart
and preview, follow the page's API link, download the file."""

from __future__ import annotations

import json
import time

import pytest

from browser import chromium, require_chromium
from conftest import REPO

from .conftest import ddss_serve

ARTIFACTS = REPO / "tests" / ".artifacts"


@pytest.fixture
def served(published):
    require_chromium()
    with ddss_serve(published.public_dir) as served:
        yield served.base


@pytest.fixture
def browser(tmp_path):
    yield from chromium(tmp_path, height=1400)


def _visible(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    cards = browser.find_elements(By.CSS_SELECTOR, ".dataset")
    return [c.get_attribute("data-id") or c.text for c in cards if c.is_displayed()]


def _wait(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_search_open_chart_preview_api_link_and_download(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/")
    everything = _visible(browser)
    search = browser.find_element(By.ID, "q")
    search.send_keys("thu tuc chi tieu")  # no diacritics, other order: "chỉ tiêu … thủ tục"
    found = _wait(lambda: [v for v in _visible(browser)], "search results")
    assert 0 < len(found) < len(everything)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "served-search.png"))

    browser.find_element(By.PARTIAL_LINK_TEXT, "Chỉ tiêu giải quyết thủ tục hành chính").click()
    assert browser.current_url.endswith("datasets/dossier_indicators.html")
    drawn = "return document.querySelectorAll('.chart.drawn .live svg').length"
    charts = _wait(lambda: browser.execute_script(drawn), "vega-embed drawing a chart")
    assert charts >= 1
    assert browser.find_elements(By.CSS_SELECTOR, "#preview tr td")  # the first rows
    browser.save_screenshot(str(ARTIFACTS / "served-dataset.png"))

    link = browser.find_element(By.CSS_SELECTOR, "ul.api a[href$='/dossier_indicators/rows']")
    link.click()
    body = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    rows = body.get("rows") or body.get("data")
    assert rows and "indicator" in rows[0], body.keys()
    browser.back()

    browser.find_element(By.LINK_TEXT, "CSV").click()
    target = tmp_path / "downloads" / "dossier_indicators.csv"
    _wait(target.exists, "the CSV download")
    assert "received_total" in target.read_bytes().decode("utf-8-sig")
