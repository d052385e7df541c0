"""The campaign's pipeline workspace, built once per session: the demo feeds at a small
scale, with the attacks of group 3 planted in the landing files (personal data in every
free-text column, formula prefixes, HTML/JS), run through the whole pipeline in process.
Every module copies it before changing anything (``copy_workspace``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import AS_OF, REPO, copy_workspace, settings_for
from ddss.settings import Settings

SCALE = 0.05
SEED = 2022
DDSS = str(Path(sys.executable).with_name("ddss"))


def ddss_env(cfg: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``ddss`` process working in ``cfg``'s workspace."""
    env = dict(os.environ)
    for name in ("DDSS_LANDING_DIR", "DDSS_RAW_DIR", "DDSS_WAREHOUSE", "DDSS_REPORTS_DIR"):
        env.pop(name, None)
    env.update(
        DDSS_HOME=str(REPO),
        DDSS_DATA_DIR=str(cfg.landing_dir.parent),
        DDSS_PUBLIC_DIR=str(cfg.public_dir),
        DDSS_API_URL=cfg.api_url or "",
    )
    env.update(extra)
    return env


def run_command(cfg: Settings, run_id: str) -> list[str]:
    return [DDSS, "run", "--run-id", run_id, "--as-of", AS_OF.isoformat()]


def ddss_run(cfg: Settings, run_id: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        run_command(cfg, run_id),
        env=ddss_env(cfg),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def build(root: Path, api_url: str, plant=None) -> Settings:
    """Feeds generated into landing (the tax department's API part served at ``api_url``
    from ``<landing>/_http``), ``plant(cfg)`` applied, the pipeline run once."""
    from ddss.orchestration.pipeline import run_all

    cfg = dataclasses.replace(settings_for(root), api_url=api_url)
    if plant:
        plant(cfg)
    run_all("chaos-1", cfg, as_of=AS_OF)
    return cfg


def manifest_matches(public: Path) -> list[str]:
    """What is wrong with ``public/current``: it must be a complete version whose
    manifest's every checksum matches its file (an empty list when all is well)."""
    current = public / "current"
    if not current.exists():
        return ["public/current is missing"]
    manifest_path = current / "manifest.json"
    if not manifest_path.is_file():
        return [f"{current.resolve().name} has no manifest.json"]
    manifest = json.loads(manifest_path.read_text("utf-8"))
    files = manifest.get("files", manifest)
    problems = []
    entries = files.items() if isinstance(files, dict) else ((f["path"], f) for f in files)
    for name, entry in entries:
        expected = entry["sha256"] if isinstance(entry, dict) else entry
        path = current / name
        if not path.is_file():
            problems.append(f"{name} listed but missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            problems.append(f"{name} checksum differs")
    return problems


def raw_names_match(cfg: Settings) -> list[str]:
    """Raw files whose name does not start with their own sha256."""
    wrong = []
    for path in cfg.raw_dir.rglob("*"):
        if not path.is_file() or path.name in {"manifest.jsonl"} or path.suffix == ".jsonl":
            continue
        if "__" not in path.name or path.parent == cfg.raw_dir:
            continue
        digest = path.name.split("__", 1)[0]
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            wrong.append(str(path.relative_to(cfg.raw_dir)))
    return wrong


def warehouse_opens(cfg: Settings) -> list[tuple[str, int]]:
    """(raw table, rows) of every raw table: the warehouse opens and answers."""
    import duckdb

    with duckdb.connect(str(cfg.warehouse_path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
        ).fetchall()
        counts = []
        for (table,) in tables:
            row = con.execute(f'select count(*) from raw."{table}"').fetchone()
            counts.append((table, row[0] if row else 0))
        return counts


def with_limits(cfg: Settings, **changes) -> Settings:
    return dataclasses.replace(cfg, **changes)


# The month the fault cases send again, corrected: new work for the next run.
CORRECTED = "tuyen_quang_pasc/ho_so_2022-07.csv"


def copy_of(cfg: Settings, target: Path) -> Settings:
    """A copy of the campaign's workspace that fetches the same departments' API."""
    return dataclasses.replace(copy_workspace(cfg, target), api_url=cfg.api_url)


def send_correction(cfg: Settings) -> None:
    """The department sends a month again, corrected (last row removed): new work."""
    path = cfg.landing_dir / CORRECTED
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    # Sent an hour ago: not a file still being written, which the extract would defer.
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


def downloads(public: Path) -> dict[str, str]:
    """sha256 of every download of ``public/current``: the published data, byte for byte."""
    folder = public / "current" / "downloads"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def assert_invariants(cfg: Settings) -> None:
    """After a fault: a complete publication, sha256-named raw files, a warehouse that opens."""
    assert manifest_matches(cfg.public_dir) == [], "public/current is not a complete version"
    assert raw_names_match(cfg) == [], "a raw file's name is not its sha256"
    assert warehouse_opens(cfg), "the warehouse does not open"
