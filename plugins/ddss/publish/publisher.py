"""Publish: a new immutable, dated version of the portal, then one atomic switch.

Layout of ``public/``::

    versions/<version>/      one directory per publication, never modified afterwards
        index.html, datasets/<id>.html, downloads/<id>.{csv,parquet,json},
        datapackage.json, catalog.jsonld, quality.json, manifest.json
    versions/published.json  the versions that became current, oldest first
    versions/index.html      the list of those versions
    current -> versions/<version>      the `latest` pointer: a symlink replaced by rename(2)
    latest -> current                  the same pointer under the name the portal's users know
    index.html -> current/index.html   (and the other top-level names, through `current`)

A publication is three steps with named results:

* ``plan`` decides what goes out (``Plan``): the gate, the datasets whose new data is
  published, those held back (and why) whose previous files are carried unchanged;
* ``build`` writes the whole version in a staging directory beside ``public/`` (``Build``):
  downloads, metadata, portal, the personal-data scan, the manifest, verified and read-only;
* ``switch`` moves it into ``versions/``, points ``current`` at it with one rename(2) and
  records it in ``versions/published.json``.

A failure or a kill before the switch leaves ``public/`` exactly as it was. A kill inside the
switch (after the move, before ``current`` moved) leaves a version that never became current:
the next publication removes it (``recover``) and nothing ever lists it, because only
recorded versions (and ``current``) are published. What a publication shows of quality
history comes only from runs that were published, plus each dataset's latest validation, so
a run killed after validating leaves no trace on the portal: a re-run publishes what an
uninterrupted run publishes.

Cost follows what changed. Each dataset's rows have a content checksum (computed in DuckDB
over the mart, recorded in the manifest): a dataset whose checksum equals the current
version's keeps that version's files (hard links, or copies across file systems), never
regenerated. A publication whose every part (rows, quality, held-back notes, contracts, run)
equals the current version's is not published at all: no new version, and the returned
``Publication`` says so (``unchanged``). Downloads are written by DuckDB (``COPY … TO``), never
held whole in Python; the personal-data scan streams every file (``privacy``).

What a publication would only compute again is kept in the workspace's cache
(``<home>/.cache/``, never in public/), each entry named by the sha256 of what makes it: chart
drawings (``charts.svg``), compiled templates (``portal``), and what the personal-data scan
found in a file's exact bytes (``privacy.ScanCache``: the linked files are not scanned again,
their runs of digits still meet today's raw-zone values). Each file is hashed once per
publication for its page, the catalogues and the manifest (``digests``); ``verify`` reads every
byte again before the version is sealed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ddss.checksums import sha256_of
from ddss.data_contracts import Contract, SourceContract, load_contracts
from ddss.errors import Problem, PublicationBlocked
from ddss.publish import catalog_ckan, metadata, portal
from ddss.publish.digests import Digests
from ddss.publish.privacy import Hit, ScanCache, scan_tree
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect, first_row, snapshot_id

log = logging.getLogger(__name__)
TOP_LEVEL = (
    "index.html",
    "datasets",
    "downloads",
    "datapackage.json",
    "catalog.jsonld",
    "quality.json",
    "manifest.json",
    "api",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[=+\\-@\t\r]"
# What the download files are made of besides their rows: change it when the writer changes,
# so that no dataset keeps files written the old way.
EXPORT_FORMAT = "ddss-downloads-2 (duckdb copy: csv with BOM and quoted text, parquet, json)"


PUBLISHED_RECORD = "published.json"  # in versions/: the versions that became current


@dataclass
class Publication:
    version: str
    path: Path
    datasets: dict[str, dict] = field(default_factory=dict)
    # Datasets whose new data failed a batch-level check: their previous files were kept.
    held_back: dict[str, list[str]] = field(default_factory=dict)
    # Nothing differed from the current version: no new version was made (``version`` is
    # the current one).
    unchanged: bool = False
    # Datasets whose rows equal the current version's: its files were linked, not rewritten.
    reused: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for a person, Vietnamese first."""
        if self.unchanged:
            return (
                f"Công bố / publish: không có gì mới, giữ phiên bản {self.version} / "
                f"nothing new, version {self.version} stays current"
            )
        return (
            f"Công bố / publish: version {self.version}, {len(self.datasets)} dataset(s), "
            f"{len(self.reused)} unchanged (files kept), {len(self.held_back)} held back"
        )


@dataclass
class Plan:
    """What a publication will contain, decided before anything is written."""

    run_id: str
    version: str
    published_at: datetime
    every: dict[str, Contract]  # every contract (the personal-data scan reads all raw tables)
    contracts: dict[str, Contract]  # the datasets on the portal: fresh and held back
    fresh: dict[str, Contract]  # new data goes out
    held: dict[str, list[Problem]]  # new data kept back, and why
    previous_dir: Path | None  # the current version: held-back and unchanged datasets' files
    previous_versions: list[dict]  # the published versions, newest first

    @property
    def shown_runs(self) -> list[str]:
        """The runs whose validations the publication may show: the published ones and this."""
        return sorted({v["run_id"] for v in self.previous_versions if v["run_id"]} | {self.run_id})


