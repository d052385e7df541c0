"""Writes that survive a crash: a folder's entries synced, a line appended and synced.

The raw archive's manifest, the withdrawal trails, the steward's receipts and notification
log all append one JSON line at a time and must never lose an acknowledged one; files put
in place by ``rename(2)`` need their folder synced for the new name to last.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Sync ``folder``'s entries (a rename or a new file in it) to disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def append_line(path: Path, line: str, mode: int = 0o640) -> None:
    """Append ``line`` and a newline to ``path`` (created with ``mode``) in one write, and
    sync it: with O_APPEND concurrent writers never interleave inside a line."""
    data = (line + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
