"""Charts of an indicators dataset's figures, for its portal page.

Each chart is a Vega-Lite spec that the page draws with vega-embed from a bundle vendored
into the version (``assets/vega-bundle.js``: the portal works offline and from a file), an
SVG of the same spec drawn here as the picture shown until (or without) JavaScript, the
figures as a table for screen readers and anyone who wants the numbers, and a sentence
saying what the chart shows.

The charts are derived from the data and the contract, so a new indicators dataset gets
them without a line here:

- **breakdown**: indicators ``<stem>_<part>`` whose values add up exactly to ``<stem>_total``
  (dossiers by channel, by timeliness, services by level, teams by district);
- **rates**: figures in per cent (unit ``%``) and shares (``share_percent``) that are not
  part of a breakdown, on a 0–100 axis (e-filing rates, services with dossiers);
- **by month**: each published source dataset (``derived_from``) with a date or a ``YYYY-MM``
  period, counted by month and by its coded column (dossiers by month and channel), or its
  first count summed by month.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ddss.publish import labels
from ddss.settings import duckdb_memory_limit

log = logging.getLogger(__name__)

VEGA_LITE = "6.4"  # the Vega-Lite of vl-convert 1.9's bundle; the SVGs use the same one
BUNDLE = Path("assets") / "vega-bundle.js"
INK = "#1d2733"
# Bar colours: each at least 3:1 against white (WCAG 1.4.11, graphical objects), and told
# apart by more than hue in the table beside the chart.
PALETTE = ("#1f6feb", "#a4161a", "#1a7f37", "#8250df", "#9a6700", "#0b7285")
# d3-format has no vi-VN locale: 1.234,5 and the đồng after the number.
VI_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0₫"]}
CONFIG = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "background": "#ffffff",
    "view": {"stroke": None},
    "axis": {
        "labelColor": INK,
        "titleColor": INK,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "domainColor": "#5b6675",
        "tickColor": "#5b6675",
        "gridColor": "#dde1e6",
    },
    "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12, "orient": "bottom"},
    "bar": {"color": PALETTE[0]},
    "text": {"color": INK, "fontSize": 12},
}
# Axis labels a phone has room for: 8 tỷ, 2,5 triệu, 12.000 (the table keeps every digit).
SHORT_NUMBERS = (
    "abs(datum.value) >= 1e9 ? format(datum.value / 1e9, ',.3~f') + ' tỷ'"
    " : abs(datum.value) >= 1e6 ? format(datum.value / 1e6, ',.3~f') + ' triệu'"
    " : format(datum.value, ',d')"
)
SERVER_WIDTH = 640  # the SVG's drawing width; CSS scales it down on a phone
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass
class Chart:
    """One chart of a dataset page: spec, SVG, text alternative and the numbers."""

    key: str
    title_vi: str
    title_en: str
    summary_vi: str
    summary_en: str
    spec: dict
    headers: list[tuple[str, str]]  # (Vietnamese, English) per column
    rows: list[list[str]]  # formatted cells; the first column is text, the others numbers
    svg: str = ""
    codes: set[str] = field(default_factory=set)  # the indicators it shows
    source: str | None = None  # the dataset it counts, when not the page's own

    @property
    def spec_json(self) -> str:
        """The spec for a ``<script type="application/json">``: nothing in it ends the tag."""
        return json.dumps(self.spec, ensure_ascii=False).replace("</", "<\\/")


def number(value: float | int | None, decimals: int = 0) -> str:
    """Vietnamese digits: ``27.067``, ``63,63``."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def number_en(value: float | int, decimals: int = 0) -> str:
    """English digits for English sentences: ``27,067``, ``63.63``."""
    return f"{value:,.{decimals}f}"


def _figure(value: float | int, english: bool = False) -> str:
    decimals = 0 if float(value).is_integer() else 2
    return number_en(value, decimals) if english else number(value, decimals)