@dataclass
class Content:
    """What a version holds, gathered from the warehouse."""

    contracts: dict[str, Contract]  # the datasets with files in this version
    # id -> {"rows", "files", "preview", "content"[, "carried_from"][, "reused_from"]}
    datasets: dict[str, dict]
    quality: dict
    departments: dict
    personal_values_sql: str  # one column, value: the IDs and phones seen in the raw zone
    fingerprint: str  # of everything the version says; equal to the current one's: unchanged
    lake_snapshot: str | None = None
    # The version's file checksums, each file read once for its pages, catalogues and manifest.
    digests: Digests = field(default_factory=Digests)


class Unchanged(Exception):
    """The planned version would say exactly what the current one says."""

    def __init__(self, plan: Plan):
        super().__init__("nothing new to publish")
        self.plan = plan


@dataclass
class Build:
    """A complete version, verified and read-only, in the staging directory."""

    plan: Plan
    path: Path
    datasets: dict[str, dict]


class DatasetsLeaked(Exception):
    """The personal-data scan found values only in some fresh datasets' own files: those
    datasets can be held back and the rest published."""

    def __init__(self, datasets: set[str], hits: list[Hit]):
        super().__init__(f"personal data in {sorted(datasets)}")
        self.datasets = datasets
        self.hits = hits

    def problems(self) -> dict[str, list[Problem]]:
        return {
            d: [
                Problem(
                    d,
                    None,
                    None,
                    None,
                    "personal_data",
                    "Phát hiện dữ liệu cá nhân trong tệp công bố của bộ dữ liệu này; giữ nguyên bản trước.",
                    "Personal data was found in this dataset's published files; the previous version is kept.",
                )
            ]
            for d in sorted(self.datasets)
        }


