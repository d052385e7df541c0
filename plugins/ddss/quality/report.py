"""The steward report: per department per run, an HTML page (Vietnamese first) and a CSV
of every row to fix, with file, spreadsheet row, column header, value and the fix."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ddss.data_contracts import Contract, load_contracts
from ddss.errors import Problem
from ddss.quality.criteria import LABELS
from ddss.quality.findings import annotate, summarise
from ddss.quality.gate import Outcome
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect

log = logging.getLogger(__name__)
# The CSV a steward opens in Excel: Vietnamese headers first (English after a slash). Each
# header keeps its machine code in brackets, and the codes of criterion, severity, rule and
# field are in the last columns: tools (the steward workspace) find columns by these codes.
CSV_COLUMNS: list[tuple[str, str]] = [
    ("Tệp / File (source_file)", "source_file"),
    ("Dòng / Row (source_row)", "source_row"),
    ("Cột / Column (column_header)", "column_header"),
    ("Giá trị / Value (value)", "value"),
    ("Tiêu chí / Criterion", "criterion_label"),
    ("Mức độ / Severity", "severity_label"),
    ("Lỗi và cách sửa (message_vi)", "message_vi"),
    ("Problem and fix (message_en)", "message_en"),
    ("Mã bản ghi / Record key (record_key)", "record_key"),
    ("Trùng với dòng / Repeats row (repeats_row)", "repeats_row"),
    ("criterion", "criterion"),
    ("severity", "severity"),
    ("rule", "rule"),
    ("column", "column"),
]
SEVERITY_LABELS = {
    "row": "Lỗi: dòng bị giữ lại / error: row held back",
    "warning": "Cảnh báo: dòng vẫn được dùng / warning: row kept",
}
# Characters Windows cannot have in a folder name, and '+' which URLs and some tools mangle.
_UNSAFE = re.compile(r'[<>:"/\\|?*+\x00-\x1f]')


def report_folder_name(run_id: str) -> str:
    """A run id as a folder name any system can save (Airflow's run ids carry ':' and '+':
    ``scheduled__2022-07-01T00:00:00+00:00`` -> ``scheduled__2022-07-01T00-00-00-00-00``)."""
    return _UNSAFE.sub("-", run_id).rstrip(". ") or "run"


def report_folder(run_id: str, department_id: str, cfg: Settings) -> Path:
    return cfg.reports_dir / report_folder_name(run_id) / department_id


def write_csv(path: Path, rows: list[dict]) -> None:
    """UTF-8 with a byte-order mark, so that Excel shows Vietnamese correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([header for header, _ in CSV_COLUMNS])
        for row in rows:
            labelled = {
                **row,
                "criterion_label": LABELS.get(row["criterion"], row["criterion"]),
                "severity_label": SEVERITY_LABELS.get(row["severity"], row["severity"]),
            }
            writer.writerow([labelled.get(key) for _, key in CSV_COLUMNS])


def quarantine_rows(con, dataset: str, headers: dict[str, str]) -> list[dict]:
    rows = con.execute(
        'select source_file, source_row, "column", "value", criterion, rule, message_vi, message_en,'
        " record_key, severity from quality.quarantine where dataset = ? order by source_file, source_row, rule",
        [dataset],
    ).fetchall()
    out = []
    for f, r, col, val, crit, rule, vi, en, key, severity in rows:
        out.append(
            {
                "source_file": f,
                "source_row": r,
                "column": col,
                "column_header": headers.get(col, col) if col else None,
                "value": val,
                "criterion": crit,
                "severity": severity,
                "rule": rule,
                "message_vi": vi,
                "message_en": en,
                "record_key": key,
            }
        )
    return out


def steward_rows(con, contract: Contract, cfg: Settings) -> list[dict]:
    """Every quarantined row of a dataset as the steward reads it (report, CSV, ``ddss
    check``): the column's header, the earlier row a duplicate repeats, and a hint when a
    spreadsheet probably caused the error."""
    from ddss.quality.gate import earlier_rows

    headers = {c.name: c.header or c.name for c in contract.columns}
    rows = quarantine_rows(con, contract.id, headers)
    earlier = earlier_rows(con, contract, cfg)
    for row in rows:
        first = earlier.get((row["source_file"], row["source_row"], row["rule"]))
        row["repeats_row"] = first[1] if first else None
        if not first:
            continue
        same_file = first[0] == row["source_file"]
        row["message_vi"] += f" Dòng này trùng với dòng {first[1]}" + (
            "." if same_file else f" của tệp {first[0]}."
        )
        row["message_en"] += f" It repeats row {first[1]}" + (
            "." if same_file else f" of {first[0]}."
        )
    return annotate(rows, contract)


def loader_notes(con, datasets: list[str]) -> list[dict]:
    """What the loader noted about the files that currently stand for ``datasets`` (an extra
    column it ignored, say): a warning the steward must see, though no row failed. A note
    about a file since replaced (same name, new content) is no longer shown."""
    if not datasets:
        return []
    marks = ", ".join("?" for _ in datasets)
    rows = con.execute(
        "select distinct e.file_name, e.message_vi, e.message_en from meta.file_events e"
        " join meta.loaded_files l on l.dataset = e.dataset and l.file_name = e.file_name"
        f" and l.sha256 = e.sha256 where e.status = 'note' and e.dataset in ({marks})"
        " order by 1, 2, 3",
        datasets,
    ).fetchall()
    return [{"file": f, "message_vi": vi, "message_en": en} for f, vi, en in rows]