def _percent(value: float, english: bool = False) -> str:
    return f"{number_en(value, 2) if english else number(value, 2)} %"


def _base(description: str, values: list[dict]) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
        "data": {"values": values},
    }


def _bars(description: str, values: list[dict], x: dict, tooltip: list[dict]) -> dict:
    """Horizontal bars, largest first, each under its name and figure: no axis labels to
    squeeze, so the bars keep the whole width on a phone."""
    y = {"field": "label", "type": "nominal", "sort": None, "axis": None}
    return {
        **_base(description, values),
        "height": {"step": 46},
        "encoding": {"y": y, "tooltip": tooltip},
        "layer": [
            {"mark": {"type": "bar", "height": 16, "yOffset": 9}, "encoding": {"x": x}},
            {
                "mark": {"type": "text", "align": "left", "baseline": "bottom", "yOffset": -1},
                "encoding": {
                    "x": {"value": 0},
                    "text": {"field": "caption", "type": "nominal"},
                },
            },
        ],
    }


def indicator_rows(info: dict) -> list[dict]:
    """The dataset's rows from its published Parquet, or nothing if it cannot be read."""
    parquet = info.get("files", {}).get("parquet")
    if parquet is None:
        return []
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(parquet).to_pylist()
    except (pa.ArrowInvalid, OSError) as error:
        # A chart is a view of the data, not the data: its page is published without it.
        log.warning(
            "Không vẽ được biểu đồ từ %s / no chart drawn from %s: %s", parquet, parquet, error
        )
        return []
    # Decimal figures (the contracts' "number") as floats, which JSON and the charts take
    return [{k: float(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]


def breakdowns(rows: list[dict]) -> list[Chart]:
    """One chart per ``<stem>_total`` whose parts ``<stem>_<part>`` add up to it exactly."""
    by_code = {str(r["indicator"]): r for r in rows if r.get("value") is not None}
    charts = []
    for code, total in sorted(by_code.items()):
        if not code.endswith("_total"):
            continue
        stem = code[: -len("total")]
        parts = [r for c, r in by_code.items() if c.startswith(stem) and not c.endswith("_total")]
        # a part of a part (level-2 services with dossiers, under level-2 services) is not
        # a part of the total
        codes = [str(p["indicator"]) for p in parts]
        parts = [
            p for p in parts if not any(str(p["indicator"]).startswith(c + "_") for c in codes)
        ]
        whole = float(total["value"])
        if (
            len(parts) < 2
            or whole <= 0
            or abs(sum(float(p["value"]) for p in parts) - whole) > 1e-6
        ):
            continue
        parts.sort(key=lambda p: -float(p["value"]))
        values = []
        for p in parts:
            share = p.get("share_percent")
            share = round(float(p["value"]) / whole * 100, 2) if share is None else float(share)
            values.append(
                {
                    "label": p["label_vi"],
                    "label_en": p.get("label_en") or "",
                    "value": p["value"],
                    "share": share,
                    "text": f"{_figure(p['value'])} ({_percent(share)})",
                    "caption": f"{p['label_vi']}: {_figure(p['value'])} ({_percent(share)})",
                }
            )
        listed_vi = "; ".join(f"{v['label']} {v['text']}" for v in values)
        listed_en = "; ".join(
            f"{v['label_en']} {_figure(v['value'], True)} ({_percent(v['share'], True)})"
            for v in values
        )
        summary_vi = (
            f"Biểu đồ cột ngang: {total['label_vi']} ({_figure(whole)}) chia theo "
            f"{len(values)} thành phần, lớn nhất trước: {listed_vi}."
        )
        summary_en = (
            f"Horizontal bar chart: {total.get('label_en') or code} ({_figure(whole, True)}) in "
            f"{len(values)} parts, largest first: {listed_en}."
        )
        spec = _bars(
            summary_en,
            values,
            {
                "field": "value",
                "type": "quantitative",
                "title": f"{total['label_vi']} / {total.get('label_en') or ''}".strip(" /"),
                "axis": {"tickCount": 4, "labelExpr": SHORT_NUMBERS},
            },
            [
                {"field": "label", "title": "Chỉ tiêu"},
                {"field": "value", "title": "Giá trị", "format": ","},
                {"field": "share", "title": "Tỷ lệ (%)", "format": ",.2f"},
            ],
        )
        charts.append(
            Chart(
                key=f"breakdown-{stem.rstrip('_')}",
                title_vi=f"{total['label_vi']}: cơ cấu",
                title_en=f"{total.get('label_en') or code}: breakdown",
                summary_vi=summary_vi,
                summary_en=summary_en,
                spec=spec,
                headers=[
                    ("Chỉ tiêu", "Indicator"),
                    ("Giá trị", "Value"),
                    ("Tỷ lệ (%)", "Share (%)"),
                ],
                rows=[[str(v["label"]), _figure(v["value"]), number(v["share"], 2)] for v in values]
                + [[f"{total['label_vi']} (tổng)", _figure(whole), number(100.0, 2)]],
                codes={code} | {str(p["indicator"]) for p in parts},
            )
        )
    return charts


def rates(rows: list[dict], in_breakdowns: set[str]) -> list[Chart]:
    """Figures in per cent and shares not already in a breakdown, on one 0–100 axis."""
    values = []
    for r in rows:
        code = str(r["indicator"])
        if r.get("unit") == "%" and r.get("value") is not None:
            percent = float(r["value"])
        elif r.get("share_percent") is not None and code not in in_breakdowns:
            percent = float(r["share_percent"])
        else:
            continue
        values.append(
            {
                "label": r["label_vi"],
                "label_en": r.get("label_en") or "",
                "percent": percent,
                "text": _percent(percent),
                "caption": f"{r['label_vi']}: {_percent(percent)}",
            }
        )
    if not values:
        return []
    values.sort(key=lambda v: -v["percent"])
    listed_vi = "; ".join(f"{v['label']} {v['text']}" for v in values)
    listed_en = "; ".join(f"{v['label_en']} {_percent(v['percent'], True)}" for v in values)
    summary_vi = f"Biểu đồ cột ngang, thang 0–100 %, cao nhất trước: {listed_vi}."
    summary_en = f"Horizontal bar chart on a 0–100 % scale, highest first: {listed_en}."
    spec = _bars(
        summary_en,
        values,
        {
            "field": "percent",
            "type": "quantitative",
            "title": "Tỷ lệ (%) / Rate (%)",
            "scale": {"domain": [0, 100]},
            "axis": {"values": [0, 25, 50, 75, 100]},
        },
        [
            {"field": "label", "title": "Chỉ tiêu"},
            {"field": "percent", "title": "Tỷ lệ (%)", "format": ",.2f"},
        ],
    )
    return [
        Chart(
            key="rates",
            title_vi="Các tỷ lệ",
            title_en="Rates",
            summary_vi=summary_vi,
            summary_en=summary_en,
            spec=spec,
            headers=[("Chỉ tiêu", "Indicator"), ("Tỷ lệ (%)", "Rate (%)")],
            rows=[[str(v["label"]), number(v["percent"], 2)] for v in values],
        )
    ]


def _month_column(contract: Any) -> tuple[str, str] | None:
    """The column that dates a row: its first date, else a ``period`` column (``YYYY-MM``)."""
    for column in contract.publish_columns:
        if column.type == "date":
            return column.name, "date"
    for column in contract.publish_columns:
        if column.name == "period":
            return column.name, "period"
    return None


def _which_month(contract: Any, name: str) -> tuple[str, str]:
    """What "by month" counts from, in words: "theo tháng tiếp nhận hồ sơ" / "by the month
    the dossier was received" for "Ngày tiếp nhận hồ sơ" / "Date the dossier was received"
    (a team counted by the month it was founded is not a team that month)."""
    column = next(c for c in contract.publish_columns if c.name == name)
    vi, en = column.description_vi or "", column.description_en or ""
    words_vi = vi.split("(")[0].split()
    if column.type != "date" or len(words_vi) < 2 or words_vi[0].lower() != "ngày":
        return "theo tháng", "by month"
    rest_en = en.split("(")[0].strip()
    rest_en = rest_en[5:] if rest_en.lower().startswith("date ") else ""
    return (
        "theo tháng " + " ".join(words_vi[1:]),
        f"by the month {rest_en}" if rest_en else "by month",
    )


def by_month(source: Any, parquet: Path, con: Any = None) -> Chart | None:
    """A source dataset by month: rows per month and coded value, or its first count summed
    (``con``: an in-memory DuckDB connection to reuse; one is opened when not given)."""
    import duckdb

    dated = _month_column(source)
    coded = next((c for c in source.publish_columns if c.enum), None)
    counted = next(
        (c for c in source.publish_columns if c.type == "integer"),
        None,
    )
    if dated is None or (coded is None and counted is None):
        return None
    names = [dated[0]] + [c.name for c in (coded, counted) if c is not None]
    if not all(_IDENTIFIER.fullmatch(n) for n in names):
        raise ValueError(f"{source.id}: unexpected column name in {names}")
    month = f"strftime(\"{dated[0]}\", '%Y-%m')" if dated[1] == "date" else f'"{dated[0]}"'
    series = f'"{coded.name}"' if coded else "''"
    measure = "count(*)" if coded else f'sum("{counted.name}")'  # type: ignore[union-attr]
    query = (
        f"select {month} as month, {series} as series, {measure} as figure "
        f"from read_parquet(?) where {month} is not null "
        "group by all order by month, series"
    )
    if con is None:
        with duckdb.connect(config={"memory_limit": duckdb_memory_limit()}) as own:
            found = own.execute(query, [str(parquet)]).fetchall()
    else:
        found = con.execute(query, [str(parquet)]).fetchall()
    found = [(m, s, f) for m, s, f in found if _MONTH.fullmatch(str(m)) and f is not None]
    if not found:
        return None
    months = sorted({m for m, _, _ in found})
    names_vi = labels.value_labels(coded) if coded else {}
    order = list(coded.enum or ()) if coded else []
    keys = sorted(
        {s for _, s, _ in found}, key=lambda s: order.index(s) if s in order else len(order)
    )
    table = {(m, s): int(f) for m, s, f in found}

    def shown(month: str) -> str:  # 2022-01 -> 01/2022
        return f"{month[5:]}/{month[:4]}"

    what_vi = "số bản ghi" if coded else labels.column_label(counted).lower()
    what_en = "records" if coded else (counted.description_en.lower() if counted else "")
    series_names = [names_vi.get(s, s) if coded else what_vi for s in keys]
    values = [
        {
            "month": shown(m),
            "series": series_names[i],
            "series_order": i,
            "figure": table.get((m, s), 0),
        }
        for m in months
        for i, s in enumerate(keys)
    ]
    totals = {m: sum(table.get((m, s), 0) for s in keys) for m in months}
    high = max(months, key=lambda m: totals[m])
    low = min(months, key=lambda m: totals[m])
    month_vi, month_en = _which_month(source, dated[0])
    by_vi = f" và {labels.column_label(coded).lower()}" if coded else ""
    by_en = f" and by {coded.description_en.split(':')[0].lower()}" if coded else ""
    kind_vi = "Biểu đồ cột chồng" if coded else "Biểu đồ cột"
    kind_en = "Stacked bar chart" if coded else "Bar chart"
    summary_vi = (
        f"{kind_vi}: {what_vi} của «{source.title_vi}» {month_vi}{by_vi}, "
        f"từ {shown(months[0])} đến {shown(months[-1])}; cao nhất {shown(high)} "
        f"({number(totals[high])}), thấp nhất {shown(low)} ({number(totals[low])})."
    )
    summary_en = (
        f"{kind_en}: {what_en} of “{source.title_en}” {month_en}{by_en}, from "
        f"{shown(months[0])} to {shown(months[-1])}; highest {shown(high)} "
        f"({number_en(totals[high])}), lowest {shown(low)} ({number_en(totals[low])})."
    )
    colour: dict[str, Any] = {
        "field": "series",
        "type": "nominal",
        "title": labels.column_label(coded) if coded else None,
        "sort": series_names,
        "scale": {"range": list(PALETTE)},
        "legend": {"columns": 1, "labelLimit": 280},  # one per line: long names fit a phone
    }
    if not coded:
        colour["legend"] = None
    spec = {
        **_base(summary_en, values),
        "height": 220,
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "month",
                "type": "ordinal",
                "title": "Tháng / Month",
                # "01/2022" on two lines, "01" over "2022": twelve months fit a phone
                "axis": {"labelAngle": 0, "labelExpr": "split(datum.label, '/')"},
            },
            "y": {
                "field": "figure",
                "type": "quantitative",
                "title": None,  # the heading above says what is counted
                "stack": "zero",
                "axis": {"labelExpr": SHORT_NUMBERS, "tickCount": 5},
            },
            "color": colour,
            "order": {"field": "series_order", "type": "quantitative"},
            "tooltip": [
                {"field": "month", "title": "Tháng"},
                {"field": "series", "title": labels.column_label(coded) if coded else what_vi},
                {"field": "figure", "title": what_vi, "format": ","},
            ],
        },
    }
    headers = [("Tháng", "Month")]
    if coded:
        headers += [(names_vi.get(s, s), s) for s in keys] + [("Tổng", "Total")]
    else:
        headers += [(labels.column_label(counted), what_en)]
    rows = [
        [shown(m)]
        + [number(table.get((m, s), 0)) for s in keys]
        + ([number(totals[m])] if coded else [])
        for m in months
    ]
    return Chart(
        key=f"by-month-{source.id}",
        title_vi=f"{what_vi.capitalize()} {month_vi}{by_vi}",
        title_en=f"{what_en.capitalize()} {by_en.removeprefix(' and ') + ' and ' if coded else ''}"
        f"{month_en}",
        source=source.id,
        summary_vi=summary_vi,
        summary_en=summary_en,
        spec=spec,
        headers=headers,
        rows=rows,
    )


