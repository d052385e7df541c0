"""`ddss` — the command line over the same functions the DAGs call."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import typer

from ddss.settings import load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="đúng · đủ · sạch · sống — departmental data to validated open data.")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")


def _run_id() -> str:
    return "manual__" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")


@app.command()
def generate(
    out: Path = typer.Option(..., help="Landing root: one folder per department is written here."),
    seed: int = typer.Option(2022, help="Random seed; the same seed gives the same bytes."),
    scale: float = typer.Option(1.0, help="Multiplies the rows; the seed figures are exact at 1."),
) -> None:
    """Write the departments' feeds, with injected defects and a truth manifest."""
    from ddss.generate import generate as run

    manifest = run(out, seed, scale)
    typer.echo(f"{len(manifest['files'])} files, {sum(manifest['clean_rows'].values())} clean rows, "
               f"{len(manifest['defects'])} injected defects -> {out} (truth: {out / 'truth-manifest.json'})")


@app.command()
def run(run_id: str = typer.Option(None, help="Defaults to manual__<UTC time>."),
        as_of: datetime = typer.Option(None, formats=["%Y-%m-%d"],
                                       help="Judge freshness (sống) as of this date; default today."),
        verbose: bool = False) -> None:
    """The whole pipeline in this process, without Airflow (extract → publish)."""
    from ddss.errors import PublicationBlocked
    from ddss.pipeline import run_all

    import dataclasses

    from ddss.api_server import ApiServer

    _logging(verbose)
    cfg = load_settings()
    server = None
    if not cfg.api_url and (cfg.landing_dir / "_http").is_dir():
        # Generated feeds: serve their API part locally, as `make demo` does.
        server = ApiServer(cfg.landing_dir / "_http")
        cfg = dataclasses.replace(cfg, api_url=server.start())
    try:
        summary = run_all(run_id or _run_id(), cfg, as_of=(as_of or datetime.now(timezone.utc)).date())
    except PublicationBlocked as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        if server:
            server.stop()
    typer.echo(json.dumps(summary.__dict__, ensure_ascii=False, indent=1))


@app.command()
def check(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="The file to check."),
    dataset: str = typer.Option(..., help="Dataset id, e.g. admin_procedure_dossiers."),
    as_json: bool = typer.Option(False, "--json", help="Print the failures as JSON."),
) -> None:
    """Check a file before sending it, with the pipeline's own rules. Exit 0 when clean, 1 otherwise."""
    from ddss.check import check_file

    logging.basicConfig(level=logging.WARNING)
    try:
        result = check_file(path, dataset)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result.failures, ensure_ascii=False, indent=1))
    else:
        for note in result.notes:
            typer.echo(f"! {note}")
        if result.clean:
            typer.echo(f"{result.file}: {result.rows} dòng, không có lỗi. / {result.rows} rows, no problems.")
        else:
            typer.echo(f"{result.file}: {len(result.failures)} lỗi cần sửa / problems to fix")
            for f in result.failures:
                where = f"dòng/row {f['source_row']}" if f["source_row"] else "cả tệp/whole file"
                column = f", cột/column '{f['column']}'" if f["column"] else ""
                value = f", giá trị/value {f['value']!r}" if f["value"] is not None else ""
                typer.echo(f"- {where}{column}{value}: {f['message_vi']} / {f['message_en']}")
    raise typer.Exit(0 if result.clean else 1)


@app.command("airflow-init")
def airflow_init() -> None:
    """Migrate the project-local Airflow metadata database and create the writer pool."""
    from ddss import airflow_env

    airflow_env.init(airflow_env.environment())
    typer.echo(f"Airflow home: {airflow_env.environment()['AIRFLOW_HOME']}")


@app.command("airflow-ui")
def airflow_ui(port: int = 8080) -> None:
    """`airflow standalone` on 127.0.0.1 with the project's DAGs (Ctrl-C to stop)."""
    import os

    from ddss import airflow_env

    env = airflow_env.environment()
    airflow_env.init(env)
    env.update({
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    })
    cfg = load_settings()
    if not cfg.api_url and (cfg.landing_dir / "_http").is_dir():
        # The tax department's API, for the hanoi_tax__extract DAG: a child process that
        # outlives this one's exec into Airflow.
        import subprocess

        api_port = 8765
        subprocess.Popen([str(Path(sys.executable).with_name("ddss")), "serve-api", "--port", str(api_port)],
                         stdout=subprocess.DEVNULL, start_new_session=True)
        env["DDSS_API_URL"] = f"http://127.0.0.1:{api_port}"
        typer.echo(f"Departments' API: {env['DDSS_API_URL']} (ddss serve-api)")
    passwords = f"{env['AIRFLOW_HOME']}/simple_auth_manager_passwords.json.generated"
    typer.echo(f"Airflow UI: http://127.0.0.1:{port}  — user 'admin', password in {passwords}")
    typer.echo("(also printed by airflow standalone below when it starts)")
    executable = str(Path(sys.executable).with_name("airflow"))
    os.execve(executable, [executable, "standalone"], env)