def _data_docs(run_id: str, outcomes: list[Outcome], folder: Path) -> dict:
    """GX Data Docs beside the report; a failure to render them never loses the report."""
    from ddss.quality import data_docs

    try:
        index = data_docs.build(run_id, outcomes, folder)
    except Exception as exc:  # noqa: BLE001 - Data Docs are a convenience view
        log.warning("GX Data Docs not built for %s: %s", folder, exc)
        return {}
    return {"index": index, "pages": data_docs.pages(index)} if index else {}


def data_docs_wanted() -> bool:
    """GX Data Docs with every run only when ``DDSS_DATA_DOCS=1``: importing GX and rendering
    its site takes seconds per department, so by default they are built on demand
    (``ddss docs RUN_ID``, ``add_data_docs``) or by the DAG's own task, off the run's path."""
    return os.environ.get("DDSS_DATA_DOCS", "").strip().lower() in {"1", "true", "yes"}


def _docs_links(folder: Path, docs: dict, datasets: list[str]) -> str:
    """The report's links to its Data Docs (the same text the template writes)."""
    html = ""
    if docs.get("index"):
        href = os.path.relpath(docs["index"], folder)
        html += (
            f'<br><a href="{escape(href)}">Kết quả kiểm định dạng Great Expectations Data Docs</a>'
            " / the same validation in Great Expectations Data Docs"
        )
    for dataset in datasets:
        page = docs.get("pages", {}).get(dataset)
        if page:
            href = os.path.relpath(page, folder)
            html += (
                f'<br><a href="{escape(href)}" class="data-docs">Data Docs: {escape(dataset)}</a>'
            )
    return html


def add_data_docs(run_id: str, cfg: Settings | None = None) -> dict[str, Path]:
    """Build the GX Data Docs of a run's steward reports afterwards (``ddss docs``) and link
    them from each report; returns {department: Data Docs index}. Idempotent."""
    from types import SimpleNamespace

    cfg = cfg or load_settings()
    built = {}
    for report in sorted((cfg.reports_dir / report_folder_name(run_id)).glob("*/index.html")):
        folder = report.parent
        outcomes = [
            SimpleNamespace(
                dataset=path.name.removesuffix("_validation_result.json"),
                result=json.loads(path.read_text("utf-8")),
            )
            for path in sorted(folder.glob("*_validation_result.json"))
        ]
        docs = _data_docs(run_id, outcomes, folder)  # type: ignore[arg-type]
        if not docs:
            continue
        built[folder.name] = docs["index"]
        html = report.read_text("utf-8")
        if 'class="data-docs"' in html or "Great Expectations Data Docs</a>" in html:
            continue
        links = _docs_links(folder, docs, [o.dataset for o in outcomes])
        head, sep, tail = html.rpartition("</p>")
        if sep:
            report.write_text(head + links + sep + tail, "utf-8")
    return built


def write_reports(
    run_id: str,
    outcomes: list[Outcome],
    rejected: list[Problem],
    cfg: Settings | None = None,
    data_docs: bool | None = None,
) -> dict[str, Path]:
    """Write one report per department; return {department: path of index.html}. With
    ``data_docs`` (default: ``DDSS_DATA_DOCS``) the GX Data Docs are built beside each."""
    cfg = cfg or load_settings()
    if data_docs is None:
        data_docs = data_docs_wanted()
    contracts = load_contracts(cfg)
    env = Environment(
        loader=PackageLoader("ddss.quality", "templates"), autoescape=select_autoescape()
    )
    by_department: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_department.setdefault(contracts[outcome.dataset].department.id, []).append(outcome)
    paths = {}
    with connect(cfg) as con:
        for department_id, items in by_department.items():
            folder = report_folder(run_id, department_id, cfg)
            folder.mkdir(parents=True, exist_ok=True)
            datasets: list[dict[str, Any]] = []
            for outcome in items:
                contract = contracts[outcome.dataset]
                rows = steward_rows(con, contract, cfg)
                csv_name = f"{outcome.dataset}_can_sua.csv"
                write_csv(folder / csv_name, rows)
                (folder / f"{outcome.dataset}_validation_result.json").write_text(
                    json.dumps(outcome.result, ensure_ascii=False, indent=1), "utf-8"
                )
                datasets.append(
                    {
                        "contract": contract,
                        "outcome": outcome,
                        "rows": rows,
                        "rules": summarise(rows),
                        "csv_name": csv_name,
                    }
                )
            department = datasets[0]["contract"].department
            docs = _data_docs(run_id, items, folder) if data_docs else {}
            for d in datasets:
                page = docs.get("pages", {}).get(d["outcome"].dataset)
                d["data_docs"] = os.path.relpath(page, folder) if page else None
            html = env.get_template("steward.html").render(
                department=department,
                run_id=run_id,
                datasets=datasets,
                criteria=LABELS,
                data_docs=os.path.relpath(docs["index"], folder) if docs.get("index") else None,
                rejected=[p for p in rejected if p.file],
                notes=loader_notes(con, [d["outcome"].dataset for d in datasets]),
                generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            )
            path = folder / "index.html"
            path.write_text(html, "utf-8")
            paths[department_id] = path
    return paths
