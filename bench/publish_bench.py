"""Publish: time and peak memory beside a DuckDB-only floor, measured in one run.

For each scale of the demo feeds (``ddss generate --scale``): generate them in a scratch
workspace, run the pipeline without publishing (``run_all(..., publish=False)``), then, each
in a fresh child process so that peak resident memory is the publisher's own:

* **full, cold caches**: publish into an empty ``public/`` (every download written and
  scanned) with a home whose ``.cache`` holds only the chart bundle (built once per
  vl-convert release): every chart drawn, every template compiled, as a first publication;
* **full**: the same again, with the caches the first one left (chart drawings, compiled
  templates): what a publication of the same data pays;
* **unchanged**: publish again, same run, same warehouse (nothing new: no new version);
* **one changed**: one dataset's mart changed (one row deleted), published under a new run id
  (only that dataset's files are written; the others are linked from the current version);
* **floor**: for every dataset the full publication writes, the same ordered rows
  ``COPY … TO`` CSV, Parquet and JSON by DuckDB alone, each file then sha256-summed.

With ``--baseline DIR`` (a ``plugins/`` folder of another revision, e.g. the one before
this change: ``git archive HEAD~1 plugins | tar -x -C /tmp/old``) the full publication is
also timed with that revision's package, and the ratios new/old are printed.

    .venv/bin/python bench/publish_bench.py                    # scales 1 and 10
    BENCH_SCALES=1,10,100 .venv/bin/python bench/publish_bench.py --baseline /tmp/old/plugins

Figures are printed as ratios measured in one run on one machine; nothing here asserts a
time.
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
AS_OF = "2022-08-11"

# Runs in a child: one publication, then its wall time and peak RSS as one JSON line.
PUBLISH_CHILD = """
import json, resource, sys, time
from pathlib import Path
from ddss.settings import workspace_settings
import ddss.publish.publisher as publisher
steps = {}

def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            steps[name] = steps.get(name, 0) + time.perf_counter() - start
    return wrapper

# The publisher's steps (plan, downloads and quality, pages, personal-data scan, manifest).
for name in ("plan", "_gather", "_render", "_scan", "_seal", "switch"):
    setattr(publisher, name, timed(name.strip("_"), getattr(publisher, name)))
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), cpu()
publication = publisher.publish(sys.argv[2], workspace_settings(Path(sys.argv[1])))
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "cpu": cpu() - cpu_start,
    "steps": steps,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "imports_mb": before / 1024,
    "version": publication.version,
    "module": publisher.__file__,
}))
"""

# The floor: DuckDB alone writes the same ordered rows in the three formats, then sha256.
FLOOR_CHILD = """
import json, resource, sys, time
from pathlib import Path
from ddss.checksums import sha256_of
from ddss.data_contracts import load_contracts
from ddss.settings import workspace_settings
from ddss.warehouse import connect
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

root, datasets = Path(sys.argv[1]), json.loads(sys.argv[2])
cfg = workspace_settings(root)
contracts = load_contracts(cfg)
out = root / "floor"
out.mkdir(exist_ok=True)
start, cpu_start = time.perf_counter(), cpu()
with connect(cfg, read_only=True) as con:
    for dataset in datasets:
        contract = contracts[dataset]
        columns = ", ".join(f'"{c.name}"' for c in contract.publish_columns)
        order = ", ".join(f'"{k}"' for k in contract.publish_key) or "1"
        query = f'select {columns} from marts."{contract.publish_model}" order by {order}'
        for fmt, options in (("csv", "format csv, header true"), ("parquet", "format parquet"),
                             ("json", "format json, array true")):
            path = out / f"{dataset}.{fmt}"
            con.execute(f"copy ({query}) to '{path}' ({options})")
            sha256_of(path)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "cpu": cpu() - cpu_start,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


PACKAGE: list[Path] = []  # --package: the ddss package measured (default: the installed one)


