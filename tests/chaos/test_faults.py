"""Group 2: faults. ``ddss run`` SIGKILLed at seeded random moments, the extract killed
while it archives, two runs at once with ``ddss check`` reading meanwhile, a full disk
under the warehouse and under ``public/`` (small tmpfs mounts), landing files still being
written. After each: ``public/current`` is a complete version whose manifest checksums
all match, every raw file is named by its sha256, the warehouse opens; a killed run's
publication, if any, is what an uninterrupted run publishes; the next run converges to
exactly the downloads an uninterrupted run publishes."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chaos.tally import TALLY
from chaos.workspace import (
    CORRECTED,
    DDSS,
    assert_invariants,
    copy_of,
    ddss_env,
    downloads,
    raw_names_match,
    run_command,
    send_correction,
    warehouse_opens,
)
from conftest import REPO
from ddss.settings import Settings

pytestmark = pytest.mark.slow

SEED = 15  # the number: the kill moments are the same on every run
RUN_KILLS = 4
EXTRACT_KILLS = 10


def _current(public: Path) -> str:
    return (public / "current").resolve().name


def _start_run(cfg: Settings, run_id: str, **env: str) -> subprocess.Popen:
    TALLY.runs += 1
    return subprocess.Popen(
        run_command(cfg, run_id),
        env=ddss_env(cfg, **env),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 900) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def reference(chaos_workspace, tmp_path_factory) -> tuple[dict[str, str], float]:
    """What an uninterrupted run publishes after the correction, and how long it takes."""
    cfg = copy_of(chaos_workspace, tmp_path_factory.mktemp("reference") / "ws")
    send_correction(cfg)
    started = time.monotonic()
    code, out, err = _finish(_start_run(cfg, "chaos-reference"))
    assert code == 0, err[-3000:]
    return downloads(cfg.public_dir), time.monotonic() - started


@pytest.fixture(scope="module")
def killed(chaos_workspace, tmp_path_factory) -> Settings:
    """The workspace the kills happen in, one after the other."""
    cfg = copy_of(chaos_workspace, tmp_path_factory.mktemp("killed") / "ws")
    send_correction(cfg)
    return cfg


def _moments(duration: float) -> list[float]:
    """Seeded kill moments over the run: two in its first 60 %, two in publishing."""
    rng = random.Random(SEED)
    early = [round(rng.uniform(0.3, 0.6 * duration), 2) for _ in range(RUN_KILLS - 2)]
    return sorted(early) + [round(0.85 * duration, 2), round(0.97 * duration, 2)]


@pytest.mark.parametrize(
    "trial",
    [
        pytest.param(
            n,
            id=f"kill-run-{n}: SIGKILL of ddss run at a seeded moment leaves a "
            "complete publication, sha256-named raw files and a warehouse that opens",
        )
        for n in range(RUN_KILLS)
    ],
)
def test_a_run_killed_at_a_random_moment(trial, killed, reference):
    expected, duration = reference
    moment = _moments(duration)[trial]
    before = _current(killed.public_dir)
    process = _start_run(killed, f"chaos-killed-{trial}")
    try:
        process.wait(timeout=moment)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        TALLY.faults += 1
    process.communicate()
    assert_invariants(killed)
    if _current(killed.public_dir) != before and process.returncode != 0:
        # Killed just after the switch: published, so it must be what a whole run publishes.
        if downloads(killed.public_dir) != expected:
            TALLY.publications_changed += 1
            pytest.fail(f"a killed run published something else (at {moment} s)")


EXTRACT_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from conftest import settings_for
from ddss.ingest.extract import extract
extract("chaos-extract-killed", settings_for(Path({root!r})))
"""


@pytest.fixture(scope="module")
def extract_workspace(chaos_workspace, tmp_path_factory) -> Settings:
    """A copy whose landing holds every feed twice more under new names (work to kill)."""
    cfg = copy_of(chaos_workspace, tmp_path_factory.mktemp("extract-kills") / "ws")
    for path in sorted(cfg.landing_dir.glob("*/*.csv")):
        for copy in ("a", "b"):
            lines = path.read_bytes().splitlines(keepends=True)
            target = path.with_name(path.stem + f"_{copy}" + path.suffix)
            target.write_bytes(b"".join(lines[:-1] if copy == "a" else lines[:-2]))
    return cfg


