"""Extract: landing folder → immutable, checksummed raw archive → DuckDB ``raw`` tables.

* Every accepted file is copied to ``raw/<department>/<dataset>/<sha256>__<name>``, made
  read-only, checked against its sha256 and recorded in ``raw/manifest.jsonl``
  (``ddss.ingest.archive``).
* A file whose content was archived before is recognised by its sha256 and not loaded twice.
* A file is loaded with its name and spreadsheet row number (header = 1) on every row, all
  values as text, exactly as sent (``ddss.ingest.readers``, ``ddss.ingest.load``); typing
  and cleaning happen in dbt staging.
* A new version of a file name (a corrected monthly file) replaces that file's rows: the
  partition is (dataset, file name). Earlier versions stay in the archive.
* A file that cannot be read (encoding, missing columns, empty, too large) is rejected
  with a message naming the file, row, column and value; its raw copy is kept and nothing
  already loaded is touched. Ragged rows are kept in ``raw.load_rejects`` for the steward.
* A file still being written is deferred to the next run, neither archived nor rejected
  (``ddss.ingest.landing``); a manifest torn by a crash is repaired first and the archive
  re-verified (``ddss.ingest.manifest``, ``ddss.ingest.archive``). HTTP sources are fetched
  within bounds (``ddss.ingest.http_source``), workbooks read within limits
  (``ddss.ingest.xlsx``), encodings told apart by ``ddss.ingest.encodings``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from ddss.data_contracts import SourceContract, source_contracts
from ddss.errors import FileRejected, Problem
from ddss.ingest.archive import (
    ArchivedFile,
    LandingScan,
    archive_file,
    archive_landing,
    contract_for,
    control_for,
    data_file_for_control,
)
from ddss.ingest.landing import fetch_http_sources
from ddss.ingest.load import ensure_raw_table, load_control, load_file, record_event
from ddss.ingest.manifest import read_manifest
from ddss.ingest.readers import read_rows
from ddss.ingest.withdraw import same_period_warnings
from ddss.reference.wards import load_reference_tables
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect

# The names other zones import from here (ddss check, tests, the bench).
__all__ = [
    "ArchivedFile",
    "ExtractReport",
    "archive_file",
    "archive_landing",
    "contract_for",
    "control_for",
    "data_file_for_control",
    "ensure_raw_table",
    "extract",
    "load_file",
    "read_manifest",
    "read_rows",
]

log = logging.getLogger(__name__)


@dataclass
class ExtractReport:
    run_id: str
    archived: list[ArchivedFile] = field(default_factory=list)
    duplicates: list[ArchivedFile] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)  # file name -> rows
    rejected: list[Problem] = field(default_factory=list)
    ragged_rows: int = 0
    controls: list[ArchivedFile] = field(default_factory=list)  # control-totals files
    # What recovery did to the archive's own state (a torn manifest line moved aside, a lost
    # entry listed again) or found in it (a damaged copy), in both languages.
    repairs: list[Problem] = field(default_factory=list)
    # Landing files not taken yet (still being written): neither archived nor rejected.
    deferred: list[Problem] = field(default_factory=list)
    # What a steward should know about a file that was loaded (its separator, its sheet).
    notes: list[Problem] = field(default_factory=list)

    def take(self, scan: LandingScan) -> None:
        self.archived += scan.archived
        self.duplicates += scan.duplicates
        self.controls += scan.controls
        self.rejected += scan.rejected
        self.repairs += scan.repairs
        self.deferred += scan.deferred

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "archived": [asdict(a) for a in self.archived],
            "duplicates": [asdict(a) for a in self.duplicates],
            "loaded": self.loaded,
            "rejected": [p.as_dict() for p in self.rejected],
            "ragged_rows": self.ragged_rows,
            "repairs": [p.as_dict() for p in self.repairs],
            "deferred": [p.as_dict() for p in self.deferred],
            "notes": [p.as_dict() for p in self.notes],
        }


def _load_controls(
    con: Any, cfg: Settings, report: ExtractReport, by_id: dict[str, SourceContract]
) -> None:
    for entry in report.controls:
        try:
            load_control(con, cfg, entry, by_id[entry.dataset])
        except FileRejected as exc:
            report.rejected.append(exc.problem)
            record_event(con, report.run_id, entry, exc.problem, "rejected")


def _pending(con: Any, report: ExtractReport, manifest: dict[str, dict]) -> list[ArchivedFile]:
    """The files to load: archived now, or archived earlier but not current (never loaded
    after a crash, or a reverted correction), each read from its first archived copy."""
    loaded = {
        (dataset, sha256)
        for dataset, sha256 in con.execute(
            "select dataset, sha256 from meta.loaded_files"
        ).fetchall()
    }
    pending: dict[str, ArchivedFile] = {}
    for entry in report.archived + report.duplicates:
        if (entry.dataset, entry.sha256) in loaded or entry.sha256 in pending:
            continue
        entry.raw_path = manifest[entry.sha256]["raw_path"]
        pending[entry.sha256] = entry
    return list(pending.values())


def _load_pending(
    con: Any,
    cfg: Settings,
    report: ExtractReport,
    pending: list[ArchivedFile],
    by_id: dict[str, SourceContract],
) -> None:
    for entry in pending:
        notes: list[Problem] = []
        try:
            rows, ragged = load_file(con, cfg, entry, by_id[entry.dataset], report.run_id, notes)
        except FileRejected as exc:
            report.rejected.append(exc.problem)
            record_event(con, report.run_id, entry, exc.problem, "rejected")
            log.error("%s", exc)
            continue
        report.loaded[entry.file_name] = rows
        report.ragged_rows += ragged
        record_event(con, report.run_id, entry, None, "loaded", rows)
        for note in notes:
            log.warning("%s", note)
            record_event(con, report.run_id, entry, note, "note")
        report.notes += notes
        log.info("loaded %s rows from %s (%s)", rows, entry.file_name, entry.sha256[:12])


def _record_duplicates(
    con: Any, report: ExtractReport, manifest: dict[str, dict], pending: list[ArchivedFile]
) -> None:
    """A file sent again under another name is recorded, not loaded again."""
    loading = {entry.sha256 for entry in pending}
    for entry in report.duplicates:
        original = manifest[entry.sha256]["file_name"]
        if original == entry.file_name or entry.sha256 in loading:
            continue
        problem = Problem(
            entry.file_name,
            None,
            None,
            None,
            "duplicate_file",
            f"Tệp trùng nội dung với tệp đã nhận '{original}'; không nạp lại.",
            f"Same content as the already received file '{original}'; not loaded again.",
        )
        record_event(con, report.run_id, entry, problem, "duplicate")


def extract(
    run_id: str,
    cfg: Settings | None = None,
    datasets: list[str] | None = None,
    fetched: list[Problem] | None = None,
) -> ExtractReport:
    """Archive new landing files and load them. Safe to re-run: nothing is loaded twice.
    ``fetched``: the HTTP sources were fetched into landing just before (by the run's look at
    its inputs) with these failures; they are not fetched again."""
    cfg = cfg or load_settings()
    contracts = [c for c in source_contracts(cfg) if datasets is None or c.id in datasets]
    by_id = {c.id: c for c in contracts}
    report = ExtractReport(run_id=run_id)
    report.rejected += fetch_http_sources(contracts, cfg) if fetched is None else fetched
    report.take(archive_landing(cfg, contracts))
    with connect(cfg) as con:
        load_reference_tables(con)
        # Every dataset's raw table exists (empty until its department sends a file), so
        # that dbt can build any model whichever department runs first.
        for contract in source_contracts(cfg):
            ensure_raw_table(con, contract)
        for problem in report.repairs:  # "repaired", or "archive_damaged" (for a person)
            status = "repaired" if problem.rule == "manifest_repaired" else problem.rule
            record_event(con, run_id, None, problem, status)
        for problem in report.deferred:
            record_event(con, run_id, None, problem, "deferred")
        for problem in report.rejected:
            record_event(con, run_id, None, problem, "rejected")
        _load_controls(con, cfg, report, by_id)
        manifest = {e["sha256"]: e for e in read_manifest(cfg)}
        pending = _pending(con, report, manifest)
        _load_pending(con, cfg, report, pending, by_id)
        _record_duplicates(con, report, manifest, pending)
        for warning in same_period_warnings(con, run_id, contracts):
            log.warning("%s", warning)
            report.notes.append(warning)
    return report
