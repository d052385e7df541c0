"""The pipeline's steps, as the DAGs and the CLI call them. Each step opens the warehouse,
does its work and closes it; each is idempotent for a given run id."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date

from ddss.data_contracts import load_contracts, source_contracts
from ddss.errors import Problem
from ddss.orchestration.state import (
    RunInputs,
    fingerprint,
    forget,
    last_inputs,
    record,
    unchanged,
)
from ddss.settings import Settings, load_settings

log = logging.getLogger(__name__)


def department_datasets(department: str | None, cfg: Settings) -> list[str]:
    return [
        c.id for c in source_contracts(cfg) if department is None or c.department.id == department
    ]


def scope_of(department: str | None) -> str:
    return department or "all"


def current_inputs(
    cfg: Settings, as_of: date | None, publish: bool, department: str | None = None
) -> RunInputs:
    """What a run would start from now: the HTTP sources fetched into landing, the landing
    files' sha256 (unchanged files not read again), the fingerprint of contracts, suites,
    reference data, code and dbt project."""
    from ddss.data_contracts import source_contracts
    from ddss.ingest.archive import landing_snapshot
    from ddss.ingest.landing import fetch_http_sources

    datasets = set(department_datasets(department, cfg))
    contracts = [c for c in source_contracts(cfg) if c.id in datasets]
    inputs = RunInputs(
        fingerprint=fingerprint(cfg),
        landing={},
        as_of=str(as_of or ""),
        publish=publish,
    )
    inputs.fetch_problems = fetch_http_sources(contracts, cfg)
    inputs.landing = landing_snapshot(cfg, contracts)
    return inputs


def reopen_period(cfg: Settings, period: str, department: str | None = None) -> list[str]:
    """Forget that the landing files of ``period`` were loaded, so that extract reads them
    again from the archive and replaces their rows: a backfill of one month. Returns the
    files' names (none: the period has no file)."""
    from ddss.data_contracts import source_contracts
    from ddss.ingest.archive import landing_files
    from ddss.warehouse import connect

    datasets = set(department_datasets(department, cfg))
    contracts = [c for c in source_contracts(cfg) if c.id in datasets]
    reopened = []
    for folder, path in landing_files(cfg, contracts):
        for contract in contracts:
            if (
                contract.department.landing_folder == folder
                and contract.source.matches(path.name)
                and contract.source.period_of(path.name) == period
            ):
                reopened.append((contract.id, path.name))
    if reopened:
        with connect(cfg) as con:
            con.executemany(
                "delete from meta.loaded_files where dataset = ? and file_name = ?", reopened
            )
    return [name for _, name in reopened]


def extract_step(
    run_id: str,
    department: str | None = None,
    cfg: Settings | None = None,
    period: str | None = None,
    skip_unchanged: bool = False,
    inputs: RunInputs | None = None,
) -> dict:
    """Archive and load what is new. With ``period``, that period's files are loaded again
    (from the archive) even when nothing changed: a backfill. With ``skip_unchanged`` (the
    extract DAG), nothing is done when the department's landing files, contracts and
    reference data are those of its last extract: ``{"nothing_new": <that run id>}``.
    ``inputs``: what the caller just looked at (the HTTP sources are not fetched again)."""
    from ddss.ingest.extract import extract

    cfg = cfg or load_settings()
    scope = "extract:" + scope_of(department)
    fetched = inputs.fetch_problems if inputs is not None else None
    if skip_unchanged:
        inputs = current_inputs(cfg, None, False, department)
        last = last_inputs(cfg, scope)
        if period is None and unchanged(inputs, last, cfg):
            log.info("nothing new since run %s", last.run_id if last else "")
            return {"nothing_new": last.run_id if last else ""}
        forget(cfg, scope)
        fetched = inputs.fetch_problems
    reopened = reopen_period(cfg, period, department) if period else []
    report = extract(run_id, cfg, department_datasets(department, cfg), fetched=fetched)
    for problem in report.rejected:
        log.error("TỆP BỊ TỪ CHỐI / FILE REJECTED: %s", problem)
    log.info(
        "archived %d new file(s), %d already known, loaded %s",
        len(report.archived),
        len(report.duplicates),
        report.loaded,
    )
    if skip_unchanged and inputs is not None and not report.deferred:
        inputs.run_id = run_id
        record(cfg, scope, inputs)
    return {
        "loaded": report.loaded,
        "rejected": len(report.rejected),
        "archived": len(report.archived),
        "deferred": len(report.deferred),
        **({"period": period, "reopened": reopened} if period else {}),
    }


