"""ddss.durable: the appends every trail relies on (manifest, withdrawals, receipts, mails)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

from ddss.durable import append_line, fsync_dir


def _writer(path: str, who: int) -> None:
    for n in range(200):
        append_line(Path(path), json.dumps({"who": who, "n": n, "pad": "x" * 300}))


def test_lines_from_concurrent_processes_never_interleave(tmp_path):
    path = tmp_path / "trail.jsonl"
    writers = [multiprocessing.Process(target=_writer, args=(str(path), w)) for w in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 800
    seen = [json.loads(line) for line in lines]  # a torn or glued line would not parse
    expected = [(w, n) for w in range(4) for n in range(200)]
    assert sorted((s["who"], s["n"]) for s in seen) == expected


def test_a_new_trail_gets_the_mode_asked_and_an_existing_one_keeps_its_lines(tmp_path):
    path = tmp_path / "receipts.jsonl"
    old = os.umask(0)
    try:
        append_line(path, "một / one", mode=0o640)
    finally:
        os.umask(old)
    append_line(path, "hai / two")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text("utf-8") == "một / one\nhai / two\n"
    fsync_dir(tmp_path)  # a folder can be synced, as after a rename into it
