"""``ddss generate | demo | serve-api | legacy-wards``: added to the ``ddss`` command line
through the ``ddss.commands`` entry-point group (see ``ddss.cli``)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import typer

from ddss.settings import Settings, load_settings


def generate(
    out: Path = typer.Option(..., help="Landing root: one folder per department is written here."),
    seed: int = typer.Option(2022, help="Random seed; the same seed gives the same bytes."),
    scale: float = typer.Option(1.0, help="Multiplies the rows; the seed figures are exact at 1."),
) -> None:
    """Write the departments' feeds, with injected defects and a truth manifest."""
    from ddss_demo.generate import generate as run

    manifest = run(out, seed, scale)
    typer.echo(
        f"{len(manifest['files'])} files, {sum(manifest['clean_rows'].values())} clean rows, "
        f"{len(manifest['defects'])} injected defects -> {out} "
        f"(truth: {out / 'truth-manifest.json'})"
    )


def demo(
    scale: float = typer.Option(1.0, help="Feed size; the published figures are exact at 1."),
    fresh: bool = typer.Option(True, help="Start from empty landing, raw and warehouse."),
) -> None:
    """Generate the feeds, run the real Airflow DAGs end to end, publish public/."""
    from ddss.lake import ensure_local_lake
    from ddss.orchestration import airflow_env
    from ddss.orchestration.pipeline import known_departments
    from ddss.orchestration.sources import local_sources
    from ddss_demo.generate import generate as make_feeds

    # DDSS_MODE=lake (make demo-lake): a local PostgreSQL catalog and data/lake/; else the file.
    cfg = ensure_local_lake(load_settings(), fresh=fresh)
    if fresh:
        for path in (cfg.landing_dir, cfg.raw_dir, cfg.warehouse_path.parent, cfg.reports_dir):
            shutil.rmtree(path, ignore_errors=True)
    typer.echo("1/3 Sinh dữ liệu các sở / generating departmental feeds ...")
    manifest = make_feeds(cfg.landing_dir, 2022, scale, cfg)
    typer.echo(
        f"    {len(manifest['files'])} files in {cfg.landing_dir} "
        f"({len(manifest['defects'])} injected defects listed in truth-manifest.json)"
    )
    # The tax department publishes through an HTTP API: served locally from what generate wrote.
    with local_sources(cfg) as served:
        typer.echo(f"    departments' HTTP API on {served.api_url}")
        env = airflow_env.environment(served)
        typer.echo(f"2/3 Airflow (home {env['AIRFLOW_HOME']}, SQLite): db migrate, pool ...")
        airflow_env.init(env)
        # The feeds are the centre's Jan-Jul 2022; the run is dated after July's deadline, as
        # the monthly run that would have processed them (freshness is judged as of this date).
        logical_date = "2022-08-11T00:00:00+00:00"
        log_path = Path(env["AIRFLOW_HOME"]) / "demo-dags-test.log"
        departments = known_departments(cfg)
        typer.echo(
            f"3/3 airflow dags test: {len(departments)} departments' extract and transform DAGs "
            "(on their raw assets), then one publish DAG (on their validated assets) ..."
        )
        # One process runs every `dags test` (Airflow's own command): not one per DAG.
        state, output = airflow_env.departments_test(departments, logical_date, env)
        log_path.write_text(output, "utf-8")
        if state != "success":
            typer.echo(output[-4000:], err=True)
            typer.echo(f"DAG {state}; full log: {log_path}", err=True)
            raise typer.Exit(1)
    _print_where(cfg, log_path)


def serve_api(
    root: Path = typer.Option(None, help="Folder written by generate (default: <landing>/_http)."),
    port: int = 8765,
) -> None:
    """Serve the departments' paginated JSON APIs on 127.0.0.1 (set DDSS_API_URL to it)."""
    from ddss_demo.api_server import ApiServer

    cfg = load_settings()
    server = ApiServer(root or cfg.landing_dir / "_http", port)
    typer.echo(f"{server.start()}  (DDSS_API_URL; Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def legacy_wards(
    out: Path = typer.Option(
        None, help="Default: the crosswalk the pipeline loads (ddss/reference/legacy_wards.csv)."
    ),
) -> None:
    """Rebuild the pre-2025 -> 2025 ward crosswalk and the whole pre-2025 list of units (with
    the ward(s) each became) from the vietnamadminunits package."""
    from ddss.reference.wards import LEGACY_WARDS, PRE_REFORM_WARDS
    from ddss_demo.crosswalk import write_legacy_wards

    target = out or LEGACY_WARDS
    typer.echo(f"{write_legacy_wards(target)} pre-2025 ward codes -> {target}")
    typer.echo(f"pre-2025 units -> {target.with_name(PRE_REFORM_WARDS.name)}")


def _shown(path: Path, cfg: Settings) -> Path:
    return path.relative_to(cfg.home) if path.is_relative_to(cfg.home) else path


def _print_where(cfg: Settings, log_path: Path) -> None:
    from ddss.publish.publisher import current_version

    index = cfg.public_dir / "index.html"
    reports = sorted(cfg.reports_dir.glob("*/*/index.html"), key=lambda p: p.stat().st_mtime)
    latest_reports = {p.parent.name: p for p in reports}
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))
    typer.echo("")
    typer.echo(f"Đã công bố / published: version {current_version(cfg)}")
    for path in sorted((cfg.public_dir / "downloads").glob("*.csv")):
        typer.echo(f"  {_shown(path, cfg)}")
    for dataset, q in quality["datasets"].items():
        if "derived_from" in q:
            typer.echo(f"  {dataset}: derived from {', '.join(q['derived_from'])}")
        else:
            typer.echo(
                f"  {dataset}: {q['rows_checked']} rows checked, {q['rows_quarantined']} quarantined"
            )
    for department, card in quality["departments"].items():
        scores = ", ".join(f"{k} {v}" for k, v in card["scores"].items())
        typer.echo(f"  bảng điểm / scorecard {department}: {scores}")
    typer.echo(f"Cổng dữ liệu / portal:      {index}   (make serve → http://127.0.0.1:8000)")
    typer.echo(
        f"Metadata:                   {cfg.public_dir / 'datapackage.json'}, {cfg.public_dir / 'catalog.jsonld'}"
    )
    for department, report in sorted(latest_reports.items()):
        typer.echo(f"Báo cáo chất lượng / quality report ({department}): {report}")
    typer.echo(f"Airflow log:                {log_path}")