@pytest.mark.parametrize(
    "trial",
    [
        pytest.param(
            n,
            id=f"kill-extract-{n}: SIGKILL while archiving and loading leaves the "
            "archive sha256-named and the warehouse whole; the next extract finishes",
        )
        for n in range(EXTRACT_KILLS)
    ],
)
def test_the_extract_killed_while_it_archives(trial, extract_workspace):
    cfg = extract_workspace
    moment = random.Random(SEED * 100 + trial).uniform(0.4, 3.0)
    script = EXTRACT_SCRIPT.format(tests=str(REPO / "tests"), root=str(cfg.public_dir.parent))
    TALLY.runs += 1
    process = subprocess.Popen([sys.executable, "-c", script], env=ddss_env(cfg))
    try:
        process.wait(timeout=moment)
    except subprocess.TimeoutExpired:
        process.kill()
        TALLY.faults += 1
    process.wait()
    assert raw_names_match(cfg) == []
    assert warehouse_opens(cfg)
    if trial == EXTRACT_KILLS - 1:  # the last: let it finish, every file loaded once
        from ddss.ingest.extract import extract

        TALLY.runs += 1
        report = extract("chaos-extract-final", cfg)
        assert report.rejected == [] or all(p.rule == "source_unavailable" for p in report.rejected)
        _no_row_twice(cfg)


def _no_row_twice(cfg: Settings) -> None:
    import duckdb

    from ddss.data_contracts import source_contracts

    with duckdb.connect(str(cfg.warehouse_path), read_only=True) as con:
        for contract in source_contracts(cfg):
            row = con.execute(
                f"select count(*) - count(distinct (_source_file, _source_row)) "
                f"from raw.{contract.raw_table}"
            ).fetchone()
            doubled = row[0] if row else 0
            TALLY.rows_doubled += doubled
            assert doubled == 0, f"{contract.id}: {doubled} rows loaded twice"


TWINS: dict[str, object] = {}  # the two runs at once, for the test after


