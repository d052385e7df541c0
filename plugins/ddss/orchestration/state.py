"""What the last completed run saw, so that a run with nothing new does nothing.

A run's *inputs* are the landing files (path and sha256, from the archive's record of
landing hashes: files unchanged since they were taken are not read again) and a
*fingerprint* of what else decides the result: the contracts, the expectation suites, the
reference lists (``ddss/reference/``, and the installed ``vietnam-provinces`` release the
wards come from), the dbt project (its ``target/`` and logs aside), the installed ``ddss``
version and the settings. A run whose inputs, reference date (sống is judged as of it) and
publish choice equal those of the last completed run of the same scope loads, validates and
publishes nothing, and says so.

The package's other code is not fingerprinted (a deployment bumps the version; on a
development checkout every saved file would force a full run): after changing code, run
``ddss run --full``.

A completed run also records what its staging and marts were built from, per dataset: the
files loaded (``meta.loaded_files``: name, sha256, rows) and the gate's output (the rows of
``quality.quarantine``), and how many file events and validations the warehouse held, so
that the next run rebuilds only the datasets whose inputs changed (``ddss.orchestration.
pipeline.plan_builds``). Anything else writing the warehouse in between (a department DAG's
extract or validation) makes the next run a full one.

The record is ``run_state.json`` beside the warehouse: removing the warehouse (``make
clean``) forgets it, and a publication that is no longer ``current`` makes the next run a
full one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ddss.settings import Settings

# Folders of the dbt project that dbt itself writes: not inputs.
DBT_OUTPUTS = {"target", "logs", "dbt_packages", "__pycache__"}
# Installed releases whose change changes the result: the pipeline, the ward list's source.
DISTRIBUTIONS = ("ddss", "vietnam-provinces", "dbt-core", "dbt-duckdb", "duckdb")
SOURCE_SUFFIXES = {".py", ".yml", ".yaml", ".json", ".csv", ".sql", ".html", ".md", ".txt"}


@dataclass
class RunInputs:
    fingerprint: str
    landing: dict[str, str]  # landing path -> sha256
    as_of: str
    publish: bool
    run_id: str = ""
    version: str | None = None  # the publication the run made current (publish runs)
    # What the run's staging and marts were built from (``built_from``): dataset -> digest of
    # its loaded files, dataset -> digest of its quarantine, and the warehouse's counts of
    # file events and validations (``activity``). Empty in a record of an older version.
    staged: dict[str, str] = field(default_factory=dict)
    validated: dict[str, str] = field(default_factory=dict)
    activity: list[int] = field(default_factory=list)
    # What fetching the HTTP sources failed with (not recorded: the next run fetches again).
    fetch_problems: list = field(default_factory=list, repr=False)


def _files(root: Path, skip: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    if not root.exists():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        found += [Path(folder) / n for n in sorted(names) if Path(n).suffix in SOURCE_SUFFIXES]
    return found


def fingerprint(cfg: Settings) -> str:
    """sha256 over the contents of the contracts, suites, reference lists and dbt project,
    the releases in ``DISTRIBUTIONS`` and the settings: any change forces a full run."""
    from importlib.metadata import PackageNotFoundError, version

    import ddss

    package = Path(ddss.__file__).resolve().parent
    digest = hashlib.sha256()
    # Where things are is not an input (a workspace may move; the demo's local API server
    # takes a new port each run); limits such as the largest file accepted are.
    settings = sorted(
        (k, str(v)) for k, v in asdict(cfg).items() if k != "api_url" and not isinstance(v, Path)
    )
    digest.update(repr(settings).encode())
    for distribution in DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}=={version(distribution)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{distribution} absent\0".encode())
    roots = [
        ("reference", package / "reference", {"__pycache__"}),
        ("contracts", cfg.contracts_dir, set()),
        ("expectations", cfg.expectations_dir, set()),
        ("dbt", cfg.dbt_project_dir, DBT_OUTPUTS),
    ]
    for label, root, skip in roots:
        for path in _files(root, skip):
            digest.update(f"{label}/{path.relative_to(root)}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def state_path(cfg: Settings) -> Path:
    return cfg.warehouse_path.parent / "run_state.json"


def _read(cfg: Settings) -> dict:
    try:
        data = json.loads(state_path(cfg).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_inputs(cfg: Settings, scope: str) -> RunInputs | None:
    entry = _read(cfg).get(scope)
    try:
        return RunInputs(**entry) if isinstance(entry, dict) else None
    except TypeError:  # written by another version
        return None


def record(cfg: Settings, scope: str, inputs: RunInputs) -> None:
    """Remember a completed run's inputs (atomically: a kill leaves the previous record)."""
    data = _read(cfg)
    data[scope] = {k: v for k, v in asdict(inputs).items() if k != "fetch_problems"}
    path = state_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
    os.replace(partial, path)


def forget(cfg: Settings, scope: str) -> None:
    data = _read(cfg)
    if data.pop(scope, None) is not None:
        path = state_path(cfg)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        os.replace(partial, path)


def current_publication(cfg: Settings) -> str | None:
    link = cfg.public_dir / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def unchanged(now: RunInputs, last: RunInputs | None, cfg: Settings) -> bool:
    """Nothing new since ``last``: same files, same fingerprint, same reference date and
    publish choice, and (for a publishing run) its publication still the current one."""
    if last is None:
        return False
    same = (
        now.fingerprint == last.fingerprint
        and now.landing == last.landing
        and now.as_of == last.as_of
        and now.publish == last.publish
    )
    if same and now.publish:
        current = current_publication(cfg)
        return current is not None and current == (last.version or current)
    return same


def loaded_digests(con) -> dict[str, str]:
    """Per dataset, a digest of the files its raw rows come from (name, sha256, rows): a new,
    replaced or withdrawn file changes it. Staging reads nothing else that a run changes
    (the reference lists and the models are in the fingerprint)."""
    rows = con.execute(
        "select dataset, count(*)::varchar || ':' || sum(hash(file_name, sha256, rows))::varchar"
        " from meta.loaded_files group by dataset"
    ).fetchall()
    return {dataset: digest for dataset, digest in rows}


def quarantine_digests(con) -> dict[str, str]:
    """Per dataset, a digest of its rows in ``quality.quarantine`` (every column but the run
    id): what the marts read from the gate (``not_quarantined``). A dataset whose validation
    result changed (a new as-of date, a control total) changes it even when no file did."""
    rows = con.execute(
        "select dataset, count(*)::varchar || ':' "
        "|| sum(hash(*columns(* exclude (run_id))))::varchar"
        " from quality.quarantine group by dataset"
    ).fetchall()
    return {dataset: digest for dataset, digest in rows}


def activity(con) -> list[int]:
    """How many file events (withdrawals aside: their effect is in ``loaded_digests``) and
    validations the warehouse holds. Both only grow; a count other than the last run's
    means another process (a department DAG) loaded or validated since."""
    return [
        int(n)
        for n in con.execute(
            "select (select count(*) from meta.file_events where status <> 'withdrawn'),"
            " (select count(*) from quality.validation_runs)"
        ).fetchone()
    ]
