"""Latency of the query API (`ddss serve`) on the largest published dataset, at the demo's
scale and at 100 times its rows.

1. A published version: the demo feeds at scale 1 through the real pipeline (``ddss run``
   in process), or an existing ``public/`` given with ``--public``.
2. ``ddss serve`` is started on a free 127.0.0.1 port (a real uvicorn process) and queried
   over HTTP with httpx, one request at a time, after a first request that loads the
   dataset and a first search that folds its text (both reported on their own).
3. For 100x, the version is copied with its largest dataset's Parquet replaced by 100 copies
   of its rows (the primary key made unique per copy) and the manifest's sha256 updated, so
   the API verifies and serves it like any version. The pipeline is not run at scale 100
   here: it takes minutes and gigabytes on this machine, and the API reads only the Parquet.

Queries, each ``--requests`` times with values drawn at random (seeded) from the data:
``filter``  ``?<column>=<value>&_sort=-<date column>&_size=100`` (the column: the text
            column, not the key, with the most distinct values up to 5,000);
``search``  ``?_q=<a word from that column, without diacritics>&_size=100``;
``page 50`` the 50th page of 100 rows of the filter-free listing, through its cursor.

    .venv/bin/python bench/api_latency.py [--public DIR] [--requests 200] [--scales 1,100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx

from ddss.api.text import fold
from ddss.checksums import sha256_of
from ddss.publish.publisher import current_version_of

REPO = Path(__file__).resolve().parents[1]
DDSS = Path(sys.executable).with_name("ddss")


def published_workspace(root: Path) -> Path:
    """The demo feeds at scale 1 through the whole pipeline; returns its public/."""
    from ddss.orchestration.pipeline import run_all
    from ddss.orchestration.sources import local_sources
    from ddss.settings import workspace_settings
    from ddss_demo.generate import generate

    cfg = workspace_settings(root)
    generate(cfg.landing_dir, seed=2022, scale=1.0)
    with local_sources(cfg) as sources:
        run_all("bench-api", sources, as_of=date(2022, 8, 11))
    return cfg.public_dir


def largest_dataset(public: Path) -> tuple[str, dict]:
    version = public / "versions" / str(current_version_of(public))
    manifest = json.loads((version / "manifest.json").read_text("utf-8"))
    counted = [e for e in manifest["files"] if e["path"].endswith(".csv") and "rows" in e]
    biggest = max(counted, key=lambda e: e["rows"])
    return Path(biggest["path"]).stem, manifest


def scaled_copy(public: Path, times: int, target: Path) -> Path:
    """``public``'s current version with its largest dataset's rows repeated ``times`` times,
    as the only published version of a new public/ folder under ``target``."""
    dataset, manifest = largest_dataset(public)
    version = str(current_version_of(public))
    source = public / "versions" / version
    out_public = target / "public"
    root = out_public / "versions" / version
    shutil.copytree(source, root, symlinks=True)
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    package = json.loads((source / "datapackage.json").read_text("utf-8"))
    resource = next(r for r in package["resources"] if r["path"] == f"downloads/{dataset}.csv")
    key = resource["schema"]["primaryKey"][0]
    parquet = root / "downloads" / f"{dataset}.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select original.* replace ("
        f"\"{key}\" || case when copy = 0 then '' else '~' || copy end as \"{key}\") "
        f"from read_parquet('{source / 'downloads' / f'{dataset}.parquet'}') as original, "
        f"range({times}) as copies(copy) order by copy) to '{parquet}' (format parquet)"
    )
    rows = con.execute(f"select count(*) from read_parquet('{parquet}')").fetchall()[0][0]
    for entry in manifest["files"]:
        if entry["path"] == f"downloads/{dataset}.parquet":
            entry.update(bytes=parquet.stat().st_size, sha256=sha256_of(parquet))
        if entry["path"] == f"downloads/{dataset}.csv":
            entry["rows"] = rows  # the CSV itself is not what the API reads
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (out_public / "versions" / "published.json").write_text(
        json.dumps({"versions": [version]}), "utf-8"
    )
    os.symlink(Path("versions") / version, out_public / "current")
    return out_public


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _choose_queries(public: Path, dataset: str, requests: int) -> dict[str, list[str]]:
    version = public / "versions" / str(current_version_of(public))
    parquet = version / "downloads" / f"{dataset}.parquet"
    con = duckdb.connect()
    relation = con.sql(f"select * from read_parquet('{parquet}')")
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    package = json.loads((version / "datapackage.json").read_text("utf-8"))
    resource = next(r for r in package["resources"] if r["path"] == f"downloads/{dataset}.csv")
    key = set(resource["schema"].get("primaryKey", []))
    distinct = {
        name: con.execute(
            f"select count(distinct \"{name}\") from read_parquet('{parquet}')"
        ).fetchall()[0][0]
        for name, kind in types.items()
        if kind == "VARCHAR" and name not in key
    }
    column = max((n for n, d in distinct.items() if d <= 5000), key=lambda n: distinct[n])
    dates = [n for n, kind in types.items() if kind == "DATE"]
    values = [
        r[0]
        for r in con.execute(
            f'select distinct "{column}" from read_parquet(\'{parquet}\') where "{column}" is not null'
        ).fetchall()
    ]
    words = sorted({w for v in values for w in fold(v).split() if len(w) >= 3}) or values
    pick = random.Random(2022)
    sort = f"&_sort=-{dates[0]}" if dates else ""
    base = f"/api/v1/datasets/{dataset}/rows"
    return {
        f"filter ({column}=…{sort.replace('&', ' ')})": [
            f"{base}?{column}={quote(pick.choice(values))}{sort}&_size=100" for _ in range(requests)
        ],
        "search (_q=…)": [
            f"{base}?_q={quote(pick.choice(words))}&_size=100" for _ in range(requests)
        ],
        "page 50 (cursor)": [f"{base}?_size=100&__page50"] * max(1, requests // 10),
    }


def _page_50(client: httpx.Client, url: str) -> str:
    url = url.replace("&__page50", "")
    for _ in range(49):
        url = client.get(url).json()["next"]
    return url


def measure(public: Path, requests: int) -> dict:
    dataset, manifest = largest_dataset(public)
    rows = next(e["rows"] for e in manifest["files"] if e["path"] == f"downloads/{dataset}.csv")
    port = _free_port()
    env = {**os.environ, "DDSS_PUBLIC_DIR": str(public)}
    server = subprocess.Popen(
        [str(DDSS), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    results: dict = {"dataset": dataset, "rows": rows, "queries": {}}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(300):
                try:
                    client.get("/api/v1/versions")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            start = time.perf_counter()
            client.get(f"/api/v1/datasets/{dataset}/rows?_size=1").raise_for_status()
            results["cold_load_s"] = time.perf_counter() - start
            queries = _choose_queries(public, dataset, requests)
            first_search = next(v for k, v in queries.items() if k.startswith("search"))[0]
            start = time.perf_counter()
            client.get(first_search).raise_for_status()
            results["first_search_s"] = time.perf_counter() - start
            for name, urls in queries.items():
                timings = []
                for url in urls:
                    if "__page50" in url:
                        url = _page_50(client, url)
                    start = time.perf_counter()
                    client.get(url).raise_for_status()
                    timings.append((time.perf_counter() - start) * 1000)
                results["queries"][name] = {
                    "n": len(timings),
                    "p50_ms": statistics.median(timings),
                    "p95_ms": _percentile(timings, 0.95),
                    "max_ms": max(timings),
                }
        results["server_peak_mb"] = _peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def _peak_mb(pid: int) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(scale: int, result: dict) -> str:
    lines = [
        f"x{scale}: {result['dataset']}, {result['rows']:,} rows; first request (verify + "
        f"read) {result['cold_load_s']:.2f} s; first search (fold) {result['first_search_s']:.2f} s; "
        f"server peak RSS {result['server_peak_mb']:.0f} MB"
    ]
    for name, q in result["queries"].items():
        lines.append(
            f"  {name:<52} n={q['n']:<4} p50 {q['p50_ms']:7.1f} ms  p95 {q['p95_ms']:7.1f} ms"
            f"  max {q['max_ms']:7.1f} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, help="an existing public/ (default: run the demo)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scales", default="1,100")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"ddss API latency on {os.cpu_count()} cores, load average {load} (one request at a time over HTTP)"
    )
    with tempfile.TemporaryDirectory(prefix="ddss-api-bench-") as tmp:
        public = args.public or published_workspace(Path(tmp) / "scale1")
        for scale in (int(s) for s in args.scales.split(",")):
            served = public if scale == 1 else scaled_copy(public, scale, Path(tmp) / f"x{scale}")
            print(report(scale, measure(served, args.requests)), flush=True)


if __name__ == "__main__":
    main()
