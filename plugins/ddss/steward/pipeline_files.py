"""What the workspace shows, read from the files the pipeline already writes.

The workspace never opens the warehouse: DuckDB gives one process the file, and a reader
can make a running pipeline's next write fail. Everything here comes from the steward
reports (``data/reports/<run_id>/<department>/``: index.html and one CSV of rows to fix per
dataset), the portal's ``quality.json``, the archive's ``raw/manifest.jsonl`` and the copy of
the warehouse's file events made after each run (``ddss.steward.file_events``).

The report CSV's headers may be plain machine codes (``source_row``) or Vietnamese labels
that keep the code (``Dòng (source_row)``): columns are found by the code they contain.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ddss.data_contracts import SourceContract, load_contracts, source_contracts
from ddss.quality.freshness import due_date, expected_periods, file_period
from ddss.settings import Settings

REPORT_FIELDS = (
    "source_file",
    "source_row",
    "column_header",
    "column",
    "value",
    "criterion",
    "severity",
    "rule",
    "message_vi",
    "message_en",
    "record_key",
)
CRITERIA = ("dung", "du", "sach", "song")
CRITERION_LABELS = {
    "dung": ("Đúng", "Correct"),
    "du": ("Đủ", "Complete"),
    "sach": ("Sạch", "Clean"),
    "song": ("Sống", "Live"),
    "overall": ("Chung", "Overall"),
}


def department_contracts(cfg: Settings, department: str) -> list[SourceContract]:
    return [c for c in source_contracts(cfg) if c.department.id == department]


def departments(cfg: Settings) -> dict:
    return {c.department.id: c.department for c in source_contracts(cfg)}


def _field_pattern(code: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z_]){re.escape(code)}(?![a-z_])", re.IGNORECASE)


def header_map(headers: list[str]) -> dict[str, int]:
    """{machine code: column index}: an exact code first, else a header containing it."""
    found: dict[str, int] = {}
    cleaned = [h.strip().lstrip("\ufeff") for h in headers]
    for code in REPORT_FIELDS:
        exact = [i for i, h in enumerate(cleaned) if h.lower() == code]
        if exact:
            found[code] = exact[0]
            continue
        pattern = _field_pattern(code)
        loose = [i for i, h in enumerate(cleaned) if pattern.search(h) and i not in found.values()]
        if loose:
            found[code] = loose[0]
    return found


def read_report_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        headers = next(reader, [])
        columns = header_map(headers)
        rows = []
        for record in reader:
            row = {code: (record[i] if i < len(record) else "") for code, i in columns.items()}
            rows.append({code: row.get(code, "") for code in REPORT_FIELDS})
    return rows


@dataclass(frozen=True)
class ReportFile:
    run_id: str
    dataset: str
    path: Path  # the CSV
    folder: Path

    @property
    def modified(self) -> float:
        return self.path.stat().st_mtime


def report_files(cfg: Settings, contract: SourceContract) -> list[ReportFile]:
    """Every report CSV of a dataset, oldest first (by when it was written)."""
    root = cfg.reports_dir
    if not root.is_dir():
        return []
    found = []
    for folder in root.glob(f"*/{contract.department.id}"):
        for path in folder.glob(f"{contract.id}*.csv"):
            # ``<dataset>_can_sua.csv`` and the like; not another dataset whose id extends it.
            rest = path.name[len(contract.id) :]
            if rest.startswith(("_", ".")) and not any(
                path.name.startswith(other) and len(other) > len(contract.id)
                for other in load_contracts(cfg)
            ):
                found.append(ReportFile(folder.parent.name, contract.id, path, folder))
    return sorted(found, key=lambda r: (r.modified, r.run_id))


def latest_report(cfg: Settings, contract: SourceContract) -> ReportFile | None:
    files = report_files(cfg, contract)
    return files[-1] if files else None


def is_warning(row: dict) -> bool:
    return (row.get("severity") or "").lower() == "warning"


def quarantined_rows(cfg: Settings, department: str) -> list[dict]:
    """Every row of the department's latest report per dataset, with dataset and period."""
    rows = []
    for contract in department_contracts(cfg, department):
        report = latest_report(cfg, contract)
        if report is None:
            continue
        for row in read_report_csv(report.path):
            row["dataset"] = contract.id
            row["period"] = file_period(contract, row.get("source_file") or "") or ""
            row["run_id"] = report.run_id
            rows.append(row)
    return rows


