"""The sha256 of a file being published, read once per publication.

A download's checksum is written into its page, the Data Package, the DCAT catalogue, the
CKAN API and the manifest: five reads of the same bytes (hundreds of MB at scale 10) where
one does. ``Digests`` remembers each file's checksum for one publication only (``build``
makes a new one), keyed by the file's identity and state (device, inode, size, modification
and change times), so a file replaced or rewritten between two calls is read again. A new
publication never sees an earlier one's checksums, even for a file rewritten in place with
the same size within the clock's resolution. ``publisher.verify`` does not use it: it reads
every byte again, independently, before the version is sealed.
"""

from __future__ import annotations

import os
from pathlib import Path

from ddss.checksums import sha256_of


class Digests:
    """``digests(path)``: the file's sha256, computed on first use in this publication."""

    def __init__(self) -> None:
        self._known: dict[tuple, str] = {}
        self.reads = 0  # files actually read (tests count them)

    def __call__(self, path: Path) -> str:
        state = os.stat(path)
        key = (
            os.fspath(path),
            state.st_dev,
            state.st_ino,
            state.st_size,
            state.st_mtime_ns,
            state.st_ctime_ns,
        )
        digest = self._known.get(key)
        if digest is None:
            digest = sha256_of(Path(path))
            self.reads += 1
            self._known[key] = digest
        return digest
