"""``raw/manifest.jsonl``: one JSON object a line, appended (and fsynced) after each file
reaches the archive.

A crash in the middle of an append leaves a torn last line (no newline, or JSON cut short).
Reading skips it; ``repair_manifest`` moves it aside to ``manifest.torn-<time>.jsonl`` (kept
as evidence, never deleted) and rewrites the manifest without it in one ``rename(2)``, so
the next append does not glue a good entry onto the torn one. Appends and repairs hold an
exclusive lock (``raw/manifest.lock``), so a repair never takes another process's append
in progress for a torn line, nor loses one by its rename.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ddss.durable import append_line, fsync_dir
from ddss.settings import Settings


@dataclass(frozen=True)
class TornLine:
    """A manifest line that was not a whole JSON object, and where it was put."""

    line: int  # 1-based line number in the manifest as it was found
    text: str
    set_aside: Path


def manifest_path(cfg: Settings) -> Path:
    return cfg.raw_dir / "manifest.jsonl"


@contextmanager
def locked_archive(cfg: Settings) -> Iterator[None]:
    """The archive's own state (manifest, landing hashes) changed by one process at a time."""
    with _locked(cfg):
        yield


@contextmanager
def _locked(cfg: Settings) -> Iterator[None]:
    cfg.raw_dir.mkdir(parents=True, exist_ok=True)
    with (cfg.raw_dir / "manifest.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _parse(line: bytes) -> dict | None:
    try:
        entry = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return entry if isinstance(entry, dict) and "sha256" in entry else None


def _split(data: bytes) -> tuple[list[bytes], list[tuple[int, bytes]]]:
    """(good lines, (line number, bytes) of torn ones). A last line without its newline is
    torn even when it happens to parse: the append that wrote it did not finish."""
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    good, torn = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _parse(line) is None:
            torn.append((number, line))
        else:
            good.append(line)
    if tail.strip():
        torn.append((len(lines) + 1, tail))
    return good, torn


def read_manifest(cfg: Settings) -> list[dict]:
    """Every whole entry of the manifest (a torn line is skipped, not an error)."""
    path = manifest_path(cfg)
    if not path.exists():
        return []
    good, _ = _split(path.read_bytes())
    return [json.loads(line.decode("utf-8")) for line in good]


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def repair_manifest(cfg: Settings) -> list[TornLine]:
    """Move torn lines out of the manifest; return what was moved (empty when it was whole)."""
    with _locked(cfg):
        return _repair(cfg)


def _repair(cfg: Settings) -> list[TornLine]:
    path = manifest_path(cfg)
    if not path.exists():
        return []
    good, torn = _split(path.read_bytes())
    if not torn:
        return []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"manifest.torn-{stamp}.jsonl")
    _write_durably(aside, b"".join(line + b"\n" for _, line in torn))
    rewritten = path.with_name(path.name + ".repairing")
    _write_durably(rewritten, b"".join(line + b"\n" for line in good))
    os.replace(rewritten, path)
    fsync_dir(path.parent)
    return [TornLine(n, line.decode("utf-8", "replace"), aside) for n, line in torn]


def append_manifest(cfg: Settings, entry: dict) -> None:
    path = manifest_path(cfg)
    with _locked(cfg):
        if path.exists() and path.stat().st_size:
            with path.open("rb") as handle:
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b"\n"
            if torn:  # never glue an entry onto a torn line
                _repair(cfg)
        append_line(path, json.dumps(entry, ensure_ascii=False), mode=0o644)
