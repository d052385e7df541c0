"""Throughput of each stage and validation against its floor, measured in one run.

For each size (dossier rows): generate the feeds, then time ingest (archive + load), dbt
(staging + marts), validation (the gate: every rule, full quarantine) and publish. The
floor is one DuckDB aggregate query evaluating the same rule predicates over the same
candidate table; the ratio gate/floor is the figure to watch (target <= 2). GX's own SQL
engine (patched for DuckDB) is timed on the same table for comparison.

    make bench                         # 1e5, 1e6 and 1e7 rows, then bench/incremental.py
    BENCH_SIZES=100000,1000000 make bench
    BENCH_SCALES=1,10,100 make bench   # the whole pipeline at these demo scales (default 1,10)

After the sizes, ``bench/incremental.py`` runs the whole pipeline (`ddss run`) at the demo
scales: time and peak memory per stage beside a DuckDB-only floor, the fixed cost of a run,
and a run with nothing new and one with a month added, as ratios to a full run.

Sizes above 2e6 are not generated file by file (1e7 rows of CSV take Python ten minutes):
the 1e6 candidate table is built through the real pipeline, then copied in DuckDB to the
size (each copy its own source file, so every row keeps a distinct file and row number and
the share of defective rows stays the same); only validation, its floor and peak memory are
measured there. Peak memory is compared with the size of the same rows in pandas,
estimated from a 100,000-row sample.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_AT_SCALE_1 = 42_540
GENERATED_MAX = int(os.environ.get("BENCH_GENERATED_MAX", "2000000"))
CENTRE = ["admin_procedure_dossiers", "online_public_services"]
CANDIDATE = 'staging."stg_tuyen_quang_pasc__admin_procedure_dossiers"'


def best_of(n, fn):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def one_size(rows: int, root: Path) -> dict:
    import duckdb
    import great_expectations  # noqa: F401  (import time is not validation time)

    from ddss.ingest.extract import extract
    from ddss.publish.publisher import publish
    from ddss.quality.gate import compile_suite, floor_sql, load_suite, validate
    from ddss.quality.gx_duckdb import validate_with_gx
    from ddss.settings import workspace_settings
    from ddss.transform.dbt_runner import build_marts, build_staging
    from ddss_demo.generate import generate

    cfg = workspace_settings(root)
    generated = min(rows, GENERATED_MAX // 2) if rows > GENERATED_MAX else rows
    scale = generated / ROWS_AT_SCALE_1
    t = time.perf_counter()
    generate(cfg.landing_dir, seed=2022, scale=scale, departments={"tuyen_quang_pasc"})
    result = {"rows": rows, "generate_s": time.perf_counter() - t}

    t = time.perf_counter()
    extract("bench", cfg, CENTRE)
    result["ingest_s"] = time.perf_counter() - t

    t = time.perf_counter()
    build_staging(cfg, "tuyen_quang_pasc")
    result["dbt_staging_s"] = time.perf_counter() - t

    validate("online_public_services", "bench", cfg)
    if rows > generated:
        return _replicated(cfg, rows, generated, result)
    result["validate_s"] = best_of(3, lambda: validate("admin_procedure_dossiers", "bench", cfg))

    suite = load_suite("admin_procedure_dossiers", cfg)
    query = floor_sql(
        'staging."stg_tuyen_quang_pasc__admin_procedure_dossiers"', compile_suite(suite)
    )

    def floor():
        con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
        con.execute(query).fetchall()
        con.close()

    result["floor_s"] = best_of(3, floor)

    t = time.perf_counter()
    build_marts(cfg, "tuyen_quang_pasc")
    result["dbt_marts_s"] = time.perf_counter() - t

    t = time.perf_counter()
    publish("bench", cfg)
    result["publish_s"] = time.perf_counter() - t
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Last: GX's engine keeps the DuckDB file open in this process afterwards.
    con = duckdb.connect(str(cfg.warehouse_path))
    con.execute(
        "create or replace table main.candidate as "
        "select * from staging.stg_tuyen_quang_pasc__admin_procedure_dossiers"
    ).fetchall()
    con.close()
    result["gx_engine_s"] = best_of(
        1, lambda: validate_with_gx(cfg.warehouse_path, "candidate", suite)
    )
    return result


def _floor(cfg) -> float:
    import duckdb

    from ddss.quality.gate import compile_suite, floor_sql, load_suite

    query = floor_sql(CANDIDATE, compile_suite(load_suite("admin_procedure_dossiers", cfg)))

    def run():
        con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
        con.execute(query).fetchall()
        con.close()

    return best_of(3, run)


def _pandas_bytes(cfg, rows: int) -> float:
    import duckdb

    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    sample = con.sql(f"select * from {CANDIDATE} limit 100000").df()
    con.close()
    return sample.memory_usage(deep=True).sum() * rows / len(sample)


# Run in a fresh process: validation's own time and the memory it adds over the process's
# resident size after imports (sampled every 5 ms from /proc: ru_maxrss would only show the
# imports' high-water mark).
VALIDATE_ALONE = """
import sys, threading, time
from pathlib import Path
from ddss.settings import workspace_settings
from ddss.quality.gate import load_suite, validate

