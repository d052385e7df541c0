"""The static portal: an index with search and filters, and one page per dataset."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ddss.metadata import Context

PERIODS = {"P1D": "Hằng ngày / daily", "P1W": "Hằng tuần / weekly", "P1M": "Hằng tháng / monthly",
           "P3M": "Hằng quý / quarterly", "P1Y": "Hằng năm / yearly"}
CRITERIA = {"dung": "Đúng / correct", "du": "Đủ / complete", "sach": "Sạch / clean", "song": "Sống / live"}


def _env() -> Environment:
    return Environment(loader=PackageLoader("ddss", "templates"), autoescape=select_autoescape())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(ctx: Context, target: Path, previous_versions: list[dict]) -> None:
    env = _env()
    departments = {c.department.id: c.department for c in ctx.contracts.values()}
    topics = sorted({c.topic for c in ctx.contracts.values() if c.topic})
    (target / "index.html").write_text(
        env.get_template("index.html").render(
            ctx=ctx, root="", departments=departments.values(), topics=topics,
            versions_link=True),
        "utf-8",
    )
    pages = target / "datasets"
    pages.mkdir(exist_ok=True)
    for dataset_id, info in ctx.datasets.items():
        contract = ctx.contracts[dataset_id]
        (pages / f"{dataset_id}.html").write_text(
            env.get_template("dataset.html").render(
                ctx=ctx, c=contract, info=info, root="../", versions_link=True,
                period=PERIODS.get(contract.update_period, contract.update_period),
                hashes={fmt: _sha(p) for fmt, p in info["files"].items()}, criteria=CRITERIA),
            "utf-8",
        )


def render_versions(public: Path, versions: list[dict]) -> None:
    """Rewrite versions/index.html atomically (write beside, then rename)."""
    current = Path(os.readlink(public / "current")).name if (public / "current").is_symlink() else None
    html = _env().get_template("versions.html").render(versions=versions, current=current)
    target = public / "versions" / "index.html"
    partial = target.with_suffix(".html.partial")
    partial.write_text(html, "utf-8")
    os.replace(partial, target)