def stage_step(cfg: Settings | None = None, department: str | None = None) -> None:
    from ddss.transform.dbt_runner import build_staging

    build_staging(cfg, department)


def rejected_files(run_id: str, cfg: Settings) -> list[Problem]:
    from ddss.warehouse import connect

    with connect(cfg) as con:
        rows = con.execute(
            "select file_name, message_vi, message_en from meta.file_events "
            "where run_id = ? and status = 'rejected'",
            [run_id],
        ).fetchall()
    return [
        Problem(f or "?", None, None, None, "file_rejected", vi or "", en or "")
        for f, vi, en in rows
    ]


def validate_step(
    run_id: str,
    department: str | None = None,
    cfg: Settings | None = None,
    as_of: date | None = None,
    data_docs: bool | None = None,
) -> dict:
    """Validate and write the steward reports. GX Data Docs only with ``data_docs`` (default:
    ``DDSS_DATA_DOCS``); otherwise ``docs_step`` / ``ddss docs`` builds them afterwards."""
    from ddss.quality.gate import validate
    from ddss.quality.report import write_reports

    cfg = cfg or load_settings()
    from ddss.warehouse import connect

    with connect(cfg) as con:  # one opening of the warehouse for every dataset
        outcomes = [
            validate(d, run_id, cfg, as_of, con=con) for d in department_datasets(department, cfg)
        ]
    reports = write_reports(run_id, outcomes, rejected_files(run_id, cfg), cfg, data_docs)
    for department_id, path in reports.items():
        log.info("Báo cáo chất lượng / quality report for %s: %s", department_id, path)
        docs = path.parent / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        if docs.exists():
            log.info("GX Data Docs for %s: %s", department_id, docs)
    for outcome in outcomes:
        log.info(
            "%s: %d rows checked, %d quarantined, %d blocking",
            outcome.dataset,
            outcome.rows_checked,
            outcome.rows_failed,
            len(outcome.blocking),
        )
        if outcome.freshness and outcome.freshness["missing"]:
            log.warning(
                "%s: DỮ LIỆU CHẬM / LATE FEED, missing periods %s",
                outcome.dataset,
                ", ".join(f"{m['period']} (due {m['due']})" for m in outcome.freshness["missing"]),
            )
        if outcome.freshness and outcome.freshness.get("late"):
            log.warning(
                "%s: GỬI MUỘN / SENT LATE %s",
                outcome.dataset,
                ", ".join(
                    f"{m['period']} ({m['days_late']} days after {m['due']})"
                    for m in outcome.freshness["late"]
                ),
            )
    return {
        "reports": {k: str(v) for k, v in reports.items()},
        "quarantined": {o.dataset: o.rows_failed for o in outcomes},
        "blocking": {o.dataset: [str(p) for p in o.blocking] for o in outcomes if o.blocking},
    }


def docs_step(run_id: str, cfg: Settings | None = None) -> dict:
    """The GX Data Docs of a run's steward reports, linked both ways (off the run's path)."""
    from ddss.quality.report import add_data_docs

    built = add_data_docs(run_id, cfg or load_settings())
    for department_id, index in built.items():
        log.info("GX Data Docs for %s: %s", department_id, index)
    return {k: str(v) for k, v in built.items()}


def marts_step(cfg: Settings | None = None, department: str | None = None) -> None:
    from ddss.transform.dbt_runner import build_marts

    build_marts(cfg, department)


def publish_step(run_id: str, cfg: Settings | None = None) -> dict:
    from ddss.publish.publisher import publish

    publication = publish(run_id, cfg)
    return {
        "version": publication.version,
        "path": str(publication.path),
        "rows": {k: v["rows"] for k, v in publication.datasets.items()},
        "held_back": publication.held_back,
        "unchanged": publication.unchanged,
        "reused": publication.reused,
        "summary": publication.summary,
    }


