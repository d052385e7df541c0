"""Cost per million dossier rows, DuckDB file against the lake (DuckLake on PostgreSQL):
the figures behind the capacity estimate of ``docs/scale-out.md``.

For each size and mode: generate the service centre's feeds (``tuyen_quang_pasc``: the
dossiers, the province's biggest dataset), then time each stage of the real pipeline as a
department's DAG runs it: ingest (archive + load), dbt staging, validation (the gate, full
quarantine), dbt marts (+ snapshot), publish. The lake mode runs on a PostgreSQL started for
the purpose (Debian's, ``make postgres``) and Parquet files on the local disk; the bytes
the lake stores (Parquet) and its catalog's size in PostgreSQL are measured too.

    .venv/bin/python bench/lake_capacity.py                     # 1e5 rows, both modes
    LAKE_BENCH_SIZES=100000,1000000 .venv/bin/python bench/lake_capacity.py --json out.json

Each (size, mode) runs in a child process, so that one's caches and memory do not help the
next. Nothing here asserts a time: figures are measured on the machine that runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROWS_AT_SCALE_1 = 42_540  # dossier rows of the service centre's feeds at --scale 1
DEPARTMENT = "tuyen_quang_pasc"

CHILD = """
import json, os, resource, sys, time, dataclasses
from pathlib import Path
from ddss.settings import workspace_settings
from ddss.orchestration.pipeline import extract_step, marts_step, stage_step, validate_step
from ddss.publish.publisher import publish
from ddss.warehouse import connect
from ddss_demo.generate import generate
from datetime import date

root, rows, department = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# A scratch workspace never names a lake: the lake mode's catalog is given here explicitly.
cfg = dataclasses.replace(
    workspace_settings(root),
    lake_catalog=os.environ.get("DDSS_LAKE_CATALOG") or None,
    lake_data_path=os.environ.get("DDSS_LAKE_DATA_PATH") or None,
)
generate(cfg.landing_dir, seed=2022, scale=rows / 42540, departments={department})
seconds = {}
def timed(name, step, *args, **kwargs):
    started = time.perf_counter()
    step(*args, **kwargs)
    seconds[name] = time.perf_counter() - started
timed("ingest", extract_step, "bench", department=department, cfg=cfg)
timed("dbt_staging", stage_step, cfg=cfg, department=department)
timed("validate", validate_step, "bench", department=department, cfg=cfg, as_of=date(2022, 8, 11))
timed("dbt_marts", marts_step, cfg=cfg, department=department)
timed("publish", publish, "bench", cfg)
with connect(cfg, read_only=True) as con:
    dossiers = con.execute("select count(*) from raw.raw_admin_procedure_dossiers").fetchall()[0][0]
print(json.dumps({"seconds": seconds, "dossier_rows": dossiers, "lake": cfg.lake,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def catalog_bytes(dsn: str) -> int:
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cursor:
        cursor.execute("select pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def one_run(rows: int, mode: str, server, work: Path) -> dict:
    root = work / f"{mode}-{rows}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DDSS_")}
    env["DDSS_HOME"] = str(REPO)
    dsn = None
    if mode == "lake":
        dsn = server.create_database(f"bench_{rows}")
        env["DDSS_LAKE_CATALOG"] = dsn
        env["DDSS_LAKE_DATA_PATH"] = str(root / "lake") + "/"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(rows), DEPARTMENT],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} {rows}: {done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(rows=rows, mode=mode)
    if result.pop("lake") != (mode == "lake"):
        raise SystemExit(f"{mode} {rows}: the run did not use the {mode} warehouse")
    if mode == "lake":
        result["lake_parquet_bytes"] = folder_bytes(root / "lake")
        result["catalog_bytes"] = catalog_bytes(dsn or "")
    else:
        result["warehouse_bytes"] = folder_bytes(root / "data" / "warehouse")
    return result


def report(results: list[dict]) -> str:
    stages = ["ingest", "dbt_staging", "validate", "dbt_marts", "publish"]
    lines = [
        "| mode | dossier rows | " + " | ".join(f"{s} s/Mrow" for s in stages) + " | total s/Mrow "
        "| storage MB/Mrow |",
        "|---" * (len(stages) + 4) + "|",
    ]
    for r in results:
        per_million = 1_000_000 / max(r["dossier_rows"], 1)
        cells = [f"{r['seconds'][s] * per_million:,.0f}" for s in stages]
        total = sum(r["seconds"].values()) * per_million
        stored = r.get("lake_parquet_bytes", r.get("warehouse_bytes", 0)) + r.get(
            "catalog_bytes", 0
        )
        lines.append(
            f"| {r['mode']} | {r['dossier_rows']:,} | "
            + " | ".join(cells)
            + f" | {total:,.0f} | {stored * per_million / 1e6:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "plugins"))
    from ddss.lake.postgres import LocalPostgres

    sizes = [int(s) for s in os.environ.get("LAKE_BENCH_SIZES", "100000").split(",")]
    work = Path(tempfile.mkdtemp(prefix="ddss-lake-bench-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user when we are root: it must reach it
    server = LocalPostgres(work / "postgres" / "cluster")
    results = []
    try:
        server.start()
        for rows in sizes:
            for mode in ("file", "lake"):
                results.append(one_run(rows, mode, server, work))
                print(json.dumps(results[-1]), flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
