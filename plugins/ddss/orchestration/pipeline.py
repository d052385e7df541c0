"""The pipeline's steps, as the DAGs and the CLI call them. Each step opens the warehouse,
does its work and closes it; each is idempotent for a given run id."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from ddss.data_contracts import load_contracts, source_contracts
from ddss.errors import Problem
from ddss.orchestration.state import (
    RunInputs,
    activity,
    fingerprint,
    forget,
    last_inputs,
    loaded_digests,
    quarantine_digests,
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
    return [name for _, name in _reopen(cfg, period, department)]


def _reopen(cfg: Settings, period: str, department: str | None) -> list[tuple[str, str]]:
    """``reopen_period``'s (dataset, file name) pairs."""
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
    return reopened


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
    reopened = _reopen(cfg, period, department) if period else []
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
        **(
            {
                "period": period,
                "reopened": [name for _, name in reopened],
                "reopened_datasets": sorted({dataset for dataset, _ in reopened}),
            }
            if period
            else {}
        ),
    }


# How a mart reads the gate's output: ``not_quarantined(ref('<staging model>'), '<dataset>')``.
QUARANTINE_READ = re.compile(r"not_quarantined\(\s*ref\(\s*'([^']+)'\s*\)\s*,\s*'([^']+)'\s*\)")


def stage_step(
    cfg: Settings | None = None,
    department: str | None = None,
    datasets: Collection[str] | None = None,
) -> list[dict]:
    """dbt's staging models and their tests (a department's, or all). With ``datasets``,
    only those datasets' staging models and the staging models that depend on them (dbt's
    ``model+``): none, nothing is built. Returns dbt's nodes."""
    from ddss.transform.dbt_runner import build_staging, run_dbt, staging_selection

    if datasets is None:
        return build_staging(cfg, department)
    cfg = cfg or load_settings()
    selectors = [
        f"{layer},{model}+"
        for layer in staging_selection(department)
        for model in _staging_models(datasets, cfg)
    ]
    return run_dbt(["build", "--select", *selectors], cfg) if selectors else []


def _staging_models(datasets: Collection[str], cfg: Settings) -> list[str]:
    by_id = {c.id: c for c in source_contracts(cfg)}
    return sorted({by_id[d].staging_model for d in datasets})


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


def marts_step(
    cfg: Settings | None = None,
    department: str | None = None,
    datasets: Collection[str] | None = None,
    readers: dict[str, list[str]] | None = None,
) -> list[dict]:
    """dbt's marts, their tests and the snapshots of them (a department's, or all). With
    ``datasets``, only the marts downstream of those datasets' staging models and of the
    marts that read their quarantine (``readers``: dataset -> models, from
    ``project_tables``), and the snapshots downstream of them: none, nothing is built.
    Returns dbt's nodes."""
    from ddss.transform.dbt_runner import build_marts, marts_selection, run_dbt

    if datasets is None:
        return build_marts(cfg, department)
    cfg = cfg or load_settings()
    models = set(_staging_models(datasets, cfg))
    for dataset in datasets:
        models.update((readers or {}).get(dataset, []))
    layer, _ = marts_selection(department)
    selectors = [
        selector
        for model in sorted(models)
        for selector in (f"{layer},{model}+", f"resource_type:snapshot,{model}+")
    ]
    return run_dbt(["build", "--select", *selectors], cfg) if selectors else []


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
    # What dbt built: ``full`` says why everything was (None: only what changed); per layer
    # ("staging", "marts") the datasets rebuilt (None: all) and dbt's nodes that ran.
    dbt: dict = field(default_factory=dict)
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
        if self.dbt:
            lines.append("  dbt: " + self.dbt_line())
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

    def dbt_line(self) -> str:
        if self.dbt.get("full"):
            return f"dựng lại toàn bộ / full build ({self.dbt['full']})"
        staged = self.dbt.get("staging", {}).get("datasets") or []
        marts = self.dbt.get("marts", {}).get("datasets") or []
        return (
            f"chỉ dựng lại phần thay đổi / delta build: staging of {len(staged)} dataset(s)"
            f"{' (' + ', '.join(staged) + ')' if staged else ''}, marts of {len(marts)} dataset(s)"
            f"{' (' + ', '.join(marts) + ')' if marts else ''}"
        )


