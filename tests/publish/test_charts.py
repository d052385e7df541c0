"""Portal pages people would rather look at than read (issue 13): each indicators dataset's
charts (Vega-Lite, drawn by the vega-embed bundle vendored into the version, with an SVG
drawn beforehand, a text alternative and the figures as a table), links to the query API,
and the basics of accessibility: Vietnamese pages with English marked as English, headings
in order, visible keyboard focus and AA contrast."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ddss.publish import charts

TEMPLATES = Path(charts.__file__).parent / "templates"


def _indicator(code: str, vi: str, en: str, value: int, share: float | None = None) -> dict:
    return {
        "indicator": code,
        "label_vi": vi,
        "label_en": en,
        "value": value,
        "share_percent": share,
        "period_start": date(2022, 1, 1),
        "period_end": date(2022, 3, 31),
    }


# Made-up figures: the channels add up to the total, the timeliness parts do not.
INDICATORS = [
    _indicator("received_direct", "Hồ sơ nhận trực tiếp", "Dossiers received in person", 7, 70.0),
    _indicator("received_online", "Hồ sơ nhận trực tuyến", "Dossiers received online", 3, 30.0),
    _indicator("received_total", "Tổng số hồ sơ tiếp nhận", "Dossiers received", 10),
    _indicator("resolved_early", "Hồ sơ trả trước hạn", "Dossiers resolved early", 4, 50.0),
    _indicator("resolved_late", "Hồ sơ trả trễ hạn", "Dossiers resolved late", 1, 12.5),
    _indicator("resolved_total", "Tổng số hồ sơ đã giải quyết", "Dossiers resolved", 8),
    _indicator("services_level_2", "Dịch vụ công mức độ 2", "Level-2 services", 3, 37.5),
    _indicator("services_level_4", "Dịch vụ công mức độ 4", "Level-4 services", 5, 62.5),
    _indicator("services_level_4_with_dossiers", "Mức độ 4 có hồ sơ", "With dossiers", 2, 40.0),
    _indicator("services_total", "Tổng số dịch vụ công", "Online public services", 8),
]
# (received on, channel): two in January, three in March
DOSSIERS = [
    ("2022-01-05", "direct"),
    ("2022-01-20", "online"),
    ("2022-03-02", "direct"),
    ("2022-03-09", "direct"),
    ("2022-03-30", "postal"),
]


def _write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    for fmt in ("csv", "json"):
        path.with_suffix(f".{fmt}").write_text("x", "utf-8")


def _context(root: Path):
    """A version of two datasets with real Parquet files: dossiers and their indicators."""
    from ddss.data_contracts import load_contracts
    from ddss.publish.metadata import Context

    contracts = load_contracts()
    dossiers = [
        {
            "dossier_id": f"H{i}",
            "service_code": "1.001",
            "service_level": 4,
            "channel": channel,
            "commune_code": "08011",
            "received_date": date.fromisoformat(received),
            "due_date": None,
            "resolved_date": None,
            "timeliness": None,
        }
        for i, (received, channel) in enumerate(DOSSIERS)
    ]
    tables = {"dossier_indicators": INDICATORS, "admin_procedure_dossiers": dossiers}
    datasets = {}
    for dataset_id, rows in tables.items():
        parquet = root / "downloads" / f"{dataset_id}.parquet"
        _write(rows, parquet)
        datasets[dataset_id] = {
            "rows": len(rows),
            "files": {fmt: parquet.with_suffix(f".{fmt}") for fmt in ("csv", "parquet", "json")},
            "preview": rows[:20],
        }
    return Context(
        version="20261124T185102Z",
        run_id="run-1",
        published_at=datetime(2026, 11, 24, 18, 51, 2, tzinfo=UTC),
        contracts={k: contracts[k] for k in tables},
        datasets=datasets,
        quality={},
        base_url="http://127.0.0.1:8000/",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from ddss.publish import portal

    root = tmp_path_factory.mktemp("site")
    portal.render(_context(root), root, [])
    (root / "versions").mkdir()
    portal.render_versions(root, [{"version": "20261124T185102Z", "files": 9}])
    return root


# ---------------------------------------------------------------------------- the charts


def test_a_breakdown_is_drawn_only_where_the_parts_add_up_to_the_total():
    drawn = {c.key: c for c in charts.breakdowns(INDICATORS)}
    # resolved: 4 + 1 != 8, so no share chart that would claim they are the whole
    assert set(drawn) == {"breakdown-received", "breakdown-services"}
    received = drawn["breakdown-received"]
    assert [v["value"] for v in received.spec["data"]["values"]] == [7, 3]
    assert received.rows[-1][1:] == ["10", "100,00"]
    # a part of a part (level-4 services with dossiers) is not a part of the total
    assert drawn["breakdown-services"].codes == {
        "services_total",
        "services_level_2",
        "services_level_4",
    }


def test_rates_show_shares_outside_a_breakdown_on_a_0_to_100_scale():
    shown = {c for chart in charts.breakdowns(INDICATORS) for c in chart.codes}
    (chart,) = charts.rates(INDICATORS, shown)
    labels = [v["label"] for v in chart.spec["data"]["values"]]
    # resolved_* are not a breakdown (they do not add up), so their shares are rates
    assert labels == ["Hồ sơ trả trước hạn", "Mức độ 4 có hồ sơ", "Hồ sơ trả trễ hạn"]
    assert chart.spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 100]
    assert "50,00 %" in chart.summary_vi and "50.00 %" in chart.summary_en


def test_a_source_dataset_is_counted_by_month_and_channel(tmp_path):
    ctx = _context(tmp_path)
    chart = charts.by_month(
        ctx.contracts["admin_procedure_dossiers"],
        ctx.datasets["admin_procedure_dossiers"]["files"]["parquet"],
    )
    assert chart is not None
    months: dict[str, dict[str, int]] = {}
    for received, channel in DOSSIERS:
        month = f"{received[5:7]}/{received[:4]}"
        months.setdefault(month, {}).setdefault(channel, 0)
        months[month][channel] += 1
    assert [r[0] for r in chart.rows] == sorted(months, key=lambda m: m[3:] + m[:2])
    headers = [en for _, en in chart.headers[1:-1]]
    for row in chart.rows:
        counts = dict(zip(headers, row[1:-1], strict=True))
        assert {k: int(v) for k, v in counts.items() if v != "0"} == months[row[0]]
        assert int(row[-1]) == sum(months[row[0]].values())
    figures = {(v["month"], v["series"]): v["figure"] for v in chart.spec["data"]["values"]}
    assert figures[("03/2022", "trực tiếp")] == 2


def test_a_monthly_chart_says_which_date_it_counts_by():
    from ddss.data_contracts import load_contracts

    contracts = load_contracts()
    teams = contracts["community_digital_teams"]
    # members of the teams founded that month, not the members a month had
    assert charts._which_month(teams, "established_date") == (
        "theo tháng thành lập tổ",
        "by the month the team was founded",
    )
    health = contracts["electronic_health_records"]
    assert charts._which_month(health, "period") == ("theo tháng", "by month")


def test_an_unreadable_parquet_gives_a_page_without_charts_not_a_failure(tmp_path, caplog):
    ctx = _context(tmp_path)
    ctx.datasets["dossier_indicators"]["files"]["parquet"].write_text("not parquet", "utf-8")
    assert charts.indicator_rows(ctx.datasets["dossier_indicators"]) == []
    assert "dossier_indicators.parquet" in caplog.text


# ------------------------------------------------------------------------ the pages


class Page(HTMLParser):
    """What the tests read in a page: its elements with their attributes, the language of
    each text, and its headings in order."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str, set[str]]] = []  # (text, language, open tags)
        self.headings: list[int] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if data.strip():
            langs = [a["lang"] for _, a in self.stack if "lang" in a]
            self.texts.append((data, langs[-1] if langs else "", {t for t, _ in self.stack}))

    def find(self, tag: str, **wanted: str) -> list[dict]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in wanted.items())
        ]


