"""``raw/manifest.jsonl``: one JSON object a line, appended (and fsynced) after each file
reaches the archive. Nothing in it is ever rewritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ddss.settings import Settings


def manifest_path(cfg: Settings) -> Path:
    return cfg.raw_dir / "manifest.jsonl"


def read_manifest(cfg: Settings) -> list[dict]:
    path = manifest_path(cfg)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def append_manifest(cfg: Settings, entry: dict) -> None:
    path = manifest_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
