"""`ddss` — the command line over the same functions the DAGs call."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from ddss.settings import load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="đúng · đủ · sạch · sống — departmental data to validated open data.",
    # Plain help: typer's rich tables print "<bool>" after every flag with this click.
    rich_markup_mode=None,
)


def _logging(verbose: bool) -> None:
    """Quiet by default: warnings and errors (a rejected file, a late feed, a held-back
    dataset) and the run's summary; ``-v`` shows every step, dbt's and GX's included."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        for noisy in ("great_expectations", "dbt", "py.warnings"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def _run_id() -> str:
    return "manual__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


@app.command()
def run(
    run_id: str = typer.Option(None, help="Defaults to manual__<UTC time>."),
    as_of: datetime = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        help="Judge freshness (sống) as of this date. Default: today (UTC), as a production "
        "run would; for old data such as the demo's (Jan–Jul 2022) give its run date, "
        "e.g. 2022-08-11, or every period counts as late.",
    ),
    publish: bool = typer.Option(
        True,
        "--publish/--no-publish",
        help="--no-publish: an experimental run that validates and writes the steward "
        "reports but publishes nothing, so nothing of it reaches public/ or its history.",
    ),
    period: str = typer.Option(
        None,
        help="Load this period's files again (e.g. 2022-03) even when nothing changed: a "
        "backfill of one month. Without it, a run with nothing new does nothing.",
    ),
    full: bool = typer.Option(
        False,
        "--full",
        help="Run every step even when nothing is new (after a code change, say).",
    ),
    data_docs: bool = typer.Option(
        None,
        "--data-docs/--no-data-docs",
        help="Build GX Data Docs beside the steward reports in the run (default: "
        "DDSS_DATA_DOCS, off; `ddss docs RUN_ID` builds them afterwards).",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Every step's log, dbt and GX too."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run's summary as JSON."),
) -> None:
    """The whole pipeline in this process, without Airflow (extract → publish). A run with
    nothing new (no new or changed file, same contracts and reference data) does nothing."""
    from ddss.errors import PublicationBlocked
    from ddss.orchestration.pipeline import run_all
    from ddss.orchestration.sources import local_sources
    from ddss.transform.dbt_runner import DbtFailed
    from ddss.warehouse import WarehouseBusy

    _logging(verbose)
    as_of_date = (as_of or datetime.now(UTC)).date()
    run_id = run_id or _run_id()
    try:
        with local_sources(load_settings()) as cfg:
            summary = run_all(
                run_id,
                cfg,
                as_of=as_of_date,
                publish=publish,
                period=period,
                data_docs=data_docs,
                full=full,
            )
    except PublicationBlocked as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except WarehouseBusy as exc:  # already both languages, naming the file and its holder
        typer.echo(f"Lượt chạy {run_id} dừng / run {run_id} stopped: {exc}", err=True)
        raise typer.Exit(1) from exc
    except DbtFailed as exc:  # dbt's own text names the command and the failed nodes
        typer.echo(
            f"Lượt chạy {run_id} dừng: bước dbt thất bại, không có gì được công bố; xem chi "
            f"tiết dưới đây (chạy lại với -v để xem toàn bộ nhật ký). / Run {run_id} stopped: "
            f"a dbt step failed, nothing was published; details below (run again with -v for "
            f"the whole log).\n{exc}",
            err=True,
        )
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(summary.__dict__, ensure_ascii=False, indent=1))
    else:
        for line in summary.lines():
            typer.echo(line)


@app.command()
def docs(run_id: str = typer.Argument(..., help="The run whose steward reports get them.")) -> None:
    """Build the GX Data Docs of a run's validation and link them with its steward reports
    (a run leaves them out: GX takes seconds per department)."""
    from ddss.orchestration.pipeline import docs_step

    logging.basicConfig(level=logging.WARNING)
    built = docs_step(run_id, load_settings())
    if not built:
        typer.echo(f"Không có báo cáo nào của lượt {run_id} / no steward report of run {run_id}")
        raise typer.Exit(1)
    for department, index in sorted(built.items()):
        typer.echo(f"GX Data Docs ({department}): {index}")


