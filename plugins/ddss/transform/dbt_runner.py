"""dbt, in-process (dbtRunner): staging before the quality gate, marts after it."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ddss.settings import Settings, load_settings
from ddss.warehouse import LOCK_ERROR, _busy, _holder, _open, lock_wait_seconds

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    pass


@contextmanager
def _dbt_environment(cfg: Settings):
    """The variables dbt's profile reads, from these settings, not from the process's
    environment: a check's scratch settings (file mode) must not reach the lake that
    DDSS_LAKE_CATALOG names for the production runs."""
    wanted = {
        "DDSS_WAREHOUSE": str(cfg.warehouse_path),
        "DDSS_LAKE_CATALOG": cfg.lake_catalog,
        "DDSS_LAKE_DATA_PATH": cfg.lake_data_path if cfg.lake_catalog else None,
        # DuckDB's memory bound, as the settings say (profiles.yml reads it for the lake's
        # in-memory instance; the file's instance is bounded by the connection held open).
        "DDSS_DUCKDB_MEMORY_LIMIT": cfg.duckdb_memory_limit,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {k: os.environ.get(k) for k in wanted}
    for key, value in wanted.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; close it, so
    that the next step in this process may open the file (even read-only) and so that no
    other process finds it locked."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _invoke_once(args: list[str], cfg: Settings):
    """One in-process dbt command on the workspace's warehouse: dbt's own result."""
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner  # heavy import: only when a task needs dbt

    cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    target = cfg.warehouse_path.parent / "dbt_target"
    common = [
        "--project-dir",
        str(cfg.dbt_project_dir),
        "--profiles-dir",
        str(cfg.dbt_profiles_dir),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        # Plain text in logs and files: no terminal colour codes.
        "--no-use-colors",
        "--no-use-colors-file",
    ]
    # dbt's manifest.json (1.6 MB, written twice per command: 0.3-0.6 s) and graph.gpickle
    # are read by nothing here; run_results.json is written below (10 ms). A caller that
    # wants them all says --write-json.
    results_only = "--write-json" not in args and "--no-write-json" not in args
    if results_only:
        common.append("--no-write-json")
    if "--no-partial-parse" not in args:
        # The parsed project is saved in the target path (partial_parse.msgpack) and reused
        # while the project files, dbt_project.yml and the profile's connection (the
        # warehouse path) are unchanged: 0.3 s instead of 3 s per invocation.
        common.append("--partial-parse")
    if not log.isEnabledFor(logging.INFO) and not {"--quiet", "-q", "--log-level"} & set(args):
        # `ddss run` without -v: dbt prints nothing; what failed reaches the person through
        # DbtFailed (every failed node and its message) and dbt.log keeps everything. Not
        # merely --quiet: dbt still formats every event for the console, then drops it
        # (0.2-0.5 s of CPU per command).
        # (--log-level alone would set the file's level too: dbt.log keeps debug.)
        common += ["--quiet", "--log-level", "none", "--log-level-file", "debug"]
    with _dbt_environment(cfg):
        try:
            result = _parsed_projects.invoke(dbtRunner, args, common, cfg, target)
        finally:
            _release_warehouse()
    if results_only and isinstance(result.result, RunExecutionResult):
        # What each node did and how long it took, as dbt writes it (bench/dbt_bench.py
        # reads the model times).
        result.result.write(str(target / "run_results.json"))
    return result


# Commands that only read the parsed project; options of theirs that do not change what
# dbt parses. A command with any other option (--target, --defer, --state, --inline, which
# adds a node to the manifest, ...) is parsed by dbt itself, as before.
_READS_MANIFEST = frozenset({"build", "run", "test", "seed", "snapshot", "compile"})
_RUNTIME_OPTIONS = frozenset(
    {
        "--select",
        "-s",
        "--exclude",
        "--resource-type",
        "--exclude-resource-type",
        "--indirect-selection",
        "--threads",
        "--quiet",
        "-q",
        "--full-refresh",
        "--fail-fast",
        "-x",
        "--store-failures",
        "--empty",
        "--write-json",
        "--no-write-json",
        "--partial-parse",
        "--vars",
        "--log-level",
        "--log-level-file",
    }
)
# What compiling a node sets on it (dbt.compilation), as a parse leaves it: put back before
# the manifest serves another command, so that each command compiles every node afresh (an
# ephemeral model's CTE is injected only into a node not yet marked extra_ctes_injected).
_AS_PARSED = {
    "compiled": False,
    "compiled_code": None,
    "compiled_path": None,
    "extra_ctes_injected": False,
    "_pre_injected_sql": None,
}


def _vars_option(args: list[str]) -> list[str]:
    """The --vars of ``args`` (dbt parses with them): ``["--vars", VALUE]`` or []."""
    for i, arg in enumerate(args):
        if arg == "--vars" and i + 1 < len(args):
            return ["--vars", args[i + 1]]
        if arg.startswith("--vars="):
            return [arg]
    return []


class _ManifestCatcher:
    """An event callback (dbtRunner's public hook) that keeps the command's context object,
    where dbt keeps the manifest it parsed (the one ``dbtRunner(manifest=...)`` sets): the
    first command of a process parses as it always did, and its manifest is kept."""

    def __init__(self) -> None:
        self.obj: dict | None = None

    def __call__(self, event: Any) -> None:
        if self.obj is None:
            import click

            ctx = click.get_current_context(silent=True)
            if ctx is not None and isinstance(ctx.obj, dict):
                self.obj = ctx.obj

    def manifest(self) -> Any:
        return None if self.obj is None else self.obj.get("manifest")


class _ParsedProject:
    """The project as dbt parsed it in this process (dbt's Manifest), handed to the next
    command (``dbtRunner(manifest=...)``, dbt's programmatic interface) instead of parsing
    again: each ``ddss run`` invokes dbt at least twice (staging, marts), and each parse,
    partial or not, reads partial_parse.msgpack and writes manifest.json (0.3-0.8 s).

    The manifest is reused only while everything dbt parsed is unchanged: every file of the
    project and the profile (their bytes), the profile's environment (the warehouse, the
    lake), DBT_* variables, the --vars, the target path, and the environment variables the
    project's files read; otherwise dbt parses again, with its own partial parsing, so an
    edited model is picked up as before. One project at a time (the last one parsed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: str | None = None
        self._manifest: Any = None

    def invoke(self, runner: Any, args: list[str], common: list[str], cfg: Settings, target):
        options = {a.split("=", 1)[0] for a in args[1:] if a.startswith("-")}
        if args[0] not in _READS_MANIFEST or not options <= _RUNTIME_OPTIONS:
            return runner().invoke([*args, *common])
        state = _project_state(cfg, target, _vars_option(args))
        with self._lock:
            manifest = self._manifest if state == self._state else None
            if manifest is not None and not _same_env_vars(manifest):
                manifest = None
            self._state, self._manifest = None, None  # in use: not shared meanwhile
        if manifest is None:
            catcher = _ManifestCatcher()
            result = runner(callbacks=[catcher]).invoke([*args, *common])
            manifest = catcher.manifest()
        else:
            for node in manifest.nodes.values():
                for attr, value in _AS_PARSED.items():
                    if hasattr(node, attr):
                        setattr(node, attr, value)
                if hasattr(node, "extra_ctes"):
                    node.extra_ctes = []
            result = runner(manifest=manifest).invoke([*args, *common])
        from dbt.contracts.graph.manifest import Manifest

        if isinstance(manifest, Manifest):
            with self._lock:
                self._state, self._manifest = state, manifest
        return result


def _same_env_vars(manifest: Any) -> bool:
    """The environment variables the project's files read (dbt records them) still hold the
    values they were parsed with."""
    return all(os.environ.get(k) == v for k, v in (manifest.env_vars or {}).items())


def _project_state(cfg: Settings, target, vars_option: list[str]) -> str:
    """A digest of everything a parse of the project depends on (see _ParsedProject)."""
    digest = hashlib.sha256()
    roots = {cfg.dbt_project_dir, cfg.dbt_profiles_dir}
    for root in sorted(roots):
        for folder, dirs, files in os.walk(root):
            if Path(folder) == cfg.dbt_project_dir:
                dirs[:] = [d for d in dirs if d not in ("target", "logs")]  # dbt's own output
            dirs.sort()
            for name in sorted(files):
                if name == ".user.yml":  # dbt's anonymous user id, not parsed
                    continue
                path = Path(folder) / name
                digest.update(f"{path}\0".encode())
                try:
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
                except OSError:  # gone while we looked (an editor's swap file): dbt parses
                    digest.update(os.urandom(16))
    environment = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k.startswith("DBT_")
        or k in ("DDSS_WAREHOUSE", "DDSS_LAKE_CATALOG", "DDSS_LAKE_DATA_PATH")
    )
    digest.update(repr((environment, str(target), vars_option)).encode())
    return digest.hexdigest()


_parsed_projects = _ParsedProject()


def _lock_error(result) -> str | None:
    """DuckDB's lock message when dbt could not open the warehouse because another process
    holds it (dbt ends with that IOException), else None."""
    texts = [str(result.exception or "")]
    if result.result is not None and hasattr(result.result, "results"):
        texts += [str(r.message or "") for r in result.result.results]
    return next((t for t in texts if LOCK_ERROR in t), None)


def _invoke(args: list[str], cfg: Settings):
    """``_invoke_once``, waiting while another process holds the warehouse file, as
    ``ddss.warehouse.connect`` does (DDSS_WAREHOUSE_LOCK_WAIT_SECONDS, a warning in both
    languages), then WarehouseBusy naming the file and the process holding it.

    The file is opened first and kept open while dbt runs: dbt's own open in this process
    then shares that DuckDB instance (same file, same configuration), so no other process
    can take the lock in between and dbt never starts only to fail and print DuckDB's
    traceback. Should dbt still meet the lock, its lock error is retried the same way."""
    if cfg.lake:  # the lake's catalog is PostgreSQL: no file lock
        return _invoke_once(args, cfg)
    path = str(cfg.warehouse_path)
    limit = lock_wait_seconds()
    started = time.monotonic()
    delay = 0.25
    while True:
        cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        held = _open(path, read_only=False)  # waits for the lock, or WarehouseBusy
        try:
            result = _invoke_once(args, cfg)
        finally:
            held.close()
        lock = _lock_error(result)
        if lock is None:
            return result
        waited = time.monotonic() - started
        if waited >= limit:
            raise _busy(path, waited, duckdb.IOException(lock)) from result.exception
        log.warning(
            "dbt không mở được kho dữ liệu %s: tiến trình khác (%s) vừa giữ nó; chờ rồi chạy "
            "lại dbt %s (tối đa %.0f giây). / dbt could not open the warehouse %s: another "
            "process (%s) took it; waiting to run dbt %s again (up to %.0f s).",
            path,
            _holder(lock),
            args[0],
            limit,
            path,
            _holder(lock),
            args[0],
            limit,
        )
        time.sleep(min(delay, max(limit - waited, 0.0)))
        delay = min(delay * 2, 2.0)


def run_dbt(args: list[str], cfg: Settings | None = None) -> list[dict]:
    """Run one dbt command; raise DbtFailed naming every failed node."""
    result = _invoke(args, cfg or load_settings())
    nodes = []
    if result.result is not None and hasattr(result.result, "results"):
        for r in result.result.results:
            nodes.append(
                {
                    "node": r.node.name,
                    "status": str(r.status),
                    "message": r.message,
                    "failures": getattr(r, "failures", None),
                }
            )
    for node in nodes:
        if node["status"] == "warn" and node["node"].startswith("no_code_padded_"):
            log.warning(padding_warning(node))
    if not result.success:
        failed = [n for n in nodes if n["status"] not in ("success", "pass", "skipped")]
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message'] or ''}" for n in failed)
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail or result.exception}")
    log.info("dbt %s: %d nodes ok", " ".join(args), len(nodes))
    return nodes


def padding_warning(node: dict) -> str:
    """What the padding test (no_code_padded, a dbt warning) tells the data engineer, in
    both languages: how many codes of which model and column were padded."""
    where = node["node"].removeprefix("no_code_padded_").removesuffix("_padded")
    count = node.get("failures")
    return (
        f"CẢNH BÁO / WARNING {where}: {count} mã gửi thiếu số 0 ở đầu đã được thêm cho đủ "
        f"độ dài (dòng vẫn dùng) / {count} codes sent without their leading zeros were "
        "padded to their width (rows kept)"
    )


def _selector(layer: str, department: str | None) -> str:
    # A department's run rebuilds only its own models: another department's marts change
    # only after that department's own validation.
    return f"path:models/{layer}/{department}" if department else layer


def staging_selection(department: str | None = None) -> list[str]:
    """The nodes of the stage step: staging models and their tests (unit tests too)."""
    return [_selector("staging", department)]


def marts_selection(department: str | None = None) -> list[str]:
    """The nodes of the build_marts step: the marts and their tests, then the snapshots
    downstream of these marts (history of the validated rows), in one dbt build: dbt runs
    a snapshot after its marts and their tests, and skips it when one of them fails."""
    selector = _selector("marts", department)
    return [selector, f"resource_type:snapshot,{selector}+"]


def build_staging(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    return run_dbt(["build", "--select", *staging_selection(department)], cfg)


def build_marts(cfg: Settings | None = None, department: str | None = None) -> list[dict]:
    return run_dbt(["build", "--select", *marts_selection(department)], cfg)


def compile_inline(sql: str, cfg: Settings | None = None) -> str:
    """The SQL dbt compiles from ``sql`` (Jinja with the project's macros): what a macro
    such as ``phone_e164('value')`` becomes, to run it outside a model."""
    result = _invoke(["compile", "--quiet", "--inline", sql], cfg or load_settings())
    if not result.success:
        raise DbtFailed(f"dbt compile failed: {result.exception}")
    return result.result.results[0].node.compiled_code
