"""The pipeline's steps, as the DAGs and the CLI call them. Each step opens the warehouse,
does its work and closes it; each is idempotent for a given run id."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from ddss.data_contracts import load_contracts, source_contracts
from ddss.errors import Problem
from ddss.settings import Settings, load_settings

log = logging.getLogger(__name__)


def department_datasets(department: str | None, cfg: Settings) -> list[str]:
    return [
        c.id for c in source_contracts(cfg) if department is None or c.department.id == department
    ]


def extract_step(run_id: str, department: str | None = None, cfg: Settings | None = None) -> dict:
    from ddss.ingest.extract import extract

    cfg = cfg or load_settings()
    report = extract(run_id, cfg, department_datasets(department, cfg))
    for problem in report.rejected:
        log.error("TỆP BỊ TỪ CHỐI / FILE REJECTED: %s", problem)
    log.info(
        "archived %d new file(s), %d already known, loaded %s",
        len(report.archived),
        len(report.duplicates),
        report.loaded,
    )
    return {"loaded": report.loaded, "rejected": len(report.rejected)}


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
) -> dict:
    from ddss.quality.gate import validate
    from ddss.quality.report import write_reports

    cfg = cfg or load_settings()
    outcomes = [validate(d, run_id, cfg, as_of) for d in department_datasets(department, cfg)]
    reports = write_reports(run_id, outcomes, rejected_files(run_id, cfg), cfg)
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
    }


@dataclass
class RunSummary:
    run_id: str
    as_of: str = ""
    extract: dict = field(default_factory=dict)
    validate: dict = field(default_factory=dict)
    publish: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        """What a person reads after a run: a few lines, Vietnamese first."""
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
        else:
            held = self.publish.get("held_back") or {}
            lines.append(
                f"  Công bố / publish: version {self.publish.get('version')}, "
                f"{len(self.publish.get('rows', {}))} dataset(s), {len(held)} held back"
            )
        for department, path in sorted(self.validate.get("reports", {}).items()):
            lines.append(f"  Báo cáo / report {department}: {path}")
        return lines


def run_all(
    run_id: str, cfg: Settings | None = None, as_of: date | None = None, publish: bool = True
) -> RunSummary:
    """The whole pipeline in this process (the CLI's `ddss run`; the DAG runs the same steps).
    ``publish=False``: an experimental run, validated and reported but not published."""
    cfg = cfg or load_settings()
    summary = RunSummary(run_id, as_of=str(as_of or ""))
    summary.extract = extract_step(run_id, None, cfg)
    stage_step(cfg)
    summary.validate = validate_step(run_id, None, cfg, as_of)
    marts_step(cfg)
    if publish:
        summary.publish = publish_step(run_id, cfg)
    return summary


def known_departments(cfg: Settings | None = None) -> list[str]:
    return sorted({c.department.id for c in load_contracts(cfg).values()})
