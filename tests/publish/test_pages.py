"""The public portal as a citizen uses it (issue 18, items 13-15): on a 390 px phone nothing
overflows sideways and search and downloads sit near the top; search ignores case,
diacritics and word order; pages speak Vietnamese, in local time, without machine codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_portal_browser import ARTIFACTS, browser, site  # noqa: F401  (fixtures)

PHONE = 390


def _phone(driver, height: int = 844) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def _top(driver, selector: str) -> int:
    return driver.execute_script(
        "const e=document.querySelector(arguments[0]);"
        "return Math.round(e.getBoundingClientRect().top+window.scrollY)",
        selector,
    )


def _screenshot(driver, name: str) -> Path:
    """The whole page (up to 4,000 px) at phone width, for a person to look at."""
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), 4000)
    _phone(driver, height)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    _phone(driver)
    return path


def test_on_a_phone_nothing_overflows_and_search_and_downloads_come_first(site, browser):  # noqa: F811
    _phone(browser)
    browser.get(site)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE
    assert _top(browser, "#q") < 844, "the search box is on the first screen"
    assert _screenshot(browser, "phone-index.png").stat().st_size > 10_000
    browser.get(f"{site}versions/index.html")  # the versions index: dates, not bare ids
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE
    assert "giờ Việt Nam" in browser.page_source
    for page in ("admin_procedure_dossiers", "dossier_indicators", "vneid_activations_by_ward"):
        browser.get(f"{site}datasets/{page}.html")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE, (page, width)
        assert _top(browser, "#downloads") < 2 * 844, page
        # the preview is wider than the phone: it scrolls inside its own box
        box = browser.execute_script(
            "const b=document.querySelector('#preview').parentElement;"
            "return [b.scrollWidth, b.clientWidth, getComputedStyle(b).overflowX]"
        )
        assert box[2] == "auto" and box[1] <= PHONE, box
        _screenshot(browser, f"phone-{page}.png")


SEARCHES = {
    "thue": "tax_indicators",  # no diacritics
    "ho so": "admin_procedure_dossiers",  # no diacritics, two words
    "thuế hà nội": "taxpayer_e_services",  # words in another order than the department's name
    "HÀ NỘI THUẾ": "etax_mobile_accounts",  # capitals, any order
    "dien tu ho so suc khoe": "electronic_health_records",
}


@pytest.mark.parametrize("typed", list(SEARCHES))
def test_search_ignores_diacritics_case_and_word_order(site, browser, typed):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(site)
    browser.find_element(By.ID, "q").send_keys(typed)
    shown = [
        c.find_element(By.CSS_SELECTOR, "h2 a").get_attribute("href").rsplit("/", 1)[-1]
        for c in browser.find_elements(By.CSS_SELECTOR, ".dataset")
        if c.is_displayed()
    ]
    assert f"{SEARCHES[typed]}.html" in shown, (typed, shown)
    assert len(shown) < 20, "every word must match, not any"


def test_a_search_with_no_match_says_so(site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(site)
    browser.find_element(By.ID, "q").send_keys("khong co gi nhu the nay")
    assert browser.find_element(By.ID, "none").is_displayed()


def test_pages_speak_to_citizens_not_in_machine_codes(published):
    from ddss.data_contracts import load_contracts
    from ddss.publish import labels

    public = published.public_dir
    index = (public / "index.html").read_text("utf-8")
    page = (public / "datasets" / "admin_procedure_dossiers.html").read_text("utf-8")
    version = (public / "current").resolve().name
    assert version not in _visible(index) and version not in _visible(page)
    assert "UTC" not in _visible(page) and "giờ Việt Nam" in page
    # topics by name, not slug
    assert ">public-administration<" not in index and "Hành chính công" in index
    # preview headers are the Vietnamese descriptions; codes stay in the data dictionary
    contract = load_contracts()["admin_procedure_dossiers"]
    preview = page.split('id="preview"')[1].split("</table>")[0]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", preview)
    assert headers == [labels.column_label(c) for c in labels.preview_columns(contract)]
    assert not {c.name for c in contract.publish_columns} & set(headers)
    assert "<code>dossier_id</code>" in page.split("Từ điển dữ liệu")[-1]
    assert "đúng hạn" in preview or "trước hạn" in preview
    assert ">on_time<" not in preview and ">early<" not in preview
    # no dataset ids in sentences; indicators read by name, their codes in the dictionary
    indicators = (public / "datasets" / "dossier_indicators.html").read_text("utf-8")
    preview = indicators.split('id="preview"')[1].split("</table>")[0]
    assert "Hồ sơ nhận trực tiếp" in preview and "received_direct" not in preview
    assert "admin_procedure_dossiers" not in _visible(indicators)


def _visible(html: str) -> str:
    """The page's text without tags and attributes (links may keep ids and version paths)."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


# Fast: the labels, and a held-back page rendered from a small context.


def test_local_time_is_ho_chi_minh_city_time():
    from ddss.publish import labels

    assert labels.local_time(datetime(2026, 11, 24, 20, 29, tzinfo=UTC)) == "25/11/2026 03:29"
    assert labels.local_time("2026-11-24 20:29") == "25/11/2026 03:29"  # history: UTC text
    assert labels.version_date("20261124T185102Z") == "25/11/2026 01:51"
    assert labels.local_time(None) == ""


def test_codes_become_words():
    from ddss.data_contracts import load_contracts
    from ddss.publish import labels

    columns = {c.name: c for c in load_contracts()["admin_procedure_dossiers"].publish_columns}
    assert labels.column_label(columns["timeliness"]) == "Kết quả"
    assert labels.cell(columns["timeliness"], "on_time") == "đúng hạn"
    assert labels.cell(columns["channel"], "postal") == "bưu chính công ích"
    assert labels.cell(columns["timeliness"], None) == ""
    assert labels.cell(columns["channel"], 3.5) == "3,50"
    assert labels.topic("public-administration") == "Hành chính công"
    assert labels.file_size(4_215_000) == "4,2 MB"
    assert labels.type_label("date") == "ngày / date (date)"
    assert labels.dataset_title("admin_procedure_dossiers").startswith("Hồ sơ thủ tục hành chính")


def test_held_back_data_gets_a_plain_language_note(tmp_path):
    from test_catalog import _small_context

    from ddss.publish import portal

    ctx = _small_context(tmp_path)
    ctx.quality["admin_procedure_dossiers"].update(
        held_back={
            "since_version": "20261001T080000Z",
            "reasons": [
                {
                    "file": "ho_so.csv",
                    "rule": "batch_row_count",
                    "message_vi": "Xem báo cáo chất lượng của lần chạy run-7",
                    "message_en": "See the quality report of run run-7",
                }
            ],
        }
    )
    ctx.datasets["admin_procedure_dossiers"]["carried_from"] = "20261001T080000Z"
    portal.render(ctx, tmp_path, [])
    page = (tmp_path / "datasets" / "admin_procedure_dossiers.html").read_text("utf-8")
    note = page.split('class="held"')[1].split("</div></div>")[0]
    assert "chưa được công bố" in note and "01/10/2026 15:00" in note
    # the files' own date
    assert 'cập nhật <span lang="en">/ updated</span> 01/10/2026 15:00' in page
    assert "báo cáo" not in note and "report" not in note and "run-7" not in note
    assert "20261001T080000Z" not in note