_READERS = threading.local()


def _reader() -> Any:
    """One in-memory DuckDB connection per thread for reading the published Parquet files
    (opening one per chart cost more than its query; a connection is not shared between
    threads)."""
    con = getattr(_READERS, "con", None)
    if con is None:
        import duckdb

        con = _READERS.con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    return con


def for_dataset(ctx: Any, dataset_id: str) -> list[Chart]:
    """The charts of an indicators dataset's page (none for other datasets)."""
    contract = ctx.contracts[dataset_id]
    if "indicator" not in {c.name for c in contract.publish_columns}:
        return []
    rows = indicator_rows(ctx.datasets[dataset_id])
    charts = breakdowns(rows)
    charts += rates(rows, {code for chart in charts for code in chart.codes})
    for source_id in contract.derived_from or ():
        source = ctx.contracts.get(source_id)
        parquet = ctx.datasets.get(source_id, {}).get("files", {}).get("parquet")
        if source is None or parquet is None:
            continue
        try:
            chart = by_month(source, Path(parquet), _reader())
        except Exception as error:  # duckdb.Error, a fake file: the page goes without it
            log.warning(
                "Không vẽ được biểu đồ theo tháng / no monthly chart: %s: %s", parquet, error
            )
            continue
        if chart is not None:
            charts.append(chart)
    for chart in charts:
        chart.svg = svg(chart.spec)
    return charts