def child(
    code: str, *args: str, package: Path | None = None, env_extra: dict | None = None
) -> dict:
    env = dict(os.environ) | (env_extra or {})
    first = [package] if package is not None else PACKAGE
    if first:  # another revision's ddss package first on the path
        env["PYTHONPATH"] = os.pathsep.join([*map(str, first), env.get("PYTHONPATH", "")])
    process = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        raise SystemExit(f"child failed:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def prepare(root: Path, scale: float) -> None:
    """The feeds at ``scale``, extracted, staged, validated and built, not published."""
    code = (
        "import sys, datetime\n"
        "from pathlib import Path\n"
        "from ddss.settings import workspace_settings\n"
        "from ddss.orchestration.pipeline import run_all\n"
        "from ddss_demo.generate import generate\n"
        "cfg = workspace_settings(Path(sys.argv[1]))\n"
        "generate(cfg.landing_dir, seed=2022, scale=float(sys.argv[2]))\n"
        "run_all('bench-1', cfg, as_of=datetime.date.fromisoformat(sys.argv[3]), publish=False)\n"
        "print('{}')\n"
    )
    child(code, str(root), str(scale), AS_OF)


def published_datasets(public: Path) -> list[str]:
    manifest = json.loads((public / "current" / "manifest.json").read_text("utf-8"))
    return sorted(
        {Path(e["path"]).stem for e in manifest["files"] if e["path"].startswith("downloads/")}
    )


def change_one_dataset(root: Path, dataset: str) -> None:
    """Delete one row of the dataset's mart: its content checksum changes, nothing else."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ddss.data_contracts import load_contracts\n"
        "from ddss.settings import workspace_settings\n"
        "from ddss.warehouse import connect\n"
        "cfg = workspace_settings(Path(sys.argv[1]))\n"
        "model = load_contracts(cfg)[sys.argv[2]].publish_model\n"
        "with connect(cfg) as con:\n"
        '    con.execute(f\'delete from marts."{model}" where rowid = (select min(rowid) '
        'from marts."{model}")\')\n'
        "print('{}')\n"
    )
    child(code, str(root), dataset)


def fresh_public(root: Path) -> None:
    for name in ("public", "public.staging"):
        path = root / name
        if path.exists():
            for directory, _, _ in os.walk(path):
                os.chmod(directory, 0o755)
            shutil.rmtree(path)


def cold_home(work: Path) -> Path:
    """A home whose cache holds only the chart bundle (built once per vl-convert release)."""
    home = work / "cold-home"
    shutil.rmtree(home, ignore_errors=True)
    (home / ".cache").mkdir(parents=True)
    for bundle in (REPO / ".cache").glob("vega-bundle-*.js"):
        shutil.copyfile(bundle, home / ".cache" / bundle.name)
    return home


def one_scale(scale: float, work: Path, baseline: Path | None) -> dict:
    root = work / f"scale-{scale:g}"
    if not (root / "data" / "warehouse" / "ddss.duckdb").is_file():  # --work kept from before
        prepare(root, scale)
    result: dict = {"scale": scale}
    # Every publication here uses this home's caches, never the repository's.
    home = {"DDSS_HOME": str(cold_home(work))}
    if baseline is not None:
        fresh_public(root)
        result["baseline"] = child(
            PUBLISH_CHILD, str(root), "bench-1", package=baseline, env_extra=home
        )
    fresh_public(root)
    result["cold"] = child(PUBLISH_CHILD, str(root), "bench-1", env_extra=home)
    fresh_public(root)
    result["full"] = child(PUBLISH_CHILD, str(root), "bench-1", env_extra=home)
    datasets = published_datasets(root / "public")
    result["unchanged"] = child(PUBLISH_CHILD, str(root), "bench-1", env_extra=home)
    result["unchanged"]["new_version"] = result["unchanged"]["version"] != result["full"]["version"]
    change_one_dataset(root, datasets[0])
    result["one_changed"] = child(PUBLISH_CHILD, str(root), "bench-2", env_extra=home)
    result["floor"] = child(FLOOR_CHILD, str(root), json.dumps(datasets))
    result["datasets"] = len(datasets)
    result["download_mb"] = sum(p.stat().st_size for p in (root / "floor").iterdir()) / 2**20
    return result


def steps(measure: dict) -> str:
    return " ".join(f"{k} {v:.1f}s" for k, v in measure.get("steps", {}).items())


def timing(measure: dict) -> str:
    return f"{measure['seconds']:7.2f} s (cpu {measure['cpu']:6.2f} s)"


def report(r: dict) -> list[str]:
    """Wall and CPU time (CPU is steadier on a shared machine); ratios of CPU time."""
    full, floor, unchanged, changed = r["full"], r["floor"], r["unchanged"], r["one_changed"]
    lines = [
        f"publish @ scale {r['scale']:g}: {r['datasets']} datasets, "
        f"{r['download_mb']:.0f} MB of downloads (floor's CSV+Parquet+JSON)",
        f"  full publish      {timing(full)}  peak {full['peak_mb']:6.0f} MB "
        f"(after imports {full['imports_mb']:.0f} MB)  {steps(full)}",
        f"  full, cold caches {timing(r['cold'])}  peak {r['cold']['peak_mb']:6.0f} MB"
        f"  {steps(r['cold'])}",
        f"  DuckDB floor      {timing(floor)}  peak {floor['peak_mb']:6.0f} MB"
        f"  -> publish/floor {full['cpu'] / floor['cpu']:.2f}x",
        f"  nothing new       {timing(unchanged)}  -> {unchanged['cpu'] / full['cpu']:.0%} of full "
        f"(new version: {'yes' if unchanged['new_version'] else 'no'})",
        f"  one dataset new   {timing(changed)}  -> {changed['cpu'] / full['cpu']:.0%} of full"
        f"  {steps(changed)}",
    ]
    if "baseline" in r:
        old = r["baseline"]
        lines.append(
            f"  baseline publish  {timing(old)}  peak {old['peak_mb']:6.0f} MB"
            f"  -> new/old cpu {full['cpu'] / old['cpu']:.2f}x, "
            f"peak {full['peak_mb'] / old['peak_mb']:.2f}x  {steps(old)}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "1,10"))
    parser.add_argument("--baseline", type=Path, help="another revision's plugins/ folder")
    parser.add_argument(
        "--package", type=Path, help="the plugins/ folder to measure (default: the installed)"
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the workspaces here (default: temp); a scale-<X> workspace already "
        "there is published again without being prepared again",
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    if args.package:
        PACKAGE.append(args.package)
    results = []
    with tempfile.TemporaryDirectory(prefix="publish-bench-") as temporary:
        work = args.work or Path(temporary)
        for scale in (float(s) for s in args.scales.split(",")):
            result = one_scale(scale, work, args.baseline)
            results.append(result)
            print("\n".join(report(result)), flush=True)
        if args.work is None:
            fresh_public(work)  # read-only versions: make them removable
            for path in work.glob("*"):
                fresh_public(path)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