# English words that are not Vietnamese syllables: seen outside lang="en", they are English
# text left unmarked (screen readers would read it with Vietnamese phonetics).
ENGLISH = set(
    """the and of with for rows download downloads dataset datasets updated published version
    versions quality preview changelog description validated contains personal all search
    department topic checksums format licence keywords criterion problem validation current
    first unchanged overall correct complete clean live history time free open portal chart
    charts figures indicator value share month total rate rates size publisher about files
    breakdown help query type column scores validations measured period update modified
    checked quarantined vietnam records""".split()
)


def _unmarked_english(page: Page) -> list[str]:
    found = []
    for text, lang, tags in page.texts:
        # <option> and <title> cannot hold markup; code, scripts and drawings are not prose
        if lang != "vi" or tags & {"script", "style", "code", "svg", "option", "title"}:
            continue
        # file names (quality.json) and column codes (on_time) are not English prose
        words = {w.lower() for w in text.split() if not re.search(r"[._/]", w)}
        words = {re.sub(r"\W", "", w) for w in words}
        if words & ENGLISH:
            found.append(text.strip())
    return found


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted((site / "datasets").glob("*.html"))] + [
        site / "versions" / "index.html"
    ]


def test_every_page_is_vietnamese_with_its_english_marked_as_english(site):
    for path in _pages(site):
        page = Page(path.read_text("utf-8"))
        assert page.find("html", lang="vi"), path.name
        assert _unmarked_english(page) == [], path.name
        assert page.find("span", lang="en"), path.name


def test_headings_are_in_order_one_h1_and_no_level_skipped(site):
    for path in _pages(site):
        levels = Page(path.read_text("utf-8")).headings
        assert levels.count(1) == 1 and levels[0] == 1, (path.name, levels)
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), (
            path.name,
            levels,
        )


def test_an_indicators_page_has_each_chart_with_its_spec_table_and_text(site):
    html = (site / "datasets" / "dossier_indicators.html").read_text("utf-8")
    page = Page(html)
    containers = [a for t, a in page.elements if t == "div" and "data-spec" in a]
    expected = charts.for_dataset(_context(site.parent / "again"), "dossier_indicators")
    assert len(containers) == len(expected) >= 3  # received, rates, by month
    for number, chart in enumerate(expected, start=1):
        box = containers[number - 1]
        assert box["role"] == "img" and box["aria-describedby"] == f"chart-{number}-text"
        spec_text = html.split(f'id="chart-{number}-spec">')[1].split("</script>")[0]
        spec = json.loads(spec_text)
        assert spec["$schema"].endswith("vega-lite/v6.json") and spec["width"] == "container"
        assert spec["data"]["values"] == json.loads(json.dumps(chart.spec["data"]["values"]))
        # the text alternative, in both languages
        caption = html.split(f'id="chart-{number}-text">')[1].split("</figcaption>")[0]
        assert chart.summary_vi in caption and f'lang="en">{chart.summary_en}' in caption
        # the figures, in a table with a caption, right after the chart
        table = html.split(f'id="chart-{number}-spec">')[1].split("</table>")[0]
        assert "<caption>" in table
        for row in chart.rows:
            assert f'<th scope="row">{row[0]}</th>' in table
            for cell in row[1:]:
                assert f'<td class="num">{cell}</td>' in table
        # the SVG drawn here is there before any script runs
        assert '<svg aria-hidden="true"' in html.split(f'id="chart-{number}"')[1]
    version = "20261124T185102Z"  # through the version's `versions` link, from any address
    assert f'<script src="../versions/{version}/assets/vega-bundle.js" defer>' in html
    # the index leads to them
    index = (site / "index.html").read_text("utf-8")
    assert 'href="datasets/dossier_indicators.html#charts"' in index
    assert 'href="datasets/admin_procedure_dossiers.html#charts"' not in index
    # a dataset that is not an indicators dataset has no charts and loads no script
    other = (site / "datasets" / "admin_procedure_dossiers.html").read_text("utf-8")
    assert "data-spec" not in other and "vega-bundle" not in other


def test_the_chart_library_is_vendored_into_the_version(site):
    bundle = site / "assets" / "vega-bundle.js"
    text = bundle.read_text("utf-8")
    assert bundle.stat().st_size > 500_000
    assert "window.vegaEmbed=" in text and "window.vegaLite=" in text
    # offline: no script or stylesheet fetched from elsewhere
    for path in _pages(site):
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', path.read_text())


def test_each_dataset_page_links_to_the_query_api(site):
    for dataset_id in ("dossier_indicators", "admin_procedure_dossiers"):
        page = Page((site / "datasets" / f"{dataset_id}.html").read_text("utf-8"))
        links = {a["href"] for a in page.find("a")}
        assert {
            f"/api/v1/datasets/{dataset_id}/rows",
            f"/api/v1/datasets/{dataset_id}/rows?_format=csv",
            "/api/v1/",
        } <= links


def test_english_cells_of_the_preview_are_marked_english(site):
    page = Page((site / "datasets" / "dossier_indicators.html").read_text("utf-8"))
    english = {t.strip() for t, lang, _ in page.texts if lang == "en"}
    assert "Dossiers received online" in english


def test_the_checker_finds_unmarked_english():
    """The language test above is not vacuous."""
    page = Page('<html lang="vi"><p>Số dòng / Rows</p><p>Dòng <span lang="en">/ rows</span></p>')
    assert _unmarked_english(page) == ["Số dòng / Rows"]


# ---------------------------------------------------------------------------- colours


def _luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rgb / #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rules(template: str) -> list[tuple[str, dict[str, str]]]:
    css = (TEMPLATES / template).read_text("utf-8").split("<style>")[1].split("</style>")[0]
    css = re.sub(r"@media[^{]*\{", "", css)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (k.strip(), v.strip())
            for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
        )
        rules.append((selector.strip(), declarations))
    return rules


def _colour(value: str) -> str | None:
    found = re.search(r"#[0-9a-fA-F]{3,6}\b", value)
    return found.group(0) if found else None


@pytest.mark.parametrize("template", ["base.html", "versions.html"])
def test_every_text_colour_of_the_stylesheet_meets_aa_contrast(template):
    """Text 4.5:1 (WCAG 1.4.3 AA) on every background it can sit on; focus outlines 3:1
    (1.4.11). A rule with its own background is checked against it; the header's rules
    against the header; every other text colour against every light background."""
    rules = _rules(template)
    backgrounds = {
        _colour(d.get("background", d.get("background-color", ""))) for _, d in rules
    } - {None}
    light: set[str] = {b for b in backgrounds if b and _luminance(b) > 0.5} | {"#ffffff"}
    header = next(
        (_colour(d["background"]) for s, d in rules if s == "header" and "background" in d), None
    )
    checked = 0
    for selector, declarations in rules:
        own = _colour(declarations.get("background", ""))
        if own is not None:
            on: set[str] = {own}
        elif selector.startswith("header") and header:
            on = {header}
        else:
            on = light
        for prop, minimum in (("color", 4.5), ("outline", 3.0), ("outline-color", 3.0)):
            colour = _colour(declarations.get(prop, ""))
            if colour is None:
                continue
            for background in on:
                ratio = contrast(colour, background)
                assert ratio >= minimum, (selector, prop, colour, background, round(ratio, 2))
                checked += 1
    assert checked >= (10 if template == "base.html" else 2)


def test_focus_is_visible_on_every_focusable_element():
    rules = dict(_rules("base.html"))
    assert "3px solid" in rules[":focus-visible"]["outline"]


def test_chart_colours_are_visible_on_white_and_their_text_is_readable():
    for colour in charts.PALETTE:  # bars: graphical objects, 3:1 (WCAG 1.4.11)
        assert contrast(colour, "#ffffff") >= 3.0, colour
    assert contrast(charts.INK, str(charts.CONFIG["background"])) >= 4.5


def test_contrast_ratio_matches_the_wcag_examples():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic near miss


# ------------------------------------------------------------- the published version


def test_a_published_version_lists_its_chart_bundle_and_charts_every_indicators_set(published):
    import csv
    import hashlib

    version = published.public_dir / "current"
    manifest = json.loads((version / "manifest.json").read_text("utf-8"))
    entries = {e["path"]: e for e in manifest["files"]}
    bundle = version / "assets" / "vega-bundle.js"
    assert (
        entries["assets/vega-bundle.js"]["sha256"]
        == hashlib.sha256(bundle.read_bytes()).hexdigest()
    )
    indicators = [p for p in (version / "datasets").glob("*_indicators.html")]
    assert len(indicators) >= 8
    for path in [version / "index.html", *sorted((version / "datasets").glob("*.html"))]:
        page = Page(path.read_text("utf-8"))
        assert _unmarked_english(page) == [], path.name
        drawn = [a for t, a in page.elements if t == "div" and "data-spec" in a]
        assert bool(drawn) == (path in indicators), path.name
    # the dossiers chart counts what the dossiers download holds, month by month
    with (version / "downloads" / "admin_procedure_dossiers.csv").open(encoding="utf-8-sig") as f:
        counted: dict[tuple[str, str], int] = {}
        for row in csv.DictReader(f):
            key = (f"{row['received_date'][5:7]}/{row['received_date'][:4]}", row["channel"])
            counted[key] = counted.get(key, 0) + 1
    html = (version / "datasets" / "dossier_indicators.html").read_text("utf-8")
    specs = re.findall(r'<script type="application/json" id="chart-\d+-spec">(.*?)</script>', html)
    by_month = next(json.loads(s) for s in specs if '"month"' in s)
    names = {"trực tiếp": "direct", "trực tuyến": "online", "bưu chính công ích": "postal"}
    shown = {
        (v["month"], names[v["series"]]): v["figure"]
        for v in by_month["data"]["values"]
        if v["figure"]
    }
    assert shown == counted