def svg(spec: dict) -> str:
    """The chart drawn here, at a fixed width, for the page to show before (or without)
    its script; the page scales it down to the screen.

    Drawing costs about 0.14 s a chart (most of a small publication), and most charts are
    the same from one publication to the next, so each drawing is kept in the workspace's
    cache (``<home>/.cache/chart-svg/``, never in ``public/``) under the sha256 of what
    makes it: the spec with its data, the locale, the Vega-Lite version and the vl-convert
    release. The cache only holds what vl-convert would draw again: a missing, unreadable or
    truncated entry is drawn again."""
    fixed = {**spec, "width": SERVER_WIDTH - 180, "autosize": {"type": "pad"}}
    cached = svg_cache_path(fixed)
    drawing = _read_drawing(cached)
    if drawing is None:
        import vl_convert

        drawing = vl_convert.vegalite_to_svg(fixed, vl_version=VEGA_LITE, format_locale=VI_NUMBERS)
        _keep(cached, drawing)
    # The page's figure has its own label; the drawing is decoration beside it.
    return drawing.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


SVG_CACHE_ENTRIES = 2000  # beyond it the least recently used drawings are removed


def svg_cache_path(fixed: dict) -> Path:
    """Where the drawing of this spec (width and data included) is kept."""
    from importlib.metadata import version

    from ddss.settings import load_settings

    made_of = json.dumps(
        [version("vl-convert-python"), VEGA_LITE, VI_NUMBERS, fixed],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    key = hashlib.sha256(made_of.encode("utf-8")).hexdigest()
    return load_settings().home / ".cache" / "chart-svg" / f"{key}.svg"


def _read_drawing(path: Path) -> str | None:
    try:
        drawing = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not (drawing.startswith("<svg") and drawing.rstrip().endswith("</svg>")):
        return None
    try:
        os.utime(path)  # recently used: kept when the cache is trimmed
    except OSError:
        pass
    return drawing


def _keep(path: Path, drawing: str) -> None:
    """Write the drawing atomically (a concurrent reader sees all of it or nothing), then
    trim the cache to its size. A read-only home publishes at the drawing's cost."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_text(drawing, "utf-8")
        os.replace(partial, path)
        entries = list(path.parent.glob("*.svg"))
        if len(entries) > SVG_CACHE_ENTRIES:
            entries.sort(key=lambda p: p.stat().st_mtime_ns)
            for old in entries[: len(entries) - SVG_CACHE_ENTRIES]:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.info("could not keep the chart drawing in %s: %s", path.parent, exc)


EMBED_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


def bundle_cache_path() -> Path:
    """Where the bundle of this vl-convert release, Vega-Lite version and snippet is kept."""
    from importlib.metadata import version

    from ddss.settings import load_settings

    key = hashlib.sha256(
        f"{version('vl-convert-python')}|{VEGA_LITE}|{EMBED_SNIPPET}".encode()
    ).hexdigest()[:16]
    return load_settings().home / ".cache" / f"vega-bundle-{key}.js"


@lru_cache(maxsize=1)
def bundle() -> str:
    """vega, vega-lite and vega-embed in one script (vl-convert builds it: about 0.9 MB, 5 s).

    Built once per vl-convert release and kept under ``<home>/.cache/`` (a publication
    costs a file read, not a JavaScript build); the cache is only a copy of what vl-convert
    makes, so a missing or unreadable one is built again."""
    cached = bundle_cache_path()
    try:
        return cached.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    import vl_convert

    text: str = vl_convert.javascript_bundle(EMBED_SNIPPET, vl_version=VEGA_LITE)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        partial.write_text(text, "utf-8")
        os.replace(partial, cached)
    except OSError as exc:  # a read-only home still publishes, at the build's cost
        log.info("could not keep the chart bundle in %s: %s", cached.parent, exc)
    return text


def write_bundle(target: Path) -> Path:
    """Vendor the chart library into the version, so its pages need no network."""
    path = target / BUNDLE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(bundle(), "utf-8")
    return path
