"""The charts as a person sees them, in headless Chromium (tests/browser.py): vega-embed
draws every chart of an indicators page from the bundle vendored into the version, served
by a local http.server or opened as a file; a 390 px phone scrolls nothing sideways; the
Tab key moves a visible focus. Screenshots go to tests/.artifacts/."""

from __future__ import annotations

import time

from test_portal_browser import ARTIFACTS, browser, site  # noqa: F401  (fixtures)

PHONE = 390
PAGE = "datasets/dossier_indicators.html"


def _drawn(driver, timeout: float = 30) -> int:
    """Wait until vega-embed has drawn every chart of the page; their number."""
    script = (
        "const all=document.querySelectorAll('.chart');"
        "const done=document.querySelectorAll('.chart.drawn .live svg .mark-rect path');"
        "return [all.length, new Set([...done].map(p=>p.closest('.chart'))).size]"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total, drawn = driver.execute_script(script)
        if total and drawn == total:
            return total
        time.sleep(0.2)
    raise AssertionError(f"vega-embed drew {drawn} of {total} charts in {timeout} s")


def _errors(driver) -> list[str]:
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]
    ]


def _show(driver, element_id: str, name: str) -> None:
    driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", element_id)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_vega_embed_draws_every_chart_of_an_indicators_page(site, browser):  # noqa: F811
    browser.get(site + PAGE)
    charts = _drawn(browser)
    assert charts >= 4  # received, resolved, services, rates, by month and channel
    # the pre-drawn SVG gives way to the live one; each chart is labelled for screen readers
    hidden = browser.execute_script(
        "return [...document.querySelectorAll('.chart .drawing')]"
        ".map(d=>getComputedStyle(d).display)"
    )
    assert set(hidden) == {"none"}
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.chart')].map(c=>"
        "[c.getAttribute('role'),document.getElementById(c.getAttribute('aria-describedby'))"
        ".textContent.length])"
    )
    assert all(role == "img" and length > 40 for role, length in labels)
    assert _errors(browser) == []
    _show(browser, "charts", "portal-chart-desktop.png")
    _show(browser, "chart-5", "portal-chart-desktop-by-month.png")


def test_on_a_phone_the_charts_fit_and_nothing_scrolls_sideways(published, site, browser):  # noqa: F811
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    pages = sorted((published.public_dir / "current" / "datasets").glob("*_indicators.html"))
    assert len(pages) >= 8
    for page in [site + PAGE] + [f"{site}datasets/{p.name}" for p in pages]:
        browser.get(page)
        _drawn(browser)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE, (page, width)
        widths = browser.execute_script(
            "return [...document.querySelectorAll('.chart')].map(c=>"
            "[c.querySelector('.live svg').getBoundingClientRect().right,"
            " c.getBoundingClientRect().right])"
        )
        assert all(svg <= box + 1 for svg, box in widths), (page, widths)
        # the figures' tables scroll inside their own box
        boxes = browser.execute_script(
            "return [...document.querySelectorAll('table.figures')].map(t=>"
            "getComputedStyle(t.parentElement).overflowX)"
        )
        assert set(boxes) == {"auto"}, page
    browser.get(site + PAGE)
    _drawn(browser)
    _show(browser, "charts", "portal-chart-phone.png")
    _show(browser, "chart-5", "portal-chart-phone-by-month.png")


def test_tab_moves_a_visible_focus(site, browser):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(site + PAGE)
    _drawn(browser)
    seen = []
    for _ in range(12):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        seen.append(
            browser.execute_script(
                "const e=document.activeElement,s=getComputedStyle(e),again=!!e.dataset.tabbed;"
                "e.dataset.tabbed='1';"
                "return [e.tagName+':'+(e.getAttribute('href')||''),"
                " s.outlineStyle, parseFloat(s.outlineWidth), e.matches(':focus-visible'), again]"
            )
        )
    assert not any(again for *_, again in seen), ("each Tab moves the focus on", seen)
    for name, style, width, visible, _ in seen:
        assert visible and style == "solid" and width >= 3, (name, style, width)
    assert any(":/api/v1/" in name for name, *_ in seen), seen  # the API links are reachable
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "portal-chart-focus.png"))


def test_the_charts_work_offline_from_the_files(published, site, browser):  # noqa: F811
    """No server and no network: the page opened as a file still draws its charts."""
    page = published.public_dir / "current" / PAGE
    browser.get(page.resolve().as_uri())
    assert _drawn(browser) >= 4
    assert _errors(browser) == []


def test_without_javascript_the_charts_drawn_at_publication_show(site, browser):  # noqa: F811
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(site + PAGE)
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.chart')].map(c=>{"
        "const r=c.querySelector('.drawing svg').getBoundingClientRect();"
        "return [c.classList.contains('drawn'), Math.round(r.width), Math.round(r.height)]})"
    )
    assert len(shown) >= 4
    assert all(not drawn and width > 200 and height > 80 for drawn, width, height in shown), shown