def rss_mb():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmRSS')) / 1024

cfg = workspace_settings(Path(sys.argv[2]))
load_suite('admin_procedure_dossiers', cfg)  # imports GX: neither validation time nor memory
base = rss_mb()
peak = [base]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
t = time.perf_counter()
o = validate('admin_procedure_dossiers', 'bench', cfg)
seconds = time.perf_counter() - t
done.set()
peak[0] = max(peak[0], rss_mb())
print('RESULT', seconds, peak[0] - base, o.rows_checked, o.rows_failed, base)
"""


def _replicated(cfg, rows: int, generated: int, result: dict) -> dict:
    """Copy the generated candidate to ``rows`` rows, then measure validation only, its
    peak memory in a fresh process, and the floor."""
    import duckdb

    con = duckdb.connect(str(cfg.warehouse_path))
    actual = con.execute(f"select count(*) from {CANDIDATE}").fetchone()[0]
    copies = -(-rows // actual)
    con.execute(f"create or replace table staging.bench_base as select * from {CANDIDATE}")
    con.execute(f"""create or replace table {CANDIDATE} as
        select * replace (_source_file || '#' || copy as _source_file,
                          dossier_id || '#' || copy as dossier_id)
        from staging.bench_base, range({copies}) as copies(copy)
        limit {rows}""")
    con.execute("drop table staging.bench_base")
    con.close()
    # Validation in its own process: its peak RSS is the gate's memory, not the bench's.
    code = VALIDATE_ALONE
    tests = str(Path(__file__).resolve().parents[1] / "tests")
    out = subprocess.run(
        [sys.executable, "-c", code, tests, str(cfg.warehouse_path.parents[2])],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    _, seconds, rss, checked, failed, base = line.split()
    result.update(
        {
            "validate_s": float(seconds),
            "validate_peak_rss_mb": float(rss),
            "imports_rss_mb": float(base),
            "rows_checked": int(checked),
            "rows_quarantined": int(failed),
            "floor_s": _floor(cfg),
            "pandas_mb": _pandas_bytes(cfg, rows) / 2**20,
            "replicated_from": actual,
        }
    )
    return result


def report(r: dict) -> str:
    n = r["rows"]
    if "replicated_from" in r:
        return "\n".join(
            [
                f"rows={n:,}  (the {r['replicated_from']:,}-row candidate built by the pipeline, copied in DuckDB)",
                f"  validation  {n / r['validate_s']:>12,.0f} rows/s  ({r['validate_s']:.2f} s; "
                f"{r['rows_checked']:,} rows checked, {r['rows_quarantined']:,} quarantined)",
                f"  floor (one SQL pass, same checks) {r['floor_s']:.2f} s",
                f"  ratio validation / floor = {r['validate_s'] / r['floor_s']:.2f}x   (target <= 2x)",
                f"  memory added by validation {r['validate_peak_rss_mb']:,.0f} MB (peak RSS over the "
                f"{r['imports_rss_mb']:,.0f} MB of imports); the same rows in pandas {r['pandas_mb']:,.0f} MB "
                f"(ratio {r['validate_peak_rss_mb'] / r['pandas_mb']:.2f})",
            ]
        )
    dbt = r["dbt_staging_s"] + r["dbt_marts_s"]
    lines = [
        f"rows={n:,}  (generate {r['generate_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB)",
        f"  ingest      {n / r['ingest_s']:>12,.0f} rows/s  ({r['ingest_s']:.2f} s)",
        f"  dbt         {n / dbt:>12,.0f} rows/s  ({dbt:.2f} s: staging {r['dbt_staging_s']:.2f}, marts {r['dbt_marts_s']:.2f})",
        f"  validation  {n / r['validate_s']:>12,.0f} rows/s  ({r['validate_s']:.3f} s)",
        f"  publish     {n / r['publish_s']:>12,.0f} rows/s  ({r['publish_s']:.2f} s)",
        f"  floor (one SQL pass, same checks) {r['floor_s']:.3f} s",
        f"  ratio validation / floor = {r['validate_s'] / r['floor_s']:.2f}x   (target <= 2x)",
        f"  ratio GX SQL engine (patched) / floor = {r['gx_engine_s'] / r['floor_s']:.2f}x  "
        f"(GX: counts only, unexpected rows capped)",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory() as tmp:
            print("RESULT" + json.dumps(one_size(int(sys.argv[2]), Path(tmp))))
        sys.stdout.flush()
        os._exit(0)
    sizes = [
        int(float(s)) for s in os.environ.get("BENCH_SIZES", "100000,1000000,10000000").split(",")
    ]
    print(f"ddss bench on {os.cpu_count()} cores; each size in its own process")
    results = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True
        )
        line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), None)
        if line is None:
            print(out.stdout[-3000:], out.stderr[-3000:])
            raise SystemExit(f"bench failed at {size} rows")
        result = json.loads(line[6:])
        results.append(result)
        print(report(result), flush=True)
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=1))
    if os.environ.get("BENCH_SCALES") != "":  # BENCH_SCALES= (empty) skips the pipeline
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("incremental.py"))], check=False
        )


if __name__ == "__main__":
    main()