# A model or macro that reads the gate's output names its source.
QUARANTINE_SOURCE = re.compile(r"""source\(\s*['"]quality['"]\s*,""")
# Where each layer's models are built (dbt_project.yml's +schema per folder).
MODEL_SCHEMAS = {"staging": "staging", "marts": "marts"}


@dataclass
class ProjectTables:
    """What the dbt project builds, read from its files (dbt writes no manifest.json here):
    the tables of its models and snapshots, and, per dataset, the models that read its rows
    of the quarantine."""

    relations: set[tuple[str, str]]
    readers: dict[str, list[str]]


def project_tables(cfg: Settings) -> ProjectTables | str:
    """The project's tables and quarantine readers, or why they cannot be known for sure (a
    model or macro other than ``not_quarantined`` reading the quarantine, a snapshot file
    not understood): then every change of the gate's output rebuilds everything."""
    import yaml

    project = cfg.dbt_project_dir
    relations: set[tuple[str, str]] = set()
    readers: dict[str, set[str]] = {}
    for path in sorted((project / "macros").rglob("*.sql")):
        if path.name != "not_quarantined.sql" and QUARANTINE_SOURCE.search(path.read_text("utf-8")):
            return f"the macro {path.name} reads the quarantine"
    for layer, schema in MODEL_SCHEMAS.items():
        for path in sorted((project / "models" / layer).rglob("*.sql")):
            sql = path.read_text("utf-8")
            if QUARANTINE_SOURCE.search(sql) or "config(" in sql:
                return f"the model {path.stem} reads the quarantine or sets its own config"
            relations.add((schema, path.stem))
            for _, dataset in QUARANTINE_READ.findall(sql):
                readers.setdefault(dataset, set()).add(path.stem)
    for path in sorted((project / "snapshots").rglob("*.yml")):
        for snapshot in (yaml.safe_load(path.read_text("utf-8")) or {}).get("snapshots", []):
            snapshot_schema = (snapshot.get("config") or {}).get("schema")
            if not snapshot_schema:
                return f"the snapshot {snapshot.get('name')} has no schema"
            relations.add((str(snapshot_schema), str(snapshot["name"])))
    return ProjectTables(relations, {d: sorted(models) for d, models in readers.items()})


@dataclass
class BuildPlan:
    """What dbt builds in a run: everything, for ``full`` (the reason), or only the datasets
    whose loaded files (staging) or gate output (marts) changed since the last completed run
    (``last``), with what depends on them."""

    full: str | None
    last: RunInputs | None = None
    readers: dict[str, list[str]] = field(default_factory=dict)


def plan_builds(cfg: Settings, inputs: RunInputs, last: RunInputs | None, full: bool) -> BuildPlan:
    """Decide, before extract, whether this run may build only what changed. Any doubt
    builds everything: ``--full``, the first run of a workspace (or after a run that did not
    complete: its record is forgotten), a record of an older version, another fingerprint
    (contracts, suites, reference data, code, dbt project), the lake (not measured yet),
    a project read in a way not understood (``project_tables``), a model's table missing,
    or another process having loaded or validated since the last run."""
    from ddss.warehouse import connect

    reason = _recorded_doubt(cfg, inputs, last, full)
    if reason is not None or last is None:
        return BuildPlan(reason or "no record")
    project = project_tables(cfg)
    if isinstance(project, str):
        return BuildPlan(project)
    readers, relations = project.readers, project.relations
    if not set(readers) <= {c.id for c in source_contracts(cfg)}:
        return BuildPlan("a model reads the quarantine of an unknown dataset")
    with connect(cfg) as con:
        tables = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        seen = activity(con)
    if not relations <= tables:
        return BuildPlan("a model's table is missing: " + ".".join(sorted(relations - tables)[0]))
    if seen != last.activity:
        return BuildPlan(f"another process loaded or validated since run {last.run_id}")
    return BuildPlan(None, last, readers)


