"""dbt staging: model time with the Vietnamese validators in SQL against the same models
calling the Python functions row by row (issue 17), and dbt's parse time with and without
partial parsing.

    .venv/bin/python bench/dbt_bench.py                 # the demo feeds at scale 10
    .venv/bin/python bench/dbt_bench.py --scale 1 --root /tmp/dbt-bench

It generates the feeds (seed 2022) into a scratch workspace and loads them once; then, on
the same loaded warehouse, it times `dbt run --select staging --threads 1` twice each way,
alternately (the validators in SQL; the same models with --vars '{python_validators: true}',
which makes each macro call its Python twin: the code before issue 17), and prints the
model time of each staging model as dbt reports it (run_results.json) and the ratios, and
whether both ways built the same tables (row counts and a hash of every row).
Parse: `dbt parse` in one process, with --no-partial-parse and with --partial-parse (the
saved manifest), alternately.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _model_times(target: Path) -> dict[str, float]:
    results = json.loads((target / "run_results.json").read_text("utf-8"))["results"]
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}


def _fingerprints(warehouse: Path, models: dict[str, float]) -> dict[str, tuple]:
    """Each staging table's row count and an order-independent hash of every row."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            model: con.execute(
                f'select count(*), bit_xor(hash(columns(*))) from staging."{model}"'
            ).fetchall()[0]
            for model in models
        }
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--root", type=Path, help="workspace (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each variant (best kept)")
    args = parser.parse_args()

    from ddss.data_contracts import source_contracts
    from ddss.ingest.extract import extract
    from ddss.settings import workspace_settings
    from ddss.transform import validators
    from ddss.transform.dbt_runner import run_dbt
    from ddss_demo.api_server import ApiServer
    from ddss_demo.generate import generate

    root = args.root or Path(tempfile.mkdtemp(prefix="ddss-dbt-bench-"))
    cfg = workspace_settings(root)
    loaded = root / "loaded.duckdb"
    if not loaded.exists():
        start = time.perf_counter()
        generate(cfg.landing_dir, seed=2022, scale=args.scale)
        # The tax department's feeds come from its API (the demo's stand-in serves them).
        with ApiServer(cfg.landing_dir / "_http") as url:
            extract("bench", replace(cfg, api_url=url), [c.id for c in source_contracts(cfg)])
        shutil.copy(cfg.warehouse_path, loaded)
        print(
            f"feeds at scale {args.scale:g} generated and loaded in {time.perf_counter() - start:.1f} s"
        )
    target = cfg.warehouse_path.parent / "dbt_target"

    variants = {"sql": [], "python": ["--vars", "{python_validators: true}"]}
    best: dict[str, dict[str, float]] = {}
    fingerprints: dict[str, dict[str, tuple]] = {}
    for _ in range(args.repeat):
        for name, extra in variants.items():
            shutil.copy(loaded, cfg.warehouse_path)  # the same input every time
            # A pipeline task is a fresh process: the Python functions' caches start empty.
            validators.tax_code_valid.cache_clear()
            validators.phone_e164.cache_clear()
            # One model at a time: each model's time is its own, not shared with another's.
            run_dbt(["run", "--select", "staging", "--threads", "1", *extra], cfg)
            times = _model_times(target)
            fingerprints.setdefault(name, _fingerprints(cfg.warehouse_path, times))
            kept = best.setdefault(name, times)
            for model, seconds in times.items():
                kept[model] = min(kept[model], seconds)

    print(f"\nstaging model time (s), best of {args.repeat}: validators in SQL vs Python UDFs")
    for model in sorted(best["sql"], key=lambda m: -best["python"][m]):
        sql, python = best["sql"][model], best["python"][model]
        print(f"  {model:58} {sql:7.2f} {python:7.2f}  x{python / sql:5.1f}")
    sql_total, python_total = sum(best["sql"].values()), sum(best["python"].values())
    print(
        f"  {'all staging models':58} {sql_total:7.2f} {python_total:7.2f}  x{python_total / sql_total:5.1f}"
    )

    same = fingerprints["sql"] == fingerprints["python"]
    print(f"  the two ways build identical staging tables (every row, every column): {same}")

    def parse(flag: str) -> float:
        start = time.perf_counter()
        run_dbt(["parse", flag], cfg)
        return time.perf_counter() - start

    parse("--partial-parse")  # warm-up: dbt's first invocation in a process pays extra
    timings: dict[str, list[float]] = {"--no-partial-parse": [], "--partial-parse": []}
    for _ in range(args.repeat + 1):
        for flag, kept_times in timings.items():  # alternately; a full parse saves the manifest
            kept_times.append(parse(flag))
    full, partial = min(timings["--no-partial-parse"]), min(timings["--partial-parse"])
    print(f"\ndbt parse (s): full {full:.2f}, partial {partial:.2f}  x{full / partial:.1f}")
    print(
        json.dumps(
            {
                "scale": args.scale,
                "staging_sql_s": round(sql_total, 2),
                "staging_python_s": round(python_total, 2),
                "staging_ratio": round(python_total / sql_total, 1),
                "parse_full_s": round(full, 2),
                "parse_partial_s": round(partial, 2),
                "parse_ratio": round(full / partial, 1),
                "identical_tables": same,
            }
        )
    )


if __name__ == "__main__":
    main()
