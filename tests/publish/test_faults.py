"""Faults in publishing (issue 19): a real SIGKILL at named points, then the next run.

- A version that never became current is never visible and never listed: the versions
  index, published.json and every dataset's changelog name only published versions.
- A killed ``run_all`` converges: the re-run publishes exactly what an uninterrupted run
  publishes (every file equal once version ids, run ids and timestamps are normalised).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, copy_workspace, settings_for
from ddss.orchestration.pipeline import run_all
from ddss.publish.publisher import (
    PUBLISHED_RECORD,
    current_version,
    list_versions,
    publish,
    published_versions,
    verify,
)

PUBLISH_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from conftest import settings_for
from pathlib import Path
from ddss.publish.publisher import publish
publish({run_id!r}, settings_for(Path({root!r})))
"""

# The whole pipeline in a subprocess on copied feeds. ``kill_after`` = (module, function, n):
# the process SIGKILLs itself right after the n-th call of that function returns (stage
# boundaries and points inside a stage that the publisher's own hook does not reach).
RUN_SCRIPT = """
import importlib, os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import AS_OF, settings_for

kill_after = {kill_after!r}
if kill_after:
    module_name, function_name, calls = kill_after
    module = importlib.import_module(module_name)
    original = getattr(module, function_name)
    done = []

    def killing(*args, **kwargs):
        result = original(*args, **kwargs)
        done.append(1)
        if len(done) == calls:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, function_name, killing)

from ddss.orchestration.pipeline import run_all
run_all("run-killed", settings_for(Path({root!r})), as_of=AS_OF)
"""


def _kill(script: str, env: dict[str, str] | None = None) -> None:
    process = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert process.returncode == -9, process.stderr[-3000:]


def _version_dirs(public: Path) -> set[str]:
    base = public / "versions"
    return {p.name for p in base.iterdir() if p.is_dir() and not p.is_symlink()}


def _assert_only_published_listed(public: Path, published: set[str], ghost: str | None) -> None:
    """versions/, published.json, the versions index and every changelog name exactly the
    published versions; current's manifest checksums all match."""
    assert _version_dirs(public) == published
    assert set(published_versions(public)) == published
    record = json.loads((public / "versions" / PUBLISHED_RECORD).read_text("utf-8"))
    assert set(record["versions"]) == published
    assert {v["version"] for v in list_versions(public)} == published
    index = (public / "versions" / "index.html").read_text("utf-8")
    assert {v for v in re.findall(r"\d{8}T\d{6}Z", index)} == published
    pages = sorted((public / "current" / "datasets").glob("*.html"))
    assert len(pages) == 20
    for page in pages:
        listed = set(re.findall(r"\d{8}T\d{6}Z", page.read_text("utf-8")))
        assert listed <= published, page.name
        assert ghost is None or ghost not in listed, page.name
    assert verify(public / "current") == []
    assert not (public.parent / f"{public.name}.staging").exists()


@pytest.mark.parametrize("point", ["before_switch", "after_move"])
def test_a_publish_killed_at_the_switch_leaves_no_ghost_version(published, tmp_path, point):
    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    _kill(
        PUBLISH_SCRIPT.format(tests=str(REPO / "tests"), root=str(tmp_path), run_id="run-killed"),
        {"DDSS_PUBLISH_KILL_AT": point},
    )
    assert current_version(cfg) == first
    ghosts = _version_dirs(cfg.public_dir) - {first}
    # after_move is the one window where the version is under versions/ and not current:
    # even then nothing lists it.
    assert len(ghosts) == (1 if point == "after_move" else 0)
    assert [v["version"] for v in list_versions(cfg.public_dir)] == [first]
    ghost = next(iter(ghosts), None)

    second = publish("run-2", cfg)
    assert current_version(cfg) == second.version != ghost
    _assert_only_published_listed(cfg.public_dir, {first, second.version}, ghost)
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))
    assert "run-killed" not in json.dumps(quality)


