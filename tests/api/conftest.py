"""Fixtures for the query API: a client over the pipeline's real published workspace (slow,
built once per session by the ``published`` fixture), and small hand-made versions laid out
as the publisher lays them out, for the cases the demo data does not have (a value
"Hà Nội", a tampered file, a link out of the version) without running the pipeline."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from ddss.api.app import create_app
from ddss.checksums import sha256_of

PLACES = pa.table(
    {
        "place_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "place_name": [
            "Thành phố Hà Nội",
            "Phường Đống Đa",
            "Xã Đông Anh",
            "Phường Dương Nội",
            "Phường Hà Đông",
            "Thủ đô HÀ NỘI",
        ],
        "population": [8_000_000, 400_000, None, 50_000, 300_000, 1],
        "density": [2.5, float("nan"), float("inf"), None, 0.25, -1.0],
        "founded": pa.array(
            [None, "1888-10-01", "1961-04-20", None, "1904-01-01", "1010-07-01"]
        ).cast(pa.date32()),
    }
)


def make_version(public: Path, version: str, tables: dict[str, pa.Table]) -> Path:
    """A version directory with Parquet downloads, a datapackage.json and a manifest of
    every file with its bytes and sha256, recorded as published and made current."""
    root = public / "versions" / version
    (root / "downloads").mkdir(parents=True)
    resources = []
    for dataset, table in tables.items():
        pq.write_table(table, root / "downloads" / f"{dataset}.parquet")
        (root / "downloads" / f"{dataset}.csv").write_text("", "utf-8")
        resources.append(
            {
                "name": dataset.replace("_", "-"),
                "path": f"downloads/{dataset}.csv",
                "title": f"Bộ dữ liệu {dataset}",
                "schema": {
                    "fields": [{"name": n, "type": "string"} for n in table.column_names],
                    "primaryKey": [table.column_names[0]],
                },
            }
        )
    (root / "datapackage.json").write_text(json.dumps({"resources": resources}), "utf-8")
    files = [
        {"path": str(p.relative_to(root)), "bytes": p.stat().st_size, "sha256": sha256_of(p)}
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]
    (root / "manifest.json").write_text(
        json.dumps({"version": version, "run_id": version, "files": files}), "utf-8"
    )
    record = public / "versions" / "published.json"
    known = json.loads(record.read_text("utf-8"))["versions"] if record.is_file() else []
    record.write_text(json.dumps({"versions": sorted({*known, version})}), "utf-8")
    link = public / "current"
    if link.is_symlink():
        link.unlink()
    os.symlink(Path("versions") / version, link)
    return root


@pytest.fixture
def small_public(tmp_path) -> Path:
    public = tmp_path / "public"
    make_version(public, "20260101T000000Z", {"places": PLACES})
    return public


@pytest.fixture
def small_client(small_public) -> TestClient:
    return TestClient(create_app(small_public))


@pytest.fixture(scope="session")
def client(published) -> TestClient:
    """The API and portal over the pipeline's published workspace (read-only)."""
    return TestClient(create_app(published.public_dir))


@dataclass
class Served:
    base: str  # http://127.0.0.1:<port>
    process: subprocess.Popen
    output: str = ""  # what `ddss serve` printed, once it has stopped


@contextmanager
def ddss_serve(public: Path) -> Iterator[Served]:
    """`ddss serve` over ``public`` on a free loopback port, answering before this yields."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("ddss")), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DDSS_PUBLIC_DIR": str(public)},
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        for _ in range(300):
            try:
                httpx.get(f"{served.base}/api/v1/datasets")
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.communicate()[0]
                time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        served.output = process.communicate(timeout=20)[0]