def _fault(point: str) -> None:
    """Tests kill the publisher at a named point to prove that nothing half-written shows."""
    if os.environ.get("DDSS_PUBLISH_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def neutralise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``neutralise`` for a whole column, vectorised."""
    risky = pc.match_substring_regex(column, FORMULA_PATTERN)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def publishable(con, contracts: dict[str, Contract]) -> dict[str, Contract]:
    """Datasets with at least one validation (derived ones: all their sources). A dataset
    whose department has sent nothing yet is simply not on the portal."""
    validated = {
        d for (d,) in con.execute("select distinct dataset from quality.validation_runs").fetchall()
    }
    return {
        c.id: c
        for c in contracts.values()
        if (c.source is not None and c.published and c.id in validated)
        or (c.derived_from and all(d in validated for d in c.derived_from))
    }


def _dataset_of(file_name: str, contracts: dict[str, Contract]) -> str | None:
    """Which dataset a rejected file (or an unreachable API endpoint) belongs to."""
    for contract in contracts.values():
        if not isinstance(contract, SourceContract):
            continue
        source = contract.source
        if (
            source.matches(Path(file_name).name)
            or (source.endpoint and file_name == source.endpoint)
            or source.data_file_for(file_name)
        ):
            return contract.id
    return None


def _sources(contracts: dict[str, Contract]) -> list[str]:
    """The source datasets behind what is published: published ones with their own rows, and
    the person-level ones behind published aggregates."""
    return sorted(
        {c.id for c in contracts.values() if c.source is not None}
        | {d for c in contracts.values() for d in c.derived_from}
    )


def gate(
    run_id: str, contracts: dict[str, Contract], con, every: dict[str, Contract] | None = None
) -> dict[str | None, list[Problem]]:
    """Batch-level reasons not to publish, per source dataset (key None: the whole
    publication). Row-level defects are quarantined and do not appear here."""
    every = every or contracts
    problems: dict[str | None, list[Problem]] = {}
    if not contracts:
        problems.setdefault(None, []).append(
            Problem(
                "*",
                None,
                None,
                None,
                "nothing_validated",
                "Chưa có bộ dữ liệu nào được kiểm định.",
                "No dataset has been validated yet.",
            )
        )
    for message_vi, message_en, file_name, dataset in con.execute(
        "select message_vi, message_en, file_name, dataset from meta.file_events "
        "where run_id = ? and status = 'rejected'",
        [run_id],
    ).fetchall():
        owner = dataset or _dataset_of(file_name or "", every)
        problems.setdefault(owner, []).append(
            Problem(
                file_name or "?",
                None,
                None,
                None,
                "file_rejected",
                message_vi or "",
                message_en or "",
            )
        )
    # Every source dataset behind what is published: its own rows or its aggregates.
    sources = _sources(contracts)
    for dataset in sources:
        # The latest validation of each dataset counts, whichever department's run made it.
        row = first_row(
            con,
            "select blocking_failures, result_json from quality.validation_runs "
            "where dataset = ? order by recorded_at desc limit 1",
            [dataset],
        )
        if not row:
            problems.setdefault(dataset, []).append(
                Problem(
                    dataset,
                    None,
                    None,
                    None,
                    "not_validated",
                    "Bộ dữ liệu chưa được kiểm định.",
                    "The dataset has not been validated.",
                )
            )
        elif row[0]:
            problems.setdefault(dataset, []).append(
                Problem(
                    dataset,
                    None,
                    None,
                    str(row[0]),
                    "validation_blocking",
                    f"Kiểm định có {row[0]} lỗi mức lô (xem báo cáo chất lượng).",
                    f"Validation found {row[0]} batch-level failure(s) (see the quality report).",
                )
            )
    return problems


def _held_back(
    problems: dict[str | None, list[Problem]], contracts: dict[str, Contract]
) -> dict[str, list[Problem]]:
    """The published datasets whose new data may not go out: a source with a batch-level
    problem, and everything derived from one."""
    held = {d: p for d, p in problems.items() if d is not None and d in contracts}
    for contract in contracts.values():
        blocked = [d for d in contract.derived_from if d in problems]
        if blocked:
            held[contract.id] = [p for d in blocked for p in problems[d]]
    return held


def _literal(path: Path) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _link_or_copy(source: Path, target: Path) -> None:
    """The same bytes under a new name: a hard link (published files are read-only, so it
    can never change under the earlier version), a copy where links cannot be made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _previous_manifest(previous: Path | None) -> dict:
    if previous is None or not (previous / "manifest.json").is_file():
        return {}
    return json.loads((previous / "manifest.json").read_text("utf-8"))


def _preview(con, parquet: Path) -> list[dict]:
    """The first rows, for the dataset's page."""
    return (
        con.sql(f"select * from read_parquet({_literal(parquet)}) limit 20")
        .to_arrow_table()
        .to_pylist()
    )


def _link_previous(con, previous: Path, manifest: dict, dataset: str, target: Path) -> dict | None:
    """The dataset's three files from the previous version, linked (None if it had none)."""
    entries = {e["path"]: e for e in manifest.get("files", [])}
    paths = {fmt: f"downloads/{dataset}.{fmt}" for fmt in ("csv", "parquet", "json")}
    if not all(path in entries and (previous / path).is_file() for path in paths.values()):
        return None
    files = {}
    for fmt, path in paths.items():
        _link_or_copy(previous / path, target / path)
        files[fmt] = target / path
    return {
        "rows": entries[paths["csv"]].get("rows", 0),
        "files": files,
        "preview": _preview(con, files["parquet"]),
        "content": manifest.get("datasets", {}).get(dataset, {}).get("content"),
    }


def _carry(con, previous: Path, dataset: str, target: Path) -> dict | None:
    """A held-back dataset's files from the previous version, unchanged (None if it had none)."""
    manifest = _previous_manifest(previous)
    carried = _link_previous(con, previous, manifest, dataset, target)
    if carried is not None:
        carried["carried_from"] = manifest["version"]
    return carried


def _export_query(con, contract: Contract) -> str:
    """The published rows in order. DuckDB's Parquet writer turns HUGEINT (a sum of
    integers) into a DOUBLE; it is published as DECIMAL(38,0), exact, as Arrow did."""
    names = [c.name for c in contract.publish_columns]
    model = f"marts.{_quoted(contract.publish_model or '')}"
    types = con.sql(f"select {', '.join(map(_quoted, names))} from {model} limit 0").types
    columns = ", ".join(
        f"{_quoted(n)}::decimal(38, 0) as {_quoted(n)}"
        if str(t) in ("HUGEINT", "UHUGEINT")
        else _quoted(n)
        for n, t in zip(names, types, strict=True)
    )
    order = ", ".join(_quoted(k) for k in contract.publish_key) or "1"
    return f"select {columns} from {model} order by {order}"


def content_checksum(con, contract: Contract) -> str:
    """The dataset's published rows in one checksum, computed in DuckDB without writing
    anything: their count and two order-free sums of row hashes, with the columns, their
    types, the order and the writer's format. Equal checksums: the files would be equal."""
    columns = ", ".join(_quoted(c.name) for c in contract.publish_columns)
    model = f"marts.{_quoted(contract.publish_model or '')}"
    count, total, mixed = con.execute(
        f"select count(*), coalesce(sum(hash({columns})), 0)::varchar, "
        f"coalesce(bit_xor(hash({columns}, 'ddss')), 0)::varchar from {model}"
    ).fetchall()[0]
    types = [str(t) for t in con.sql(f"select {columns} from {model} limit 0").types]
    described = [
        EXPORT_FORMAT,
        duckdb.__version__,
        contract.publish_model,
        [(c.name, c.type) for c in contract.publish_columns],
        types,
        list(contract.publish_key),
        count,
        total,
        mixed,
    ]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()


def _neutralised(column: str) -> str:
    """``neutralise`` in SQL: a text cell a spreadsheet would run as a formula gets an
    apostrophe in front."""
    quoted = _quoted(column)
    return (
        f"case when regexp_matches({quoted}, '{FORMULA_PATTERN}') then '''' || {quoted} "
        f"else {quoted} end as {quoted}"
    )


def _append(source: Path, handle: BinaryIO) -> None:
    """Append a file's bytes to an open file, in the kernel (nothing held in Python)."""
    with source.open("rb") as reader:
        size, offset = source.stat().st_size, 0
        while offset < size:
            sent = os.sendfile(handle.fileno(), reader.fileno(), offset, size - offset)
            if sent == 0:
                raise OSError(f"short copy of {source}")
            offset += sent


def _write_downloads(con, contract: Contract, target: Path, content: str) -> dict:
    """The dataset's rows as Parquet, CSV and JSON, written by DuckDB (``COPY … TO``): the
    export is never held in Python. The Parquet file is written first from the ordered mart;
    CSV and JSON are read from it, so the three hold the same rows in the same order."""
    downloads = target / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    parquet_path = downloads / f"{contract.id}.parquet"
    con.execute(
        f"copy ({_export_query(con, contract)}) to {_literal(parquet_path)} (format parquet)"
    )
    source = f"read_parquet({_literal(parquet_path)})"
    relation = con.sql(f"select * from {source} limit 0")
    names, types = relation.columns, [str(t) for t in relation.types]

    # CSV: UTF-8 with a byte-order mark so Excel shows Vietnamese correctly; text quoted; no
    # formulas. DuckDB writes the rows; the BOM and the header go before them.
    strings = {c.name for c in contract.publish_columns if c.type == "string"}
    select = ", ".join(_neutralised(n) if n in strings else _quoted(n) for n in names)
    text = [_quoted(n) for n, t in zip(names, types, strict=True) if t == "VARCHAR"]
    quote = f", force_quote ({', '.join(text)})" if text else ""
    csv_path = downloads / f"{contract.id}.csv"
    body = downloads / f".{contract.id}.csv.rows"
    con.execute(
        f"copy (select {select} from {source}) to {_literal(body)} (format csv, header false{quote})"
    )
    header = ",".join('"' + n.replace('"', '""') + '"' for n in names)
    with csv_path.open("wb") as handle:
        handle.write(b"\xef\xbb\xbf" + header.encode("utf-8") + b"\n")
        handle.flush()
        _append(body, handle)
    body.unlink()

    json_path = downloads / f"{contract.id}.json"
    con.execute(f"copy (select * from {source}) to {_literal(json_path)} (format json, array true)")
    rows = con.execute(f"select count(*) from {source}").fetchall()[0][0]
    return {
        "rows": rows,
        "files": {"csv": csv_path, "parquet": parquet_path, "json": json_path},
        "preview": _preview(con, parquet_path),
        "content": content,
    }


# The validations a publication shows: those of published runs, and each dataset's latest
# (the one the gate judged, whichever run made it). A run killed after validating and
# never published leaves no point in the history, so a re-run converges on what an
# uninterrupted run publishes. Parameter 1: the shown runs' ids.
SHOWN_VALIDATIONS = """
select * from (
    select *, row_number() over (partition by dataset order by recorded_at desc) as recency
    from quality.validation_runs
) where recency = 1 or list_contains(?::varchar[], run_id)
"""


def _quality_summary(con, contracts: dict[str, Contract], runs: list[str]) -> dict:
    """What the public may see of quality: scores and counts per rule, never values;
    and each dataset's score history, one point per shown validation."""
    summary = {}
    sources = _sources(contracts)
    for dataset in sources:
        history = con.execute(
            "select run_id, strftime(recorded_at, '%Y-%m-%d %H:%M'), rows_checked, rows_failed,"
            f" scores_json, freshness_json from ({SHOWN_VALIDATIONS}) where dataset = ?"
            " order by recorded_at",
            [runs, dataset],
        ).fetchall()
        if not history:
            continue
        run_id, _, rows_checked, rows_failed, scores, fresh = history[-1]
        by_rule = con.execute(
            "select rule, criterion, any_value(message_vi), any_value(message_en), count(*) "
            "from quality.quarantine where dataset = ? group by rule, criterion order by rule",
            [dataset],
        ).fetchall()
        summary[dataset] = {
            "run_id": run_id,
            "scores": json.loads(scores) if scores else {},
            "freshness": json.loads(fresh) if fresh else None,
            "rows_checked": rows_checked,
            "rows_quarantined": rows_failed,
            "failures": [
                {"rule": r, "criterion": c, "message_vi": vi, "message_en": en, "rows": n}
                for r, c, vi, en, n in by_rule
            ],
            "history": [
                {
                    "run_id": h[0],
                    "at": h[1],
                    "rows_checked": h[2],
                    "rows_quarantined": h[3],
                    "scores": json.loads(h[4]) if h[4] else {},
                }
                for h in history
            ],
        }
    for contract in contracts.values():
        if contract.derived_from:
            parts = [summary[d] for d in contract.derived_from if d in summary]
            summary[contract.id] = {
                "derived_from": list(contract.derived_from),
                "scores": {
                    k: min(
                        (p["scores"].get(k) for p in parts if p["scores"].get(k) is not None),
                        default=None,
                    )
                    for k in ("dung", "du", "sach", "song", "overall")
                },
            }
    return summary


def _department_scorecards(con, contracts: dict[str, Contract], runs: list[str]) -> dict:
    """Per department: the mean of its datasets' latest scores per criterion, and the same
    for every earlier run (history), so a department sees whether it is getting better."""
    criteria = ("dung", "du", "sach", "song", "overall")
    rows = con.execute(
        "select department, dataset, run_id, min(recorded_at) over (partition by run_id) as run_at,"
        f" scores_json from ({SHOWN_VALIDATIONS}) where scores_json is not null order by recorded_at",
        [runs],
    ).fetchall()
    cards: dict[str, dict] = {}
    for department, dataset, run_id, run_at, scores in rows:
        card = cards.setdefault(department, {"latest": {}, "runs": {}})
        values = json.loads(scores)
        card["latest"][dataset] = values
        run = card["runs"].setdefault(
            run_id, {"at": run_at.strftime("%Y-%m-%d %H:%M"), "datasets": {}}
        )
        run["datasets"][dataset] = values

    def mean(per_dataset: dict) -> dict:
        out = {}
        for criterion in criteria:
            values = [v[criterion] for v in per_dataset.values() if v.get(criterion) is not None]
            out[criterion] = round(sum(values) / len(values), 2) if values else None
        return out

    result = {}
    names = {c.department.id: c.department for c in contracts.values()}
    for department, card in cards.items():
        dep = names.get(department)
        result[department] = {
            "name_vi": dep.name_vi if dep else department,
            "name_en": dep.name_en if dep else department,
            "datasets": sorted(card["latest"]),
            "scores": mean(card["latest"]),
            "history": [
                {"run_id": run_id, "at": run["at"], "scores": mean(run["datasets"])}
                for run_id, run in card["runs"].items()
            ],
        }
    return result


def _personal_values_sql(contracts: dict[str, Contract]) -> str:
    """IDs and phone numbers seen in the raw zone (none of them may appear in public/), as
    a query: the scan joins them in DuckDB with every run of digits it finds."""
    parts = []
    for contract in sorted(contracts.values(), key=lambda c: c.id):
        if contract.source is None:
            continue
        for name in (c.name for c in contract.columns if c.personal and c.name != "note"):
            if name.endswith("_name"):
                continue  # names are matched by the rules, not as tokens here
            value = f"trim({_quoted(name)})"
            parts.append(
                f"select {value} as value from raw.{_quoted(contract.raw_table)} "
                f"where length({value}) >= 8"
            )
    if not parts:
        return "select null::varchar as value where false"
    return "select distinct value from (" + " union all ".join(parts) + ")"


def _manifest(root: Path, version: str, run_id: str, content: Content) -> dict:
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json"):
        entry = {
            "path": str(path.relative_to(root)),
            "bytes": path.stat().st_size,
            "sha256": content.digests(path),
        }
        for info in content.datasets.values():
            for f in info["files"].values():
                if f == path:
                    entry["rows"] = info["rows"]
        files.append(entry)
    manifest = {
        "version": version,
        "run_id": run_id,
        "files": files,
        "datasets": {
            dataset: {"rows": info["rows"], "content": info.get("content")}
            for dataset, info in sorted(content.datasets.items())
        },
        "fingerprint": content.fingerprint,
    }
    if content.lake_snapshot is not None:
        manifest["lake_snapshot"] = content.lake_snapshot
    return manifest


def verify(root: Path) -> list[str]:
    """Every file the manifest lists is there with its size and checksum, and no other."""
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    problems = []
    listed = set()
    for entry in manifest["files"]:
        path = root / entry["path"]
        listed.add(entry["path"])
        if not path.is_file():
            problems.append(f"missing {entry['path']}")
        elif path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"checksum mismatch {entry['path']}")
    for path in root.rglob("*"):
        rel = str(path.relative_to(root))
        if (
            path.is_file()
            and not path.is_symlink()
            and rel != "manifest.json"
            and rel not in listed
        ):
            problems.append(f"unlisted {rel}")
    return problems