@app.command()
def demo(
    scale: float = typer.Option(1.0, help="Feed size; the published figures are exact at 1."),
    fresh: bool = typer.Option(True, help="Start from empty landing, raw and warehouse."),
) -> None:
    """Generate the feeds, run the real Airflow DAG end to end, publish public/."""
    from ddss import airflow_env
    from ddss.generate import generate as make_feeds

    cfg = load_settings()
    if fresh:
        for path in (cfg.landing_dir, cfg.raw_dir, cfg.warehouse_path.parent, cfg.reports_dir):
            shutil.rmtree(path, ignore_errors=True)
    typer.echo("1/3 Sinh dữ liệu các sở / generating departmental feeds ...")
    manifest = make_feeds(cfg.landing_dir, 2022, scale, cfg)
    typer.echo(f"    {len(manifest['files'])} files in {cfg.landing_dir} "
               f"({len(manifest['defects'])} injected defects listed in truth-manifest.json)")
    from ddss.api_server import ApiServer

    # The tax department publishes through an HTTP API: served locally from what generate wrote.
    api = ApiServer(cfg.landing_dir / "_http")
    api_url = api.start()
    typer.echo(f"    departments' HTTP API on {api_url} (serving {cfg.landing_dir / '_http'})")
    env = {**airflow_env.environment(cfg), "DDSS_API_URL": api_url}
    typer.echo(f"2/3 Airflow (home {env['AIRFLOW_HOME']}, SQLite): db migrate, pool ...")
    airflow_env.init(env)
    # The feeds are the centre's Jan-Jul 2022; the run is dated after July's deadline, as
    # the monthly run that would have processed them (freshness is judged as of this date).
    logical_date = "2022-08-11T00:00:00+00:00"
    from ddss.pipeline import known_departments

    log_path = Path(env["AIRFLOW_HOME"]) / "demo-dags-test.log"
    outputs = []
    for department in known_departments(cfg):
        typer.echo(f"3/3 airflow dags test {department}__extract, then {department} (on its raw assets) ...")
        state, output = airflow_env.department_test(department, logical_date, env)
        outputs.append(output)
        log_path.write_text("\n".join(outputs), "utf-8")
        if state != "success":
            typer.echo(output[-4000:], err=True)
            typer.echo(f"DAG {department} ended in state '{state}'; full log: {log_path}", err=True)
            api.stop()
            raise typer.Exit(1)
    api.stop()
    _print_where(cfg, log_path)


@app.command("serve-api")
def serve_api(
    root: Path = typer.Option(None, help="Folder written by generate (default: <landing>/_http)."),
    port: int = 8765,
) -> None:
    """Serve the departments' paginated JSON APIs on 127.0.0.1 (set DDSS_API_URL to it)."""
    import time

    from ddss.api_server import ApiServer

    cfg = load_settings()
    server = ApiServer(root or cfg.landing_dir / "_http", port)
    typer.echo(f"{server.start()}  (DDSS_API_URL; Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


@app.command("legacy-wards")
def legacy_wards_command(
    out: Path = typer.Option(None, help="Default: the crosswalk the pipeline loads (plugins/ddss/legacy_wards.csv)."),
) -> None:
    """Rebuild the pre-2025 -> 2025 ward crosswalk from the vietnamadminunits package (dev extra)."""
    from ddss.reference import LEGACY_WARDS, write_legacy_wards

    target = out or LEGACY_WARDS
    typer.echo(f"{write_legacy_wards(target)} pre-2025 ward codes -> {target}")


def _print_where(cfg, log_path: Path) -> None:
    from ddss.publish import current_version

    index = cfg.public_dir / "index.html"
    reports = sorted(cfg.reports_dir.glob("*/*/index.html"), key=lambda p: p.stat().st_mtime)
    latest_reports = {p.parent.name: p for p in reports}
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))["datasets"]
    typer.echo("")
    typer.echo(f"Đã công bố / published: version {current_version(cfg)}")
    for path in sorted((cfg.public_dir / "downloads").glob("*.csv")):
        typer.echo(f"  {path.relative_to(cfg.home) if path.is_relative_to(cfg.home) else path}")
    for dataset, q in quality.items():
        if "derived_from" in q:
            typer.echo(f"  {dataset}: derived from {', '.join(q['derived_from'])}")
        else:
            typer.echo(f"  {dataset}: {q['rows_checked']} rows checked, {q['rows_quarantined']} quarantined")
    scorecard = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))["departments"]
    for department, card in scorecard.items():
        scores = ", ".join(f"{k} {v}" for k, v in card["scores"].items())
        typer.echo(f"  bảng điểm / scorecard {department}: {scores}")
    typer.echo(f"Cổng dữ liệu / portal:      {index}   (make serve → http://127.0.0.1:8000)")
    typer.echo(f"Metadata:                   {cfg.public_dir / 'datapackage.json'}, {cfg.public_dir / 'catalog.jsonld'}")
    for department, report in sorted(latest_reports.items()):
        typer.echo(f"Báo cáo chất lượng / quality report ({department}): {report}")
    typer.echo(f"Airflow log:                {log_path}")


@app.command()
def serve(port: int = 8000) -> None:
    """Serve public/ on http://127.0.0.1:PORT."""
    import functools
    import http.server

    cfg = load_settings()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(cfg.public_dir))
    typer.echo(f"http://127.0.0.1:{port}/  (Ctrl-C to stop)")
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