def open_rows(rows: list[dict]) -> int:
    """Rows held in quarantine (warnings are reported but not held)."""
    return len(
        {(r["dataset"], r["source_file"], r["source_row"]) for r in rows if not is_warning(r)}
    )


def quality(cfg: Settings) -> dict:
    """The published ``quality.json`` ({} before the first publication)."""
    for path in (cfg.public_dir / "quality.json", cfg.public_dir / "current" / "quality.json"):
        if path.is_file():
            try:
                return json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                return {}
    return {}


def manifest_entries(cfg: Settings, department: str) -> list[dict]:
    from ddss.ingest.manifest import read_manifest

    try:
        entries = read_manifest(cfg)
    except OSError:
        return []
    return [e for e in entries if e.get("department") == department]


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text("utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a torn last line (a crash mid-append) is not a receipt
    return out


@dataclass(frozen=True)
class Deadline:
    period: str
    due: date
    days: int  # days left (>= 0) or, negative, how late
    received: bool = False

    @property
    def late(self) -> bool:
        return self.days < 0


def received_periods(contract: SourceContract, entries: list[dict]) -> set[str]:
    periods = set()
    for entry in entries:
        if entry.get("dataset") == contract.id and entry.get("status") != "rejected":
            period = file_period(contract, entry.get("file_name") or "")
            if period:
                periods.add(period)
    return periods


def next_deadline(contract: SourceContract, received: set[str], today: date) -> Deadline | None:
    """The oldest period due and not received (late), else the next period to come."""
    due_now = expected_periods(contract, today)
    for period in due_now:
        if period not in received:
            due = due_date(period, contract)
            return Deadline(period, due, (due - today).days)
    # The periods falling due within two update periods are the next ones to send.
    for period in expected_periods(contract, today + timedelta(days=800)):
        if period not in due_now and period not in received:
            due = due_date(period, contract)
            return Deadline(period, due, (due - today).days)
    return None


def missed_periods(contract: SourceContract, received: set[str], today: date) -> list[Deadline]:
    out = []
    for period in expected_periods(contract, today):
        if period not in received:
            due = due_date(period, contract)
            out.append(Deadline(period, due, (due - today).days))
    return out


def _last_event(events: list[dict], receipt: dict) -> dict | None:
    """The pipeline's latest word on a submitted file: its own events (by sha256), else a
    rejection of its name recorded after it was submitted (a file refused before it was
    archived has no sha256 in the event)."""
    own = [e for e in events if e.get("sha256") and e.get("sha256") == receipt.get("sha256")]
    if own:
        return own[-1]
    since = str(receipt.get("submitted_at") or "")[:19].replace("T", " ")
    unnamed = [
        e
        for e in events
        if not e.get("sha256")
        and e.get("status") == "rejected"
        and str(e.get("file_name") or "").replace("\\", "/").rsplit("/", 1)[-1]
        == receipt.get("file")
        and str(e.get("recorded_at") or "")[:19] >= since
    ]
    return unnamed[-1] if unnamed else None


def submission_outcome(receipt: dict, entries: list[dict], events: list[dict]) -> str:
    """What became of a submitted file: ``waiting`` for a run, ``archived`` by the pipeline
    (its rows validated), ``rejected`` by the loader, or ``withdrawn`` since. ``events``: the
    department's file events (``ddss.steward.file_events``), oldest first."""
    last = _last_event(events, receipt)
    if last is not None and last.get("status") in ("rejected", "withdrawn"):
        return str(last["status"])
    if last is not None and last.get("status") == "loaded":
        return "archived"
    archived = [e for e in entries if e.get("sha256") == receipt.get("sha256")]
    return "archived" if archived else "waiting"


def pipeline_message(receipt: dict, events: list[dict]) -> tuple[str, str] | None:
    """(Vietnamese, English) of the pipeline's rejection of a submitted file, if any."""
    last = _last_event(events, receipt)
    if last is None or last.get("status") != "rejected":
        return None
    return str(last.get("message_vi") or ""), str(last.get("message_en") or "")