def test_the_api_links_of_every_page_answer_on_the_same_origin(published):
    """What `make serve` serves (ddss.api: the portal at / and the API at /api/v1/): every
    link a dataset page makes to the API, and the page's chart bundle, answer."""
    from urllib.parse import urljoin

    from fastapi.testclient import TestClient

    from ddss.api.app import create_app

    client = TestClient(create_app(published.public_dir))
    pages = sorted((published.public_dir / "current" / "datasets").glob("*.html"))
    for path in pages:
        page = Page(path.read_text("utf-8"))
        links = [a["href"] for a in page.find("a") if a.get("href", "").startswith("/api/v1/")]
        assert len(links) == 3, path.name
        scripts = [a["src"] for a in page.find("script") if "src" in a]
        urls = links + [urljoin(f"/datasets/{path.name}", s) for s in scripts]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (path.name, url, response.status_code)
        csv_link = next(link for link in links if link.endswith("_format=csv"))
        assert client.get(csv_link).headers["content-type"].startswith("text/csv")


def test_the_bundle_is_read_from_the_cache_of_its_release_not_built_again(tmp_path, monkeypatch):
    monkeypatch.setenv("DDSS_HOME", str(tmp_path))
    cached = charts.bundle_cache_path()
    assert cached.is_relative_to(tmp_path / ".cache")
    cached.parent.mkdir(parents=True)
    cached.write_text("/* kept */", "utf-8")
    charts.bundle.cache_clear()
    try:
        assert charts.bundle() == "/* kept */"
    finally:
        charts.bundle.cache_clear()


def test_a_chart_is_drawn_once_then_read_from_the_workspace_cache(tmp_path, monkeypatch):
    """The drawing of a spec is kept under the sha256 of what makes it (spec, data, locale,
    Vega-Lite, vl-convert): the same spec is read back, not drawn again; other data is
    another entry; a damaged entry is drawn again, byte for byte the same."""
    monkeypatch.setenv("DDSS_HOME", str(tmp_path))
    (chart,) = charts.rates(INDICATORS, set())
    first = charts.svg(chart.spec)
    (entry,) = (tmp_path / ".cache" / "chart-svg").glob("*.svg")
    drawn_at = {"width": charts.SERVER_WIDTH - 180, "autosize": {"type": "pad"}}
    assert entry == charts.svg_cache_path({**chart.spec, **drawn_at})
    assert first.startswith('<svg aria-hidden="true"') and entry.read_text("utf-8") in (
        first.replace('aria-hidden="true" focusable="false" ', "", 1)
    )

    entry.write_text('<svg id="kept"></svg>', "utf-8")
    assert charts.svg(chart.spec) == '<svg aria-hidden="true" focusable="false" id="kept"></svg>'

    other = json.loads(json.dumps(chart.spec))
    other["data"]["values"] = other["data"]["values"][:-1]
    assert charts.svg_cache_path({**other, **drawn_at}) != entry  # the data is part of the key

    entry.write_text('<svg id="cut', "utf-8")  # a partial entry is not a drawing
    assert charts.svg(chart.spec) == first
    assert not list(entry.parent.glob("*.partial"))


def test_templates_are_compiled_once_into_the_workspace_cache_and_render_the_same(
    tmp_path, monkeypatch
):
    from ddss.publish import portal

    monkeypatch.setenv("DDSS_HOME", str(tmp_path / "home"))
    versions = [{"version": "20261124T185102Z", "files": 9}]
    pages = []
    for _ in range(2):  # compiled, then read back compiled
        public = tmp_path / f"public{len(pages)}"
        (public / "versions").mkdir(parents=True)
        portal.render_versions(public, versions)
        pages.append((public / "versions" / "index.html").read_bytes())
    assert pages[0] == pages[1]
    assert list((tmp_path / "home" / ".cache" / "jinja").glob("__jinja2_*.cache"))
