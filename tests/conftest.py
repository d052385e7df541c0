"""Shared fixtures: every test works in its own temporary data, raw, warehouse and public
folders; the repository's dags/, dbt_project/, expectations/ and contracts are the real ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ddss.settings import Settings, load_settings, workspace_settings
from ddss_demo.generate import generate

REPO = Path(__file__).resolve().parents[1]
# The demo's reference date: after the deadline (10 Aug) of the feeds' last month, July 2022.
AS_OF = date(2022, 8, 11)


def workspace(root: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DDSS_HOME", str(REPO))
    monkeypatch.setenv("DDSS_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("DDSS_PUBLIC_DIR", str(root / "public"))
    for name in ("DDSS_LANDING_DIR", "DDSS_RAW_DIR", "DDSS_WAREHOUSE", "DDSS_REPORTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return load_settings()


@pytest.fixture(scope="session")
def feeds(tmp_path_factory) -> Iterator[Path]:
    """The demo feeds at scale 1, generated once; copy them before changing anything. The
    tax department's HTTP API serves its part on 127.0.0.1 for the whole session (every
    workspace's settings, and Airflow's subprocesses, find it through DDSS_API_URL); the
    server stops and the variable is restored when the session ends."""
    from ddss_demo.api_server import ApiServer

    out = tmp_path_factory.mktemp("feeds")
    generate(out, seed=2022, scale=1.0)
    with ApiServer(out / "_http") as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DDSS_API_URL", url)
        yield out


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> Settings:
    return workspace(tmp_path, monkeypatch)


@pytest.fixture
def landed(cfg, feeds) -> Settings:
    """A workspace whose landing folder holds the demo feeds."""
    shutil.copytree(feeds, cfg.landing_dir)
    return cfg


def settings_for(root: Path) -> Settings:
    """Settings for a workspace under ``root`` without touching the environment."""
    import dataclasses

    return dataclasses.replace(
        workspace_settings(root),
        home=REPO,
        dbt_project_dir=REPO / "dbt_project",
        expectations_dir=REPO / "expectations",
    )


@pytest.fixture(scope="session")
def published(tmp_path_factory, feeds) -> Settings:
    """The whole pipeline run once, in process, on the demo feeds. Read-only for tests:
    a test that changes things copies it with ``copy_workspace`` first."""
    from ddss.orchestration.pipeline import run_all

    root = tmp_path_factory.mktemp("published")
    cfg = settings_for(root)
    shutil.copytree(feeds, cfg.landing_dir)
    run_all("run-1", cfg, as_of=AS_OF)
    return cfg


def copy_workspace(cfg: Settings, target: Path) -> Settings:
    source_root = cfg.public_dir.parent
    shutil.copytree(source_root, target, symlinks=True, dirs_exist_ok=True)
    for path in target.rglob("*"):  # published versions are read-only; copies need not be
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    return settings_for(target)


HOLD_WAREHOUSE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_warehouse(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that opens the DuckDB file for writing and keeps it for ``seconds``
    (an overlapping run, a person's DuckDB shell); returns once it holds the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def leaked(values: set[str], text: str) -> set[str]:
    """The values that occur anywhere in ``text``, also inside longer numbers. Digit values
    are matched as a set intersection with every window of the text's digit runs (a
    substring search per value took 97 s on the police feed); others by substring."""
    import re

    digits = {v for v in values if v.isdigit()}
    lengths = {len(v) for v in digits}
    windows = {
        run[start : start + n]
        for run in re.findall(r"\d+", text)
        for n in lengths
        for start in range(len(run) - n + 1)
    }
    return (digits & windows) | {v for v in values - digits if v in text}


def tree_state(root: Path) -> dict[str, str]:
    """Every file's sha256 and every symlink's target under ``root``."""
    import hashlib

    state = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            state[rel] = "-> " + str(path.readlink())
        elif path.is_file():
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def pytest_unconfigure(config):
    """End the interpreter right after pytest's summary. DuckDB 2's bindings (nanobind)
    print 'leaked type' lines at interpreter teardown when GX's SQLAlchemy engine still
    holds DuckDB objects; they would bury the summary line that CI reads."""
    import os
    import sys

    session = getattr(config, "_ddss_exitstatus", None)
    if session is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(session))


def pytest_sessionfinish(session, exitstatus):
    session.config._ddss_exitstatus = exitstatus


SLOW_FIXTURES = {"published", "landed"}


def pytest_collection_modifyitems(config, items):
    """Tests that run the whole pipeline (through the ``published`` or ``landed`` fixtures,
    or marked ``integration``) are ``slow``: ``pytest -m "not slow"`` is the inner loop."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(
            "integration"
        ):
            item.add_marker(pytest.mark.slow)
