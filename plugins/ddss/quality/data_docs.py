"""Great Expectations Data Docs for each department's validation, linked both ways with the
steward report.

The gate's result is a real GX ``ExpectationSuiteValidationResult``; it is stored in a file
Data Context beside the steward report (``<reports>/<run>/<department>/gx/``) and GX renders
its Data Docs site there. Every Data Docs page then gets a link back to the steward report
(GX has no field for one), and the steward report links to the Data Docs page.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)
BANNER = (
    '<div style="background:#fff3cd;padding:.6rem 1rem;font-family:system-ui,sans-serif">'
    '<a href="{href}">← Báo cáo chất lượng cho cán bộ phụ trách dữ liệu (các dòng cần sửa)</a> '
    '<span style="color:#5b6675">/ steward report: every row to fix</span></div>'
)


def build(run_id: str, outcomes: list, folder: Path) -> Path | None:
    """Render the Data Docs of these validation results; return the site's index page."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from ddss.quality.report import report_folder_name

    results = [o for o in outcomes if o.result]
    if not results:
        return None
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry leaves the machine
    context = gx.get_context(mode="file", project_root_dir=str(folder))
    for outcome in results:
        data = outcome.result
        result = ExpectationSuiteValidationResult(
            success=data["success"],
            results=data["results"],
            suite_name=data["suite_name"],
            statistics=data["statistics"],
            meta={"run_id": run_id, "dataset": outcome.dataset},
        )
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(data["suite_name"]),
            # GX makes a folder of the run name: the Windows-safe one, as the report's.
            RunIdentifier(run_name=report_folder_name(run_id)),
            outcome.dataset,
        )
        context.validation_results_store.set(key, result)
    sites = context.build_data_docs()
    index = Path(unquote(urlparse(sites["local_site"]).path))
    report = folder / "index.html"
    for page in index.parent.rglob("*.html"):
        href = os.path.relpath(report, page.parent)
        text = page.read_text("utf-8")
        if BANNER.format(href=href) not in text:
            page.write_text(text.replace("<body>", "<body>" + BANNER.format(href=href), 1), "utf-8")
    return index


def pages(index: Path) -> dict[str, Path]:
    """The validation page of each dataset in a Data Docs site, by dataset id."""
    found = {}
    for page in (index.parent / "validations").rglob("*.html"):
        found[page.parent.parent.parent.name] = page
    return found
