"""A real PostgreSQL for the lake's tests (Debian's postgresql, installed by `make test`):
one server per test session on a free loopback port, one database per test."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddss.lake.postgres import LocalPostgres, binary


def require_postgres() -> None:
    """Skip where PostgreSQL is missing, except under CI, where a skip would hide a failure."""
    if binary("initdb") is None or binary("pg_ctl") is None:
        message = "Debian postgresql (initdb, pg_ctl) is not installed (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def postgres_server() -> Iterator[LocalPostgres]:
    """A server in a new folder of the system's temporary folder (pytest's own is private
    to root, and the server runs as ``postgres`` when we are root), stopped and removed at
    the end."""
    require_postgres()
    folder = Path(tempfile.mkdtemp(prefix="ddss-postgres-"))
    server = LocalPostgres(folder / "cluster")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def database_name(test_name: str) -> str:
    """A PostgreSQL database name for a test (63 bytes at most, no quoting needed)."""
    return re.sub(r"\W", "_", test_name.lower())[:50]