def _staging_root(public: Path) -> Path:
    """Versions are built beside ``public/``, never inside it: a kill leaves nothing there."""
    return public.parent / f"{public.name}.staging"


def _remove_tree(path: Path) -> None:
    """Remove a (possibly read-only) directory tree; symlinks inside are not followed."""
    if not path.exists() and not path.is_symlink():
        return
    for directory, _, _ in os.walk(path):
        os.chmod(directory, 0o755)
    shutil.rmtree(path)


def _read_record(public: Path) -> list[str] | None:
    record = public / "versions" / PUBLISHED_RECORD
    if not record.is_file():
        return None
    return list(json.loads(record.read_text("utf-8"))["versions"])


def _write_record(public: Path, versions: list[str]) -> None:
    """Rewrite versions/published.json atomically (write beside, then rename)."""
    record = public / "versions" / PUBLISHED_RECORD
    partial = record.with_name(record.name + ".partial")
    partial.write_text(json.dumps({"versions": sorted(set(versions))}, indent=1), "utf-8")
    os.replace(partial, record)


def current_version_of(public: Path) -> str | None:
    link = public / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def current_version(cfg: Settings | None = None) -> str | None:
    cfg = cfg or load_settings()
    return current_version_of(cfg.public_dir)


def published_versions(public: Path) -> list[str]:
    """The versions that became current, oldest first: the record, and `current` (a kill
    between the switch and the record leaves the record one short). Before the record
    existed, the versions up to `current` count (versions are named by their UTC time)."""
    current = current_version_of(public)
    recorded = _read_record(public)
    if recorded is None:
        base = public / "versions"
        names = [p.name for p in base.iterdir() if p.is_dir()] if base.is_dir() else []
        recorded = [n for n in names if current is not None and n <= current]
    return sorted(set(recorded) | ({current} if current else set()))


def list_versions(public: Path) -> list[dict]:
    """The published versions, newest first, with what their manifests say. A directory
    under versions/ that never became current is not one of them."""
    versions = []
    for name in sorted(published_versions(public), reverse=True):
        manifest = public / "versions" / name / "manifest.json"
        if manifest.is_file():
            data = json.loads(manifest.read_text("utf-8"))
            versions.append(
                {
                    "version": name,
                    "run_id": data.get("run_id"),
                    "files": len(data["files"]),
                    "rows": {e["path"]: e["rows"] for e in data["files"] if "rows" in e},
                }
            )
    return versions


@contextmanager
def _one_publisher(public: Path) -> Iterator[None]:
    """One publication at a time (Airflow's writer pool serialises its own tasks, but not a
    ``ddss run`` beside them): an exclusive flock on the public/ directory itself, so no lock
    file is left anywhere. The kernel drops the lock when its holder dies, so whatever a
    publisher finds left in staging or versions/ belongs to a dead one and may be removed."""
    public.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(public, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another publication is under way; waiting for it (%s)", public)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _remove_ghosts(public: Path, published: list[str]) -> list[str]:
    """Remove every directory under versions/ that never became current."""
    base = public / "versions"
    if not base.is_dir():
        return []
    ghosts = [
        p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in published
    ]
    for ghost in ghosts:
        log.warning(
            "removing version %s: it never became current (a publication killed before its switch)",
            ghost.name,
        )
        _remove_tree(ghost)
    for partial in base.glob("*.partial"):
        partial.unlink()
    return [g.name for g in ghosts]


def recover(public: Path) -> list[str]:
    """Undo what a killed publication left: its staging directory, a half-made `current`
    link or top-level link, a half-written record or index, and a version moved into
    versions/ that never became current (a ghost). Returns the published versions.
    Touches public/ only when there is something to repair."""
    _remove_tree(_staging_root(public))
    for leftover in public.glob(".current-*"):
        leftover.unlink()
    published = published_versions(public)
    ghosts = _remove_ghosts(public, published)
    if published:
        _top_level_links(public)
    if ghosts or (published and _read_record(public) != published):
        _write_record(public, published)
        portal.render_versions(public, list_versions(public))
    return published


def _top_level_links(public: Path) -> None:
    """`latest` and the portal's top-level names, as links through `current` (once made,
    they never change: they move with `current`)."""
    # `latest` is another name for `current` (a fixed link to it), so it moves in the same rename.
    if not (public / "latest").is_symlink():
        os.symlink("current", public / "latest")
    for name in TOP_LEVEL:
        entry = public / name
        if not entry.is_symlink():
            if entry.exists():
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            os.symlink(Path("current") / name, entry)


def _point_current(public: Path, version: str) -> None:
    """Move `current` to the new version in one rename(2); create the stable top-level links."""
    link = public / "current"
    temporary = public / f".current-{version}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(Path("versions") / version, temporary)
    os.replace(temporary, link)
    _top_level_links(public)


def plan(
    run_id: str,
    cfg: Settings,
    now: datetime,
    hold: dict[str, list[Problem]] | None = None,
) -> Plan:
    """Decide what the publication holds. A dataset with a batch-level problem (a rejected
    file, control totals, coverage, a blocking rule; or ``hold``: personal data found in its
    files) is held back, with everything derived from it. PublicationBlocked when a problem
    concerns the whole publication or nothing new could be published."""
    every = load_contracts(cfg)
    public = cfg.public_dir
    with connect(cfg, read_only=True) as con:
        contracts = publishable(con, every)
        problems = gate(run_id, contracts, con, every)
    if None in problems:
        raise PublicationBlocked(problems[None])
    for dataset, reasons in (hold or {}).items():
        problems.setdefault(dataset, []).extend(reasons)
    held = _held_back(problems, contracts)
    fresh = {k: c for k, c in contracts.items() if k not in held}
    if not fresh:
        raise PublicationBlocked([p for ps in held.values() for p in ps])
    return Plan(
        run_id=run_id,
        version=f"{now:%Y%m%dT%H%M%SZ}",
        published_at=now,
        every=every,
        contracts=contracts,
        fresh=fresh,
        held=held,
        previous_dir=(public / "current").resolve() if (public / "current").is_symlink() else None,
        previous_versions=list_versions(public),
    )


def _held_back_note(reasons: list[Problem], carried_from: str | None) -> dict:
    return {
        "since_version": carried_from,
        "reasons": [
            {"file": p.file, "rule": p.rule, "message_vi": p.message_vi, "message_en": p.message_en}
            for p in reasons
        ],
    }


def _has_downloads(manifest: dict, dataset: str) -> bool:
    listed = {e["path"] for e in manifest.get("files", [])}
    return all(f"downloads/{dataset}.{fmt}" in listed for fmt in ("csv", "parquet", "json"))


def _code_checksum() -> str:
    """The publisher's own code and templates: a new portal look is a new version."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".css", ".js", ".json", ".txt"):
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fingerprint(
    planned: Plan, contents: dict[str, str | None], quality: dict, departments: dict
) -> str:
    """Everything a version says, except its own id and time: equal fingerprints, equal
    publications."""
    described = {
        "format": EXPORT_FORMAT,
        "code": _code_checksum(),
        "run_id": planned.run_id,
        "datasets": contents,
        "contracts": {k: repr(planned.contracts[k]) for k in sorted(contents)},
        "held": {k: [str(p) for p in v] for k, v in sorted(planned.held.items())},
        "quality": quality,
        "departments": departments,
        "base_url": os.environ.get("DDSS_PUBLIC_BASE_URL", "http://127.0.0.1:8000/"),
    }
    text = json.dumps(described, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _gather(planned: Plan, con, target: Path) -> Content:
    """Decide each dataset's files from content checksums (computed in DuckDB, nothing
    written yet) and read what the pages say about quality; when all of it equals the
    current version, raise Unchanged. Then write the changed datasets' downloads and link
    the unchanged and held-back ones' files from the current version."""
    previous = _previous_manifest(planned.previous_dir)
    before = previous.get("datasets", {})
    contents: dict[str, str | None] = {
        k: content_checksum(con, c) for k, c in planned.fresh.items()
    }
    carried = [d for d in planned.held if _has_downloads(previous, d)]
    for dataset in carried:
        contents[dataset] = (
            before.get(dataset, {}).get("content") or f"files of {previous['version']}"
        )
    contracts = {k: c for k, c in planned.contracts.items() if k in contents}
    quality = _quality_summary(con, contracts, planned.shown_runs)
    for dataset, reasons in planned.held.items():
        if dataset in quality:
            since = previous["version"] if dataset in carried else None
            quality[dataset]["held_back"] = _held_back_note(reasons, since)
    departments = _department_scorecards(con, contracts, planned.shown_runs)
    fingerprint = _fingerprint(planned, dict(sorted(contents.items())), quality, departments)
    if previous.get("fingerprint") == fingerprint:
        raise Unchanged(planned)

    datasets: dict[str, dict] = {}
    for dataset, contract in planned.fresh.items():
        same = (
            planned.previous_dir is not None
            and before.get(dataset, {}).get("content") == contents[dataset]
        )
        linked = (
            _link_previous(con, planned.previous_dir, previous, dataset, target)
            if same and planned.previous_dir is not None
            else None
        )
        if linked is not None:
            linked["reused_from"] = previous["version"]
            datasets[dataset] = linked
        else:
            datasets[dataset] = _write_downloads(con, contract, target, contents[dataset] or "")
        _fault("after_first_download")  # its files written or linked
    for dataset in carried:
        assert planned.previous_dir is not None  # a manifest was read from it
        held = _carry(con, planned.previous_dir, dataset, target)
        if held is not None:
            held["content"] = contents[dataset]
            datasets[dataset] = held
    return Content(
        contracts=contracts,
        datasets=datasets,
        quality=quality,
        departments=departments,
        personal_values_sql=_personal_values_sql(planned.every),
        fingerprint=fingerprint,
        lake_snapshot=snapshot_id(con),
    )


