"""The whole pipeline (`ddss run`) at demo scales, beside a DuckDB-only floor, measured in one
run: time and peak resident memory per stage, the fixed cost of a run, a run with nothing
new and a run with one month added, each as a ratio to a full run.

    python bench/incremental.py                   # scales 1 and 10
    BENCH_SCALES=1,10,100 python bench/incremental.py
    BENCH_AIRFLOW=1 python bench/incremental.py   # also the demo's DAGs against ddss run

What each figure is (every run is `ddss run --json` in its own process, as an engineer runs
it, with the demo's as-of date):

* full: a workspace with every file of the scale's feeds, from empty.
* fixed cost: a second full run (``--full``) on the feeds at scale 0.02 (every file, a few
  rows each) minus process start-up (`ddss --help`): what a run costs whatever the data
  size, per stage too. (An empty landing folder is no measure: the marts' dbt tests fail
  on empty tables; the first run of a workspace also has GX check each suite file once.)
* one month added: the feeds without their last month's files, run; then that month's files
  dropped in and run again: the second run, over the full run.
* one department's month added: as above, but only the month's files of one department
  (the first in name order) dropped in, on a copy of the eleven months' workspace: what a
  run costs when one feed sends its month (the others' staging and marts are not rebuilt).
* nothing new: the same workspace run again, over the full run.
* floor: DuckDB alone on the same files: read each file and archive it with sha256, load it
  (all text), one aggregate pass over every column (the checks' floor), `COPY ... TO` CSV,
  Parquet and JSON, and sha256 of what was written. Staging in the floor is a plain copy:
  the pipeline's typing and validators cost more than that, so the ratio is an upper bound
  of what could be gained.
* airflow (BENCH_AIRFLOW=1): the demo's DAGs (`ddss.orchestration.airflow_env.
  departments_test`: every department's extract and transform, one publish) on the same
  files, over `ddss run` (the full run above).

Ratios only: nothing here asserts a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2022-08-11"
LAST_MONTH = "2022-07"
DDSS = str(Path(sys.executable).with_name("ddss"))
FIXED_COST_SCALE = 0.02
STAGES = ("inputs", "extract", "stage", "validate", "marts", "publish")


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDSS_", "AIRFLOW"))}
    env.update(DDSS_DATA_DIR=str(root / "data"), DDSS_PUBLIC_DIR=str(root / "public"))
    if os.environ.get("DDSS_HOME"):
        env["DDSS_HOME"] = os.environ["DDSS_HOME"]
    return env


def ddss_run(root: Path, *extra: str) -> dict:
    """`ddss run --json` in ``root``: its summary, with ``wall_s`` (the whole process)."""
    started = time.perf_counter()
    done = subprocess.run(
        [DDSS, "run", "--as-of", AS_OF, "--json", *extra],
        env=_env(root),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    start = done.stdout.find("{")
    summary = json.loads(done.stdout[start:]) if start >= 0 else {}
    summary["wall_s"] = wall
    summary["exit"] = done.returncode
    if start < 0:
        summary["error"] = (done.stdout + done.stderr)[-2000:]
    return summary


def startup_s() -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([DDSS, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def floor(feeds: Path, root: Path) -> dict[str, float]:
    """DuckDB alone on the same files (see the module's text)."""
    import duckdb

    files = sorted(p for p in feeds.rglob("*") if p.is_file() and p.suffix in {".csv", ".json"})
    files = [p for p in files if p.name != "truth-manifest.json" and "_http" not in p.parts]
    raw, out = root / "raw", root / "out"
    raw.mkdir(parents=True)
    out.mkdir()
    con = duckdb.connect(str(root / "floor.duckdb"))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    tables = []
    for i, path in enumerate(files):
        digest = _sha256(path)
        target = raw / f"{digest}__{path.name}"
        shutil.copyfile(path, target)
        if _sha256(target) != digest:  # verify the copy, as the archive does
            raise RuntimeError(f"{target} does not match its sha256")
        reader = (
            f"read_csv('{target}', all_varchar = true, encoding = 'utf-8')"
            if path.suffix == ".csv"
            else f"read_json_auto('{target}')"
        )
        try:
            con.execute(f"create table raw_{i} as select * from {reader}")
        except duckdb.Error:  # another encoding or layout: the pipeline reads it, the floor skips
            continue
        tables.append(f"raw_{i}")
    seconds["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in tables:
        con.execute(f"create table stg_{table} as select * from {table}")
    seconds["stage"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in tables:
        columns = [
            c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall()
        ]
        checks = ", ".join(f'count(distinct "{c}"), count("{c}")' for c in columns)
        con.execute(f"select count(*), {checks} from stg_{table}").fetchall()
    seconds["validate"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in tables:
        for suffix, options in (
            ("csv", "format csv, header"),
            ("parquet", "format parquet"),
            ("json", "format json, array true"),
        ):
            target = out / f"{table}.{suffix}"
            con.execute(f"copy stg_{table} to '{target}' ({options})")
            _sha256(target)
    seconds["publish"] = time.perf_counter() - started
    con.close()
    seconds["total"] = sum(seconds.values())
    return seconds


def _month_files(landing: Path) -> list[Path]:
    return sorted(
        p
        for p in landing.rglob("*")
        if p.is_file() and LAST_MONTH in p.name and "_http" not in p.parts
    )


def airflow_s(feeds: Path, root: Path) -> float:
    from ddss.orchestration import airflow_env
    from ddss.orchestration.pipeline import known_departments
    from ddss.orchestration.sources import local_sources
    from ddss.settings import workspace_settings

    cfg = workspace_settings(root)
    shutil.copytree(feeds, cfg.landing_dir)
    with local_sources(cfg) as served:
        env = airflow_env.environment(served, root / "airflow")
        airflow_env.init(env)  # once per Airflow home: not part of a run
        started = time.perf_counter()
        state, output = airflow_env.departments_test(
            known_departments(cfg), f"{AS_OF}T00:00:00+00:00", env
        )
        seconds = time.perf_counter() - started
    if state != "success":
        raise RuntimeError(f"Airflow run ended {state}: {output[-3000:]}")
    return seconds


def one_scale(scale: float, tmp: Path) -> dict:
    from ddss.settings import workspace_settings
    from ddss.transform.dbt_runner import run_dbt
    from ddss_demo.generate import generate

    feeds = tmp / "feeds"
    generate(feeds, seed=2022, scale=scale)
    result: dict = {"scale": scale, "startup_s": startup_s()}

    tiny = tmp / "tiny"
    generate(tiny / "data" / "landing", seed=2022, scale=FIXED_COST_SCALE)
    ddss_run(tiny)  # the first run of a workspace also has GX check each suite file once
    result["fixed"] = ddss_run(tiny, "--full")

    full = tmp / "full"
    shutil.copytree(feeds, full / "data" / "landing")
    result["full"] = ddss_run(full)
    result["nothing_new"] = ddss_run(full)

    month = tmp / "month"
    shutil.copytree(feeds, month / "data" / "landing")
    aside = tmp / "aside"
    moved = []
    for path in _month_files(month / "data" / "landing"):
        target = aside / path.relative_to(month / "data" / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        moved.append((target, path))
    result["eleven"] = ddss_run(month)
    one = tmp / "one"
    shutil.copytree(month, one, symlinks=True)
    # dbt's saved parse is for the warehouse's path: parse once for the copy's, as a
    # workspace that never moved has it (not measured).
    run_dbt(["parse"], workspace_settings(one))
    department = moved[0][1].relative_to(month / "data" / "landing").parts[0]
    for target, path in moved:
        if path.relative_to(month / "data" / "landing").parts[0] == department:
            copy = one / path.relative_to(month)
            shutil.copy2(target, copy)
    result["one_department"] = ddss_run(one)
    result["one_department_id"] = department
    for target, path in moved:
        shutil.move(target, path)
    result["month_added"] = ddss_run(month)
    result["month_files"] = len(moved)
    result["floor"] = floor(feeds, tmp / "floor")
    if os.environ.get("BENCH_AIRFLOW"):
        result["airflow_s"] = airflow_s(feeds, tmp / "airflow")
    return result


def _rows(summary: dict) -> int:
    return sum((summary.get("extract") or {}).get("loaded", {}).values())


def report(r: dict) -> str:
    full, floor_s = r["full"], r["floor"]
    lines = [f"scale {r['scale']:g}: {_rows(full):,} rows loaded in the full run"]
    if "error" in full:
        return "\n".join([*lines, "  full run failed: " + full["error"]])
    stage_line = "  stage        " + "  ".join(f"{s:>9}" for s in STAGES) + "      total"
    seconds = full.get("seconds", {})
    rss = full.get("peak_rss_mb", {})
    lines += [
        stage_line,
        "  seconds      "
        + "  ".join(f"{seconds.get(s, 0):9.2f}" for s in STAGES)
        + f"  {full['wall_s']:9.2f}",
        "  peak RSS MB  " + "  ".join(f"{rss.get(s, 0):9.0f}" for s in STAGES),
        "  floor s      "
        + "  ".join(f"{floor_s.get(s, 0):9.2f}" for s in STAGES)
        + f"  {floor_s['total']:9.2f}",
        "  fixed s      "
        + "  ".join(f"{r['fixed'].get('seconds', {}).get(s, 0):9.2f}" for s in STAGES)
        + f"  {r['fixed']['wall_s']:9.2f}",
        f"  end to end / floor             {full['wall_s'] / floor_s['total']:6.2f}x  (target <= 2x at scale 100)",
        f"  fixed cost (run at scale {FIXED_COST_SCALE:g} - start-up {r['startup_s']:.2f} s)  "
        f"{r['fixed']['wall_s'] - r['startup_s']:6.2f} s  (target <= 3 s)",
        f"  nothing new / full             {r['nothing_new']['wall_s'] / full['wall_s']:6.3f}   "
        f"(target <= 0.05; said nothing new: {r['nothing_new'].get('nothing_new') is not None})",
        f"  one month added / full         {r['month_added']['wall_s'] / full['wall_s']:6.3f}   "
        f"(target <= 0.15; {r['month_files']} file(s) of {LAST_MONTH} added)",
    ]
    if "one_department" in r:
        one = r["one_department"]
        lines.append(
            f"  one department's month / full  {one['wall_s'] / full['wall_s']:6.3f}   "
            f"({r['one_department_id']}; stage {one.get('seconds', {}).get('stage', 0):.2f} s, "
            f"marts {one.get('seconds', {}).get('marts', 0):.2f} s)"
        )
    if "airflow_s" in r:
        lines.append(
            f"  Airflow DAGs / ddss run        {r['airflow_s'] / full['wall_s']:6.2f}x  (target <= 1.5x)"
        )
    return "\n".join(lines)


def scales() -> list[float]:
    return [float(s) for s in os.environ.get("BENCH_SCALES", "1,10").split(",") if s.strip()]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory() as tmp:
            print("RESULT" + json.dumps(one_scale(float(sys.argv[2]), Path(tmp))))
        return
    print(f"ddss run against the DuckDB floor, scales {scales()} (BENCH_SCALES)")
    results = []
    for scale in scales():
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(scale)], capture_output=True, text=True
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
        if line is None:
            print(f"scale {scale:g}: bench failed\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
            continue
        result = json.loads(line[6:])
        results.append(result)
        print(report(result), flush=True)
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "incremental.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
