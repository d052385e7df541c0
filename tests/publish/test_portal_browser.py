"""A person's path through the portal in headless Chromium (Debian's chromium and
chromium-driver, installed by `make test`): the index, a search, a dataset page, a download."""

import functools
import http.server
import shutil
import threading
import time

import pytest

from browser import chromium, require_chromium
from conftest import REPO

ARTIFACTS = REPO / "tests" / ".artifacts"


@pytest.fixture
def site(published):
    require_chromium()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(published.public_dir)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def browser(tmp_path):
    yield from chromium(tmp_path, height=1600)


def test_a_person_finds_a_dataset_reads_it_and_downloads_it(site, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(site)
    cards = browser.find_elements(By.CSS_SELECTOR, ".dataset")
    from ddss.data_contracts import load_contracts, load_departments

    assert len(cards) == sum(1 for c in load_contracts().values() if c.published) == 20
    assert "Dữ liệu mở" in browser.find_element(By.TAG_NAME, "h1").text
    scorecard = browser.find_elements(By.CSS_SELECTOR, "#scorecard tr[data-department]")
    assert sorted(r.get_attribute("data-department") for r in scorecard) == sorted(
        load_departments()
    )
    assert "100.00" in scorecard[0].text  # sống: every due month arrived
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "portal-index.png"))

    search = browser.find_element(By.ID, "q")
    search.send_keys("dịch vụ công trực tuyến")
    visible = [c for c in browser.find_elements(By.CSS_SELECTOR, ".dataset") if c.is_displayed()]
    assert [c.get_attribute("data-text") for c in visible] and len(visible) < 20
    department = browser.find_element(By.ID, "dep")
    assert "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang" in department.text

    browser.get(site)
    browser.find_element(By.PARTIAL_LINK_TEXT, "Chỉ tiêu giải quyết thủ tục hành chính").click()
    assert browser.current_url.endswith("datasets/dossier_indicators.html")
    page = browser.find_element(By.TAG_NAME, "body").text
    for expected in (
        "Từ điển dữ liệu",
        "Data dictionary",
        "Giấy phép",
        "CC-BY-4.0",
        "Tải về",
        "Nhật ký thay đổi",
        "42540",
    ):
        assert expected in page, expected
    browser.save_screenshot(str(ARTIFACTS / "portal-dataset-page.png"))
    assert (ARTIFACTS / "portal-dataset-page.png").stat().st_size > 10_000

    browser.find_element(By.LINK_TEXT, "CSV").click()
    target = tmp_path / "downloads" / "dossier_indicators.csv"
    for _ in range(100):
        if target.exists():
            break
        time.sleep(0.1)
    assert target.exists(), "the CSV link did not download"
    text = target.read_bytes().decode("utf-8-sig")
    assert text.startswith('"indicator"') and "received_total" in text
    shutil.copy(target, ARTIFACTS / "downloaded.csv")

    browser.get(site)
    browser.find_element(By.PARTIAL_LINK_TEXT, "Hồ sơ thủ tục hành chính tiếp nhận").click()
    assert "Lịch sử chất lượng" in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_elements(By.CSS_SELECTOR, "svg polyline")
    scores = {
        e.get_attribute("data-criterion"): e.text
        for e in browser.find_elements(By.CSS_SELECTOR, ".score")
    }
    assert set(scores) == {"overall", "dung", "du", "sach", "song"}
    browser.save_screenshot(str(ARTIFACTS / "portal-dossiers-page.png"))