def _render(planned: Plan, content: Content, target: Path) -> None:
    context = metadata.Context(
        version=planned.version,
        run_id=planned.run_id,
        published_at=planned.published_at,
        contracts=content.contracts,
        datasets=content.datasets,
        quality=content.quality,
        departments=content.departments,
        base_url=os.environ.get("DDSS_PUBLIC_BASE_URL", "http://127.0.0.1:8000/"),
        previous_versions=planned.previous_versions,
        digests=content.digests,
    )
    metadata.write_datapackage(context, target)
    metadata.write_catalog(context, target)
    catalog_ckan.write_ckan_api(context, target)  # CKAN-based portals harvest from it
    (target / "quality.json").write_text(
        json.dumps(
            {"datasets": content.quality, "departments": content.departments},
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    portal.render(context, target, planned.previous_versions)


def _scan(planned: Plan, content: Content, target: Path, cfg: Settings) -> None:
    """Every published file, scanned for personal data (every byte, streamed; Parquet as
    rows too; the raw zone's IDs and phones joined in DuckDB). Hits only in fresh datasets'
    own files (downloads, pages) raise DatasetsLeaked; anywhere else they block."""
    # Files whose bytes this scanner already found clean (the linked, unchanged datasets'
    # downloads, unchanged pages) are not scanned again; see ``privacy.ScanCache``.
    cache = ScanCache(cfg.home / ".cache" / "privacy-scan", content.digests)
    with connect(cfg, read_only=True) as con:
        hits = scan_tree(target, con=con, known_sql=content.personal_values_sql, cache=cache)
    if not hits:
        return
    owners = {
        Path(h.file).stem if Path(h.file).parent.name in ("downloads", "datasets") else None
        for h in hits
    }
    leaked = {o for o in owners if o is not None}
    if None not in owners and leaked <= set(planned.fresh):
        raise DatasetsLeaked(leaked, hits)
    raise PublicationBlocked([str(h) for h in hits[:50]])


def _seal(planned: Plan, content: Content, target: Path) -> None:
    """Checksum every file into the manifest, verify, make the version read-only."""
    manifest = _manifest(target, planned.version, planned.run_id, content)
    (target / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8"
    )
    _fault("before_verify")
    bad = verify(target)
    if bad:
        raise PublicationBlocked(bad)
    for path in target.rglob("*"):
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    # Pages are served both as /datasets/x.html (through `current`) and as
    # /versions/<v>/datasets/x.html; this link makes "../versions/..." work from both.
    os.symlink("..", target / "versions")


def build(planned: Plan, cfg: Settings) -> Build:
    """Write the planned version, complete, verified and read-only, in the staging
    directory beside public/. Nothing under public/ changes; on any failure the staging
    directory is removed. Unchanged when it would equal the current version."""
    target = _staging_root(cfg.public_dir) / planned.version
    _remove_tree(target)
    target.mkdir(parents=True)
    try:
        with connect(cfg, read_only=True) as con:
            con.execute(f"set temp_directory = {_literal(target.parent / '.spill')}")
            content = _gather(planned, con, target)
        _fault("after_downloads")
        _render(planned, content, target)
        _scan(planned, content, target, cfg)
        _seal(planned, content, target)
    except BaseException:
        _remove_tree(target)
        raise
    return Build(plan=planned, path=target, datasets=content.datasets)


def switch(built: Build, public: Path) -> Path:
    """Make the built version current: move it into versions/, point `current` at it with
    one rename(2), then list it and record it as published. A kill between the move and the
    rename leaves a version that never became current: the next ``recover`` removes it."""
    version = built.plan.version
    final = public / "versions" / version
    if final.exists():
        _remove_tree(built.path)
        raise PublicationBlocked([f"version {version} already exists"])
    _fault("before_switch")
    final.parent.mkdir(parents=True, exist_ok=True)
    os.rename(built.path, final)
    _fault("after_move")
    _point_current(public, version)
    _fault("after_switch")
    # The index first, the record last: a record that names `current` proves the index
    # was written after `current` moved (recover() rewrites both when the record lags).
    portal.render_versions(public, list_versions(public))
    _write_record(public, [*published_versions(public), version])
    _remove_tree(_staging_root(public))
    return final


def _build_holding_leaks(run_id: str, cfg: Settings, now: datetime) -> Build:
    """Plan and build; when personal data shows up only in some fresh datasets' own files,
    plan once more with those held back. A second leak blocks the publication."""
    planned = plan(run_id, cfg, now)
    try:
        return build(planned, cfg)
    except DatasetsLeaked as leak:
        log.error(
            "personal data found, holding back %s: %s",
            sorted(leak.datasets),
            "; ".join(map(str, leak.hits[:20])),
        )
        hold = leak.problems()
    try:
        return build(plan(run_id, cfg, now, hold), cfg)
    except DatasetsLeaked as again:
        raise PublicationBlocked([str(h) for h in again.hits[:50]]) from again


def _after_every_version(public: Path, now: datetime | None) -> datetime:
    """The new version's time: ``now`` (default the clock), moved to one second after the
    newest version under public/versions/ when it is not later. Versions are named by the
    second, so two publications within one second (or a clock set back) would otherwise
    collide or sort before the version they replace."""
    moment = now or datetime.now(UTC)
    base = public / "versions"
    names = [p.name for p in base.iterdir() if p.is_dir()] if base.is_dir() else []
    newest = max((n for n in names if _is_version_name(n)), default=None)
    if newest is not None:
        latest = datetime.strptime(newest, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if latest >= moment.replace(microsecond=0):
            return latest + timedelta(seconds=1)
    return moment


def _is_version_name(name: str) -> bool:
    try:
        datetime.strptime(name, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return False
    return True


def publish(run_id: str, cfg: Settings | None = None, now: datetime | None = None) -> Publication:
    """Plan, build and switch to a new version (see the module's docstring).

    A dataset with a batch-level problem is *held back*: the new version carries its files
    from the previous version unchanged (or leaves it out if it was never published) and
    says so; every other dataset is published. PublicationBlocked is raised, and public/
    left exactly as it was, when a problem concerns the whole publication or nothing new
    could be published. When the new version would say exactly what the current one says,
    nothing is published: the returned Publication is ``unchanged`` and names the current
    version."""
    cfg = cfg or load_settings()
    public = cfg.public_dir
    with _one_publisher(public):
        # Named before recover removes a killed publication's version: never reuse its name.
        moment = _after_every_version(public, now)
        recover(public)
        try:
            built = _build_holding_leaks(run_id, cfg, moment)
        except Unchanged as same:
            _remove_tree(_staging_root(public))
            version = current_version_of(public) or ""
            manifest = _previous_manifest(public / "versions" / version)
            publication = Publication(
                version=version,
                path=public / "versions" / version,
                datasets={k: {"rows": v["rows"]} for k, v in manifest.get("datasets", {}).items()},
                held_back={k: [str(p) for p in v] for k, v in same.plan.held.items()},
                unchanged=True,
            )
            log.info("%s", publication.summary)
            return publication
        final = switch(built, public)
    for dataset, reasons in built.plan.held.items():
        carried = built.datasets.get(dataset)
        log.warning(
            "GIỮ BẢN CŨ / HELD BACK %s (%s): %s",
            dataset,
            f"files of {carried['carried_from']}" if carried else "not published",
            "; ".join(str(p) for p in reasons),
        )
    publication = Publication(
        version=built.plan.version,
        path=final,
        datasets={k: {"rows": v["rows"]} for k, v in built.datasets.items()},
        held_back={k: [str(p) for p in v] for k, v in built.plan.held.items()},
        reused=sorted(k for k, v in built.datasets.items() if v.get("reused_from")),
    )
    log.info("%s (%s)", publication.summary, public)
    return publication