class _CheckCommand(TyperCommand):
    """``check --help`` ends with the dataset ids, read from the contracts only when that
    help is shown (not whenever the CLI is imported: every command paid for it)."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:  # typer vendors click
        from ddss.quality.check import datasets_help

        self.epilog = "Bộ dữ liệu / datasets: " + datasets_help()
        super().format_epilog(ctx, formatter)


@app.command(cls=_CheckCommand)
def check(
    path: Path = typer.Argument(..., help="The file to check."),
    dataset: str = typer.Option(..., help="Dataset id (listed below)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        metavar=" ",  # a flag: no <bool> after it in the help
        help="Print one JSON object: file, dataset, rows, clean, summary, failures, notes.",
    ),
) -> None:
    """Check a file before sending it, with the pipeline's own rules. Exit 0 when clean,
    1 when problems were found, 2 when the file cannot be checked (unknown dataset, a file
    of another kind)."""
    from ddss.quality.check import CheckRefused, check_file, render_text

    logging.basicConfig(level=logging.WARNING)
    try:
        result = check_file(path, dataset)
    except CheckRefused as exc:
        if as_json:  # a script reading standard output learns which file could not be checked
            refused = {"file": path.name, "dataset": dataset, "error": str(exc)}
            typer.echo(json.dumps(refused, ensure_ascii=False))
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
    else:
        typer.echo(render_text(result))
    raise typer.Exit(0 if result.clean else 1)


@app.command()
def withdraw(
    target: str = typer.Argument(
        ..., help="The file: its path in the landing folder, or its name with --dataset."
    ),
    dataset: str = typer.Option(None, help="Dataset id, when the file is no longer in landing."),
    reason: str = typer.Option("", help="Why: kept in the audit trail."),
) -> None:
    """Withdraw a file sent by mistake: its rows leave the data at the next run; the raw
    copy and the audit trail stay. Exit 2 when it cannot be withdrawn."""
    from ddss.ingest.withdraw import WithdrawError
    from ddss.ingest.withdraw import withdraw as take_back

    logging.basicConfig(level=logging.WARNING)
    try:
        done = take_back(target, load_settings(), dataset, reason)
    except WithdrawError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"Đã rút lại / withdrawn: {done.file_name} ({done.dataset}), {done.rows_removed} "
        f"dòng bỏ khỏi dữ liệu / rows removed; sha256 {done.sha256[:12]}… stays in the archive."
    )
    if done.landing_moved_to:
        typer.echo(f"  landing file moved to {done.landing_moved_to}")
    typer.echo(
        "  The next run (ddss run, or the department's DAGs) validates and publishes without it."
    )


@app.command("airflow-init")
def airflow_init() -> None:
    """Migrate the project-local Airflow metadata database and create the writer pool."""
    from ddss.orchestration import airflow_env

    airflow_env.init(airflow_env.environment())
    typer.echo(f"Airflow home: {airflow_env.environment()['AIRFLOW_HOME']}")


@app.command("airflow-ui")
def airflow_ui(port: int = 8080) -> None:
    """Airflow (scheduler, DAG processor, triggerer, API server) on 127.0.0.1 with the
    project's DAGs; Ctrl-C stops all of it."""
    import signal

    from ddss.orchestration import airflow_env
    from ddss.orchestration.sources import local_sources

    with local_sources(load_settings()) as cfg:
        env = airflow_env.environment(cfg, api_port=port)
        airflow_env.init(env)
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin"
        if cfg.api_url:
            typer.echo(f"Departments' API: {cfg.api_url}")
        passwords = f"{env['AIRFLOW_HOME']}/simple_auth_manager_passwords.json.generated"
        typer.echo(f"Airflow UI: http://127.0.0.1:{port}  — user 'admin', password in {passwords}")
        typer.echo(
            "DAGs start paused: unpause a department's two DAGs to let the scheduler run them "
            "(it runs the latest period at once). Ctrl-C stops Airflow."
        )
        process = airflow_env.start_components(env, port)
        # Ctrl-C (SIGINT) and a service manager's SIGTERM both stop the whole group, also
        # when this process was started in the background with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            process.wait()
        except KeyboardInterrupt:
            typer.echo("Stopping Airflow ...")
        finally:
            airflow_env.stop_components(process)
        typer.echo("Airflow stopped.")


@app.command()
def serve(port: int = typer.Option(8000, help="Port on 127.0.0.1.")) -> None:
    """The portal (public/, current version) at http://127.0.0.1:PORT/ and the read-only query
    API over the published versions at /api/v1/ (help page there, OpenAPI at
    /api/v1/openapi.json). Listens on 127.0.0.1 only."""
    from ddss.api.app import serve as serve_portal_and_api

    serve_portal_and_api(load_settings().public_dir, port, typer.echo)


def _add_steward_commands() -> None:
    """The steward workspace's commands: `ddss users ...`, `ddss steward`, `ddss steward-notify`
    (their module imports only typer and the accounts store; the web stack loads on serve)."""
    from ddss.steward.commands import notify, serve, users_app

    app.add_typer(users_app, name="users")
    app.command("steward")(serve)
    app.command("steward-notify")(notify)


_add_steward_commands()


def _add_plugin_commands() -> None:
    """Commands other installed packages add (the demo tools: generate, demo, serve-api,
    legacy-wards), through the ``ddss.commands`` entry-point group."""
    for entry_point in entry_points(group="ddss.commands"):
        app.command(entry_point.name)(entry_point.load())


_add_plugin_commands()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
