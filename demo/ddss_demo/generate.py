"""Deterministic departmental feeds, with injected defects and a truth manifest.

``generate(out, seed, scale)`` writes the files a department would drop into its landing
folder (each department's maker is in :mod:`ddss_demo.feeds`). Clean rows reproduce the
published figures of SEED-FACTS.md exactly at scale 1 (counts are multiplied by ``scale``
and rounded otherwise). Defective rows are *extra* rows, or clean rows rewritten, each
listed in ``truth-manifest.json`` with file, spreadsheet row number (header = 1), column,
kind and the criterion it breaks, so every later stage can be checked against it. The same
seed and scale give the same bytes.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path

from ddss.data_contracts import source_contracts
from ddss.settings import Settings
from ddss_demo.feeds import FEEDS, hanoi_dict, tuyen_quang_pasc
from ddss_demo.feeds.arrival import set_arrival_times
from ddss_demo.feeds.defects import Draw, Feed

# Always made, whatever ``departments`` asks for: every stage needs the centre's feeds.
ALWAYS = "tuyen_quang_pasc"


def generate(
    out: Path,
    seed: int = 2022,
    scale: float = 1.0,
    cfg: Settings | None = None,
    departments: set[str] | None = None,
) -> dict:
    """Write the feeds under ``out/<department>/`` and ``out/truth-manifest.json``
    (every department's, or only those in ``departments``; the centre's always)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    contracts = {c.id: c for c in source_contracts(cfg)}
    feed = Feed()
    expected: dict = {}
    for maker in FEEDS:
        department = contracts[maker.dataset].department.id
        if departments is None or department in departments or department == ALWAYS:
            draw = Draw(out, random.Random(maker.seed(seed)), scale, feed)
            expected.update(maker.build(draw, contracts))
    http = feed.api.save(out / "_http")
    late_files = set_arrival_times(out, feed.files + feed.controls)
    manifest = {
        "seed": seed,
        "scale": scale,
        "files": [str(p.relative_to(out)) for p in feed.files],
        "clean_rows": {
            **tuyen_quang_pasc.clean_rows(scale),
            "community_digital_teams": hanoi_dict.figures(scale)["teams"],
        },
        # The centre's and the teams' figures first and always (the manifest's first shape).
        "expected": {
            **tuyen_quang_pasc.figures(scale),
            **hanoi_dict.figures(scale),
            **expected,
        },
        # Served by the departments' HTTP APIs (ddss_demo.api_server), fetched into the landing folder.
        "http": sorted(str(p.relative_to(out)) for p in http),
        "defects": [asdict(d) for d in feed.defects],
        # File-level: sent after the period's deadline (sống), by the file's modification time.
        "late_files": late_files,
    }
    (out / "truth-manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest
