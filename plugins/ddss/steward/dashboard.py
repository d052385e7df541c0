"""The dashboard's rows: per dataset, scores and their history, the next deadline, the last
submission and what became of it, and the open quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ddss.data_contracts import SourceContract
from ddss.steward import pipeline_files as files
from ddss.steward.file_events import file_events

if TYPE_CHECKING:
    from ddss.steward.app import Steward, Workspace

HISTORY_POINTS = 8


@dataclass
class DatasetRow:
    contract: SourceContract
    scores: dict
    history: list[dict]
    deadline: files.Deadline | None
    missed: list[files.Deadline]
    last_submission: dict | None
    last_file: dict | None
    open_rows: int
    warnings: int
    report_run: str | None
    submission_outcome: str | None = None

    @property
    def uploads(self) -> bool:
        return self.contract.source.kind == "drop_folder"


def _latest(items: list[dict], key: str) -> dict | None:
    # Files archived in the same second: the later name (a later period) is the latest.
    return max(
        items, key=lambda e: (str(e.get(key) or ""), str(e.get("file_name") or "")), default=None
    )


def dashboard_rows(ws: Workspace, steward: Steward) -> list[DatasetRow]:
    quality = files.quality(ws.cfg).get("datasets", {})
    entries = files.manifest_entries(ws.cfg, steward.department.id)
    receipts = [
        r
        for r in files.read_jsonl(ws.steward.submissions_log)
        if r.get("department") == steward.department.id
    ]
    rows = files.quarantined_rows(ws.cfg, steward.department.id)
    events = file_events(ws.steward, steward.department.id)
    today = ws.today()
    out = []
    for contract in steward.contracts:
        own = [r for r in rows if r["dataset"] == contract.id]
        published = quality.get(contract.id, {})
        received = files.received_periods(contract, entries)
        report = files.latest_report(ws.cfg, contract)
        last = _latest([r for r in receipts if r.get("dataset") == contract.id], "submitted_at")
        out.append(
            DatasetRow(
                contract=contract,
                scores=published.get("scores", {}),
                history=list(published.get("history", []))[-HISTORY_POINTS:],
                deadline=files.next_deadline(contract, received, today),
                missed=files.missed_periods(contract, received, today),
                last_submission=last,
                submission_outcome=files.submission_outcome(last, entries, events)
                if last
                else None,
                last_file=_latest(
                    [e for e in entries if e.get("dataset") == contract.id], "archived_at"
                ),
                open_rows=files.open_rows(own),
                warnings=sum(1 for r in own if files.is_warning(r)),
                report_run=report.run_id if report else None,
            )
        )
    return out


def filter_rows(rows: list[dict], dataset: str, criterion: str, period: str) -> list[dict]:
    return [
        r
        for r in rows
        if (not dataset or r["dataset"] == dataset)
        and (not criterion or r.get("criterion") == criterion)
        and (not period or r.get("period") == period)
    ]