def test_two_runs_at_once_with_a_check_reading_converge_on_the_uninterrupted_bytes(
    killed, reference
):
    """After the kills: two ``ddss run`` at once and ``ddss check`` while they write (it never
    opens the warehouse). One run finishes; then the publication's downloads are byte for
    byte an uninterrupted run's, and no row is loaded twice."""
    expected, _ = reference
    first = _start_run(killed, "chaos-twin-a")
    second = _start_run(killed, "chaos-twin-b")
    TALLY.faults += 2
    time.sleep(2)
    TALLY.runs += 1
    check = subprocess.run(
        [
            DDSS,
            "check",
            str(killed.landing_dir / CORRECTED),
            "--dataset",
            "admin_procedure_dossiers",
        ],
        env=ddss_env(killed),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = [_finish(first), _finish(second)]
    TWINS["results"] = results
    assert check.returncode in (0, 1), check.stderr[-2000:]
    assert "Traceback" not in check.stderr
    assert any(code == 0 for code, _, _ in results), [r[2][-2000:] for r in results]
    assert_invariants(killed)
    _no_row_twice(killed)
    assert downloads(killed.public_dir) == expected


def test_the_run_that_loses_the_warehouse_waits_or_says_why_without_a_traceback():
    """Of two runs at once, the one that finds the warehouse taken waits for it, or ends
    with a message naming the file and the process holding it — never a traceback."""
    results = TWINS.get("results")
    assert results, "the two runs did not take place"
    for code, _, err in results:  # type: ignore[attr-defined]
        assert code == 0 or "Traceback" not in err, err[-3000:]


# --- a full disk ---------------------------------------------------------------------------


def _mount(folder: Path, size: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
    )
    return done.returncode == 0


def _usage(path: Path) -> int:
    """Bytes a copy takes on a tmpfs: every file and folder in whole 4 KiB pages."""
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    return sum(-(-p.lstat().st_size // 4096) * 4096 + 4096 for p in paths)


@pytest.fixture
def full_disk(chaos_workspace, tmp_path):
    mounts: list[Path] = []

    def make(where: str) -> Settings:
        cfg = copy_of(chaos_workspace, tmp_path / "ws")
        send_correction(cfg)
        mount = tmp_path / f"tmpfs-{where}"
        if where == "public":
            source = cfg.public_dir
            room = _usage(source) + 256 * 1024  # what is there, plus a little: the run fills it
        else:
            source = cfg.warehouse_path
            room = _usage(source) + 64 * 1024
        if not _mount(mount, room):
            pytest.skip("a tmpfs cannot be mounted here (needs root in a container)")
        mounts.append(mount)
        target = mount / source.name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
            return dataclasses.replace(cfg, public_dir=target)
        shutil.copyfile(source, target)
        return dataclasses.replace(cfg, warehouse_path=target)

    yield make
    for mount in mounts:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _env_for(cfg: Settings) -> dict[str, str]:
    return {"DDSS_PUBLIC_DIR": str(cfg.public_dir), "DDSS_WAREHOUSE": str(cfg.warehouse_path)}


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(
            "warehouse",
            id="disk-full-warehouse: the run fails saying so; the "
            "warehouse opens, the publication is unchanged",
        ),
        pytest.param(
            "public",
            id="disk-full-public: the run fails saying so; public/current "
            "is the previous complete version",
        ),
    ],
)
def test_a_full_disk_fails_the_run_and_changes_nothing_published(where, full_disk):
    cfg = full_disk(where)
    before = _current(cfg.public_dir)
    before_downloads = downloads(cfg.public_dir)
    TALLY.faults += 1
    code, out, err = _finish(_start_run(cfg, f"chaos-full-{where}", **_env_for(cfg)))
    assert code != 0, "the run succeeded on a full disk"
    assert "No space left" in err or "ENOSPC" in err or "disk" in err.lower(), err[-2000:]
    if _current(cfg.public_dir) != before or downloads(cfg.public_dir) != before_downloads:
        TALLY.publications_changed += 1
        pytest.fail("a failed run changed the publication")
    assert_invariants(cfg)


# --- landing files still being written -----------------------------------------------------


def test_a_landing_file_still_being_written_is_not_taken(chaos_workspace, tmp_path):
    """A file that grows while the extract looks at it is deferred, not archived half; once
    complete, the next extract takes all of it."""
    from ddss.data_contracts import source_contract
    from ddss.ingest.extract import extract
    from ddss.ingest.readers import read_rows

    cfg = copy_of(chaos_workspace, tmp_path / "ws")
    # Bytes no file of the archive has (an identical file is a duplicate, rightly not loaded).
    source = (cfg.landing_dir / CORRECTED).read_bytes().splitlines(keepends=True)[:-3]
    growing = cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-08.csv"
    stop = threading.Event()

    def write_slowly() -> None:
        with growing.open("wb") as handle:
            handle.write(source[0])
            for line in source[1:]:
                if stop.is_set():
                    break
                handle.write(line)
                handle.flush()
                time.sleep(0.02)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    time.sleep(0.3)
    TALLY.faults += 1
    TALLY.runs += 1
    report = extract("chaos-growing", cfg)
    still_writing = writer.is_alive()
    writer.join()
    assert still_writing, "the writer finished before the extract looked (make it slower)"
    assert growing.name in {p.file for p in report.deferred}
    assert growing.name not in report.loaded
    TALLY.runs += 1
    later = extract("chaos-grown", cfg)
    contract = source_contract("admin_procedure_dossiers", cfg)
    whole = [values for _, values, _, _ in read_rows(growing, contract) if values is not None]
    assert later.loaded.get(growing.name) == len(whole) > len(source) - 10


def test_a_landing_file_cut_mid_row_is_not_taken(chaos_workspace, tmp_path):
    """A CSV that ends mid-row (the copy was interrupted) is deferred and told."""
    from ddss.ingest.extract import extract

    cfg = copy_of(chaos_workspace, tmp_path / "ws")
    data = (cfg.landing_dir / CORRECTED).read_bytes()
    cut = cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-09.csv"
    cut.write_bytes(data[: data.rindex(b",", 0, len(data) - 10)])
    TALLY.faults += 1
    TALLY.runs += 1
    report = extract("chaos-cut", cfg)
    assert cut.name in {p.file for p in report.deferred}
    assert cut.name not in report.loaded
    assert raw_names_match(cfg) == []


def test_a_killed_check_leaves_the_workspace_untouched(chaos_workspace, tmp_path):
    """SIGKILL of ``ddss check`` half-way: the production warehouse and publication are
    untouched (the check works in a throw-away warehouse)."""
    cfg = chaos_workspace
    before = (_current(cfg.public_dir), hashlib.sha256(cfg.warehouse_path.read_bytes()).hexdigest())
    TALLY.runs += 1
    process = subprocess.Popen(
        [DDSS, "check", str(cfg.landing_dir / CORRECTED), "--dataset", "admin_procedure_dossiers"],
        env=ddss_env(cfg),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(random.Random(SEED).uniform(2.0, 4.0))
    process.kill()
    process.wait()
    TALLY.faults += 1
    after = (_current(cfg.public_dir), hashlib.sha256(cfg.warehouse_path.read_bytes()).hexdigest())
    assert after == before