def _recorded_doubt(
    cfg: Settings, inputs: RunInputs, last: RunInputs | None, full: bool
) -> str | None:
    if full:
        return "--full"
    if last is None:
        return "first run of the workspace, or the last run did not complete"
    if not last.activity:
        return "the last run's record has no build state"
    if last.fingerprint != inputs.fingerprint:
        return "contracts, suites, reference data, code or dbt project changed"
    if cfg.lake:
        return "lake mode"
    return None


def _changed(now: dict[str, str], before: dict[str, str]) -> set[str]:
    return {d for d in set(now) | set(before) if now.get(d) != before.get(d)}


def _trim_heap() -> None:
    """glibc's malloc_trim(0): free heap pages go back to the system (a no-op elsewhere)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


def _reset_peak_rss() -> None:
    """Linux: hand the memory the previous step freed back to the system (glibc keeps freed
    heap pages for reuse: a step's Python objects would stay resident through every later
    step), then start the process's peak resident size (VmHWM) again from its current size,
    so that each step's own peak is measured (``proc(5)``, ``clear_refs``)."""
    _trim_heap()
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
    (a backfill). dbt builds only the staging and marts of the datasets whose inputs changed
    since the last completed run, and what depends on them (``plan_builds``; ``full`` or any
    doubt: everything); ``summary.dbt`` says which, and the nodes dbt ran."""
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

    plan = timed("plan", plan_builds, cfg, inputs, last, full)
    summary.extract = timed("extract", extract_step, run_id, None, cfg, period, inputs=inputs)
    staged = _to_stage(run_id, cfg, plan, summary.extract)
    nodes = timed("stage", stage_step, cfg, None, staged)
    summary.dbt["full"] = plan.full
    summary.dbt["staging"] = {"datasets": staged, "nodes": sorted(n["node"] for n in nodes)}
    summary.validate = timed("validate", validate_step, run_id, None, cfg, as_of, data_docs)
    rebuilt = _to_rebuild_marts(cfg, plan, staged)
    nodes = timed("marts", marts_step, cfg, None, rebuilt, plan.readers)
    summary.dbt["marts"] = {"datasets": rebuilt, "nodes": sorted(n["node"] for n in nodes)}
    if publish:
        summary.publish = timed("publish", publish_step, run_id, cfg)
    if not summary.extract.get("deferred"):  # a file still being written: look again next run
        from ddss.warehouse import connect

        inputs.run_id = run_id
        inputs.version = summary.publish.get("version") if publish else None
        with connect(cfg) as con:  # what this run's staging and marts were built from
            inputs.staged = loaded_digests(con)
            inputs.validated = quarantine_digests(con)
            inputs.activity = activity(con)
        record(cfg, scope_of(None), inputs)
    return summary


def _to_stage(run_id: str, cfg: Settings, plan: BuildPlan, extract: dict) -> list[str] | None:
    """The datasets whose staging must be rebuilt after extract (None: all): a file loaded,
    replaced or withdrawn since the last run, or a period reopened (``--period``)."""
    from ddss.warehouse import connect

    if plan.full is not None or plan.last is None:
        return None
    with connect(cfg) as con:
        now = loaded_digests(con)
        loaded = {
            dataset
            for (dataset,) in con.execute(
                "select distinct dataset from meta.file_events where run_id = ? "
                "and status = 'loaded'",
                [run_id],
            ).fetchall()
        }
    changed = _changed(now, plan.last.staged) | loaded | set(extract.get("reopened_datasets", []))
    if not changed <= {c.id for c in source_contracts(cfg)}:
        plan.full = "rows of a dataset without a contract"
        return None
    return sorted(changed)


def _to_rebuild_marts(cfg: Settings, plan: BuildPlan, staged: list[str] | None) -> list[str] | None:
    """The datasets whose marts must be rebuilt after validation (None: all): those staged
    again, and those whose rows in the quarantine (what the marts leave out) changed."""
    from ddss.warehouse import connect

    if staged is None or plan.last is None:
        return None
    with connect(cfg) as con:
        now = quarantine_digests(con)
    return sorted(set(staged) | _changed(now, plan.last.validated))


def known_departments(cfg: Settings | None = None) -> list[str]:
    return sorted({c.department.id for c in load_contracts(cfg).values()})
