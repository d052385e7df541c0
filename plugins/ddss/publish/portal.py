"""The static portal: an index with search and filters, and one page per dataset."""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from markupsafe import Markup

from ddss.publish import charts, labels
from ddss.publish.metadata import Context
from ddss.quality.criteria import LABELS

PERIODS = {
    "P1D": "Hằng ngày / daily",
    "P1W": "Hằng tuần / weekly",
    "P1M": "Hằng tháng / monthly",
    "P3M": "Hằng quý / quarterly",
    "P1Y": "Hằng năm / yearly",
}

# The query API (``make serve`` serves it beside the portal, on the same origin).
API = "/api/v1/"


def _template_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates kept in the workspace's cache (``<home>/.cache/jinja/``): compiling
    the portal's templates is a fixed 0.3 s of every publication. Jinja keys each entry by the
    template's source checksum, so an edited template is compiled again; a home that cannot
    be written publishes at the compilation's cost."""
    from ddss.settings import load_settings

    directory = load_settings().home / ".cache" / "jinja"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(directory)) if os.access(directory, os.W_OK) else None


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("ddss.publish", "templates"),
        autoescape=select_autoescape(),
        bytecode_cache=_template_cache(),
    )
    labels.register(env)  # local time, readable version dates, topic and dataset names
    return env


def changelog(ctx: Context, dataset_id: str, previous_versions: list[dict]) -> list[dict]:
    """Newest first: each version's row count for the dataset and the change from the one before."""
    path = f"downloads/{dataset_id}.csv"
    points = [(ctx.version, ctx.datasets[dataset_id]["rows"])]
    points += [
        (v["version"], v["rows"].get(path)) for v in previous_versions if path in v.get("rows", {})
    ]
    entries = []
    for i, (version, rows) in enumerate(points):
        before = points[i + 1][1] if i + 1 < len(points) else None
        entries.append(
            {
                "version": version,
                "rows": rows,
                "delta": None if before is None else rows - before,
                "current": version == ctx.version,
            }
        )
    return entries


def history_chart(history: list[dict], width: int = 640, height: int = 160) -> str:
    """An inline SVG line per criterion: the score of each validation (no script needed)."""
    series = {"overall": "#1d2733", "dung": "#a4161a", "du": "#1f6feb", "sach": "#2da44e"}
    values = [h["scores"].get(k) for h in history for k in series if h["scores"].get(k) is not None]
    if not values:
        return ""
    low = min(min(values), 99.0)
    low = max(0.0, low - (100 - low) * 0.1)
    pad = 30

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * (i / max(1, len(history) - 1))
        y = pad / 2 + (height - pad) * (100 - v) / (100 - low if 100 > low else 1)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Lịch sử điểm chất lượng / quality score history">',
        f'<text x="2" y="{pad / 2 + 4}" font-size="10">100</text>',
        f'<text x="2" y="{height - pad / 2}" font-size="10">{low:.1f}</text>',
    ]
    for key, colour in series.items():
        points = [
            xy(i, h["scores"][key])
            for i, h in enumerate(history)
            if h["scores"].get(key) is not None
        ]
        if points:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
            )
            for p in points:
                x, y = p.split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def render(ctx: Context, target: Path, previous_versions: list[dict]) -> None:
    env = _env()
    departments = {c.department.id: c.department for c in ctx.contracts.values()}
    topics = sorted({c.topic for c in ctx.contracts.values() if c.topic})
    drawn = {dataset_id: charts.for_dataset(ctx, dataset_id) for dataset_id in ctx.datasets}
    if any(drawn.values()):
        charts.write_bundle(target)  # once per version: every page's charts use it
    (target / "index.html").write_text(
        env.get_template("index.html").render(
            ctx=ctx,
            root="",
            departments=departments.values(),
            topics=topics,
            versions_link=True,
            charted={dataset_id for dataset_id, shown in drawn.items() if shown},
        ),
        "utf-8",
    )
    pages = target / "datasets"
    pages.mkdir(exist_ok=True)
    for dataset_id, info in ctx.datasets.items():
        contract = ctx.contracts[dataset_id]
        (pages / f"{dataset_id}.html").write_text(
            env.get_template("dataset.html").render(
                ctx=ctx,
                c=contract,
                info=info,
                root="../",
                versions_link=True,
                period=PERIODS.get(contract.update_period, contract.update_period),
                hashes={fmt: ctx.digests(p) for fmt, p in info["files"].items()},
                criteria=LABELS,
                changelog=changelog(ctx, dataset_id, previous_versions),
                chart=Markup(history_chart(ctx.quality.get(dataset_id, {}).get("history", []))),
                figures=drawn[dataset_id],
                # through the version's own `versions` link (as the changelog's links): the
                # same path works from /datasets/ (through `current`) and /versions/<v>/datasets/
                bundle=f"versions/{ctx.version}/{charts.BUNDLE.as_posix()}",
                api=API,
            ),
            "utf-8",
        )


def render_versions(public: Path, versions: list[dict]) -> None:
    """Rewrite versions/index.html atomically (write beside, then rename)."""
    current = (
        Path(os.readlink(public / "current")).name if (public / "current").is_symlink() else None
    )
    html = _env().get_template("versions.html").render(versions=versions, current=current)
    target = public / "versions" / "index.html"
    partial = target.with_suffix(".html.partial")
    partial.write_text(html, "utf-8")
    os.replace(partial, target)