def test_a_publish_killed_just_after_the_switch_is_published_and_listed(published, tmp_path):
    """``current`` moved: that version was published (users may have downloaded it), even if
    the kill came before it was recorded; the next run records and lists it."""
    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    _kill(
        PUBLISH_SCRIPT.format(tests=str(REPO / "tests"), root=str(tmp_path), run_id="run-killed"),
        {"DDSS_PUBLISH_KILL_AT": "after_switch"},
    )
    killed = current_version(cfg)
    assert killed != first
    assert {v["version"] for v in list_versions(cfg.public_dir)} == {first, killed}

    second = publish("run-2", cfg)
    _assert_only_published_listed(cfg.public_dir, {first, killed, second.version}, None)


# Late points of a whole run, in the order they happen: inside validation (7 of the 14
# source datasets validated), after the marts, inside publish (downloads written; version
# built, before the switch; version moved into versions/, `current` not yet moved).
KILL_POINTS = {
    "validate_7_of_14": ({"kill_after": ("ddss.quality.gate", "validate", 7)}, {}),
    "after_marts": ({"kill_after": ("ddss.transform.dbt_runner", "build_marts", 1)}, {}),
    "publish_after_downloads": ({"kill_after": None}, {"DDSS_PUBLISH_KILL_AT": "after_downloads"}),
    "publish_before_switch": ({"kill_after": None}, {"DDSS_PUBLISH_KILL_AT": "before_switch"}),
    "publish_after_move": ({"kill_after": None}, {"DDSS_PUBLISH_KILL_AT": "after_move"}),
}
# ISO and "2026-11-24 20:29 UTC" times, and local ones as the portal shows them ("25/11/2026 03:29").
TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?(?:\+00:00|\+07:00| UTC)?|\d\d/\d\d/\d{4} \d\d:\d\d"
)


def normalised(public: Path) -> dict[str, object]:
    """Every file and link under ``public/`` with version ids, run ids and timestamps
    replaced by placeholders. Downloads stay byte for byte; the manifest keeps its paths and
    rows (its checksums are held to the files by ``verify``)."""
    versions = published_versions(public)
    names = {v: f"<version {i}>" for i, v in enumerate(versions)}
    runs = {v["run_id"]: f"<run {i}>" for i, v in enumerate(reversed(list_versions(public)))}

    def text(value: str) -> str:
        for old, new in [*names.items(), *runs.items()]:
            value = value.replace(old, new)
        return TIMESTAMP.sub("<time>", value)

    state: dict[str, object] = {}
    for path in sorted(public.rglob("*")):
        rel = text(str(path.relative_to(public)))
        if path.is_symlink():
            state[rel] = "-> " + text(os.readlink(path))
        elif path.name == "manifest.json":
            manifest = json.loads(path.read_text("utf-8"))
            state[rel] = [
                {k: v for k, v in e.items() if e["path"].startswith("downloads/") or k == "path"}
                for e in manifest["files"]
            ] + [text(manifest["version"]), text(manifest["run_id"])]
        elif path.is_file() and path.suffix in (".html", ".json", ".jsonld"):
            state[rel] = text(path.read_text("utf-8"))
        elif path.is_file():
            state[rel] = path.read_bytes()
    return state


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_converges_on_what_an_uninterrupted_run_publishes(
    published, feeds, tmp_path, point
):
    """``published`` is the uninterrupted run on the same feeds. Here the same run is
    SIGKILLed late, then run again: the portal must be the same, with no trace of the
    killed run (its validations were never published, its version never became current)."""
    import shutil

    from conftest import AS_OF

    cfg = settings_for(tmp_path)
    shutil.copytree(feeds, cfg.landing_dir)
    script_args, env = KILL_POINTS[point]
    _kill(RUN_SCRIPT.format(tests=str(REPO / "tests"), root=str(tmp_path), **script_args), env)
    assert current_version(cfg) is None  # the killed run published nothing

    run_all("run-again", cfg, as_of=AS_OF)

    assert verify(cfg.public_dir / "current") == []
    expected, got = normalised(published.public_dir), normalised(cfg.public_dir)
    assert sorted(got) == sorted(expected)
    differ = sorted(k for k in expected if expected[k] != got[k])
    assert differ == []
    everything = "".join(
        p.read_text("utf-8") for p in cfg.public_dir.rglob("*") if p.suffix in (".html", ".json")
    )
    assert "run-killed" not in everything