@dataclass
class RunSummary:
    run_id: str
    as_of: str = ""
    extract: dict = field(default_factory=dict)
    validate: dict = field(default_factory=dict)
    publish: dict = field(default_factory=dict)
    # No new or changed landing file, same contracts, reference data, code and as-of date
    # as the last completed run (its id): nothing was loaded, validated or published.
    nothing_new: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per step
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # per step (Linux)

    def lines(self) -> list[str]:
        """What a person reads after a run: a few lines, Vietnamese first."""
        if self.nothing_new is not None:
            return [
                f"Lượt chạy / run {self.run_id} (sống judged as of {self.as_of})",
                "  Không có gì mới / nothing new: không có tệp mới hoặc thay đổi, hợp đồng dữ "
                "liệu và danh mục không đổi kể từ lượt "
                f"{self.nothing_new}; không nạp, không kiểm định, không công bố / no new or "
                "changed file, contracts and reference data unchanged: nothing loaded, "
                "validated or published.",
            ]
        loaded = self.extract.get("loaded") or {}
        quarantined = self.validate.get("quarantined", {})
        blocking = self.validate.get("blocking", {})
        lines = [
            f"Lượt chạy / run {self.run_id} (sống judged as of {self.as_of})",
            f"  Nhận / extract: {len(loaded)} file(s), {sum(loaded.values()):,} row(s) loaded, "
            f"{self.extract.get('rejected', 0)} file(s) rejected",
            f"  Kiểm định / validate: {len(quarantined)} dataset(s), "
            f"{sum(quarantined.values()):,} row(s) quarantined, "
            f"{len(blocking)} dataset(s) with a batch-level failure",
        ]
        if not self.publish:
            lines.append("  Công bố / publish: không công bố (--no-publish) / nothing published")
        elif self.publish.get("summary"):  # says when nothing new was published
            lines.append("  " + self.publish["summary"])
        else:
            held = self.publish.get("held_back") or {}
            lines.append(
                f"  Công bố / publish: version {self.publish.get('version')}, "
                f"{len(self.publish.get('rows', {}))} dataset(s), {len(held)} held back"
            )
        for department, path in sorted(self.validate.get("reports", {}).items()):
            lines.append(f"  Báo cáo / report {department}: {path}")
        return lines


def _reset_peak_rss() -> None:
    """Linux: start the process's peak resident size (VmHWM) again from its current size, so
    that each step's own peak is measured (``proc(5)``, ``clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run_all(
    run_id: str,
    cfg: Settings | None = None,
    as_of: date | None = None,
    publish: bool = True,
    period: str | None = None,
    data_docs: bool | None = None,
    full: bool = False,
) -> RunSummary:
    """The whole pipeline in this process (the CLI's `ddss run`; the DAG runs the same steps).
    ``publish=False``: an experimental run, validated and reported but not published.

    A run with nothing new (``state.unchanged``) does nothing but say so; ``full`` runs
    anyway. ``period`` ("2022-03") loads that period's files again even when nothing changed
    (a backfill)."""
    cfg = cfg or load_settings()
    summary = RunSummary(run_id, as_of=str(as_of or ""))
    started = time.perf_counter()
    inputs = current_inputs(cfg, as_of, publish)
    last = last_inputs(cfg, scope_of(None))
    summary.seconds["inputs"] = round(time.perf_counter() - started, 3)
    if period is None and not full and unchanged(inputs, last, cfg):
        summary.nothing_new = last.run_id if last else ""
        log.info("nothing new since run %s", summary.nothing_new)
        return summary
    # A run that stops half-way must not leave the previous record vouching for its state.
    forget(cfg, scope_of(None))

    def timed(name: str, step, *args, **kwargs):
        _reset_peak_rss()
        moment = time.perf_counter()
        result = step(*args, **kwargs)
        summary.seconds[name] = round(time.perf_counter() - moment, 3)
        peak = _peak_rss_mb()
        if peak is not None:
            summary.peak_rss_mb[name] = peak
        return result

    summary.extract = timed("extract", extract_step, run_id, None, cfg, period, inputs=inputs)
    timed("stage", stage_step, cfg)
    summary.validate = timed("validate", validate_step, run_id, None, cfg, as_of, data_docs)
    timed("marts", marts_step, cfg)
    if publish:
        summary.publish = timed("publish", publish_step, run_id, cfg)
    if not summary.extract.get("deferred"):  # a file still being written: look again next run
        inputs.run_id = run_id
        inputs.version = summary.publish.get("version") if publish else None
        record(cfg, scope_of(None), inputs)
    return summary


def known_departments(cfg: Settings | None = None) -> list[str]:
    return sorted({c.department.id for c in load_contracts(cfg).values()})