def _fake_version(public: Path, name: str, run_id: str) -> Path:
    root = public / "versions" / name
    (root / "downloads").mkdir(parents=True)
    (root / "downloads" / "x.csv").write_text("a\n1\n", "utf-8")
    manifest = {"version": name, "run_id": run_id, "files": [{"path": "downloads/x.csv"}]}
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    for path in root.rglob("*"):  # published versions are read-only
        path.chmod(0o555 if path.is_dir() else 0o444)
    root.chmod(0o555)
    return root


def test_recover_removes_what_a_dead_publisher_left_and_keeps_every_published_version(tmp_path):
    """Without a pipeline: a published version that is no longer current, the current one
    (made current by a publisher killed before it could record it), a read-only ghost, a
    read-only staging leftover, a half-made `current` link and a half-written record."""
    from ddss.publish.publisher import recover

    public = tmp_path / "public"
    _fake_version(public, "20260101T000000Z", "run-1")
    _fake_version(public, "20260102T000000Z", "run-2")
    ghost = _fake_version(public, "20260103T000000Z", "run-killed")
    (public / "versions" / PUBLISHED_RECORD).write_text('{"versions": ["20260101T000000Z"]}')
    (public / "versions" / "published.json.partial").write_text("{")
    os.symlink("versions/20260102T000000Z", public / "current")
    os.symlink("versions/20260103T000000Z", public / ".current-20260103T000000Z")
    staging = _fake_version(tmp_path / "public.staging", "x", "run-killed").parents[1]

    published = recover(public)

    assert published == ["20260101T000000Z", "20260102T000000Z"]
    assert not ghost.exists() and not staging.exists()
    assert _version_dirs(public) == set(published)
    assert json.loads((public / "versions" / PUBLISHED_RECORD).read_text())["versions"] == published
    assert sorted(p.name for p in public.iterdir()) == sorted(
        ["current", "latest", "versions", "index.html", "datasets", "downloads"]
        + ["datapackage.json", "catalog.jsonld", "quality.json", "manifest.json", "api"]
    )
    index = (public / "versions" / "index.html").read_text("utf-8")
    # The page lists published versions (by date, with the id beside it), never the ghost.
    assert "20260103T000000Z" not in index
    assert "20260102T000000Z" in index and "20260101T000000Z" in index
    assert [v["run_id"] for v in list_versions(public)] == ["run-2", "run-1"]
    # Nothing left to repair: a second recovery changes nothing.
    from conftest import tree_state

    before = tree_state(public)
    recover(public)
    assert tree_state(public) == before


def test_a_second_publisher_waits_and_never_removes_the_first_ones_work(published, tmp_path):
    """A publisher that finds another one at work (its lock on public/) waits: it must not
    take the other's staging directory or half-switched version for a dead one's leftovers."""
    import fcntl
    import time

    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    # Stand-in for a publisher at work: its lock, and its version being built in staging.
    building = tmp_path / "public.staging" / "20990101T000000Z"
    building.mkdir(parents=True)
    (building / "index.html").write_text("in progress", "utf-8")
    descriptor = os.open(cfg.public_dir, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PUBLISH_SCRIPT.format(tests=str(REPO / "tests"), root=str(tmp_path), run_id="run-2"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(8)
        assert process.poll() is None  # waiting for the lock
        assert (building / "index.html").read_text("utf-8") == "in progress"
        assert current_version(cfg) == first
    finally:
        os.close(descriptor)  # the other publisher is done
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    assert "another publication is under way" in output
    assert current_version(cfg) != first
    assert {v["run_id"] for v in list_versions(cfg.public_dir)} == {"run-1", "run-2"}
