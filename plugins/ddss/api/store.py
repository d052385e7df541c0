"""The published versions the API reads, each in its own locked-down in-memory DuckDB.

What the API may serve is exactly what the publisher put in ``public/``: a version is one of
the published ones (``versions/published.json`` and ``current``, the publisher's own rule),
and of a version only the files its ``manifest.json`` lists are read: the metadata
(``datapackage.json``) and each dataset's Parquet download. Each file is read into memory
once, with ``O_NOFOLLOW`` and only from inside the version's directory, its sha256 computed
over the very bytes that are then parsed and compared with the manifest; a mismatch refuses
the dataset. DuckDB never opens a file itself: the Parquet bytes reach it as an Arrow table,
and the database is created with external access (files, network, extensions) and Python
replacement scans off and its configuration locked, so no parameter can make it read
anything else, even if a query were built wrongly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The API is never imported where Airflow parses DAGs (only by `ddss serve` and tests), so
# DuckDB and pyarrow may be imported at module level here.
import duckdb  # noqa: TID253
import numpy
import pyarrow as pa  # noqa: TID253
import pyarrow.parquet as pq  # noqa: TID253

from ddss.api.errors import ApiError, not_found
from ddss.api.text import search_sql
from ddss.publish.publisher import current_version_of, published_versions

# Version ids are the publisher's UTC times (20261124T230459Z); anything with a dot or a
# slash is refused before it comes near a path.
VERSION_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
# Dataset and column names reach SQL only if they match the contracts' identifier rule.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ROW_KEY = "_row"  # the row's position in the version's Parquet file: unique and immutable
SEARCH = "_search"  # the row's text columns, case and diacritics folded (see ddss.api.text)
KEEP_VERSIONS = 3  # versions kept in memory besides the current one

# DuckDB type -> the Table Schema type used to read a filter value.
_KINDS = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TINYINT": "integer",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "UTINYINT": "integer",
    "USMALLINT": "integer",
    "UINTEGER": "integer",
    "UBIGINT": "integer",
    "FLOAT": "number",
    "DOUBLE": "number",
}


def kind_of(duckdb_type: str) -> str | None:
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    return _KINDS.get(duckdb_type)


@dataclass
class Dataset:
    """One dataset of a version: its metadata now, its rows once first asked for."""

    id: str
    resource: dict  # the datapackage.json resource (title, description, schema, licences)
    parquet: dict  # the manifest entry of downloads/<id>.parquet
    downloads: list[dict]  # manifest entries of its downloads (csv, parquet, json)
    rows: int | None
    columns: dict[str, str] = field(default_factory=dict)  # name -> kind, once loaded
    rows_table: pa.Table | None = None  # the rows and ROW_KEY as Arrow, once loaded
    loaded: bool = False
    searchable: bool = False  # its folded text table exists


class Version:
    """A published version: its manifest and metadata, and a database its datasets are
    loaded into on first use."""

    def __init__(self, public: Path, version_id: str) -> None:
        self.id = version_id
        self.root = public / "versions" / version_id
        self._lock = threading.Lock()
        self.manifest = self._manifest()
        self.files = {entry["path"]: entry for entry in self.manifest["files"]}
        package = json.loads(self.read_verified("datapackage.json"))
        self.title = package.get("title")
        self.created = package.get("created")
        self.datasets = self._datasets(package)
        self.database = duckdb.connect(
            ":memory:",
            config={
                "enable_external_access": False,
                "python_enable_replacements": False,
                "lock_configuration": True,
            },
        )

    def _manifest(self) -> dict:
        public_versions = self.root.parent.resolve()
        if self.root.is_symlink() or self.root.resolve().parent != public_versions:
            raise _unservable(self.id, "thư mục phiên bản là liên kết", "its folder is a link")
        return json.loads(_read_inside(self.root, "manifest.json"))

    def read_verified(self, relative: str) -> bytes:
        """The bytes of a file the manifest lists, after checking them against it."""
        entry = self.files.get(relative)
        if entry is None:
            raise _unservable(
                self.id, f"tệp {relative} không có trong manifest", f"{relative} is not listed"
            )
        data = _read_inside(self.root, relative)
        if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise _unservable(
                self.id,
                f"tệp {relative} không khớp tổng kiểm sha256 trong manifest",
                f"{relative} does not match its sha256 in the manifest",
            )
        return data

    def _datasets(self, package: dict) -> dict[str, Dataset]:
        resources = {r.get("path"): r for r in package.get("resources", [])}
        datasets = {}
        for path, entry in self.files.items():
            match = re.fullmatch(r"downloads/([a-z][a-z0-9_]{0,62})\.parquet", path)
            if not match:
                continue
            dataset_id = match.group(1)
            downloads = [
                self.files[f"downloads/{dataset_id}.{fmt}"]
                for fmt in ("csv", "parquet", "json")
                if f"downloads/{dataset_id}.{fmt}" in self.files
            ]
            csv = self.files.get(f"downloads/{dataset_id}.csv", {})
            datasets[dataset_id] = Dataset(
                id=dataset_id,
                resource=resources.get(f"downloads/{dataset_id}.csv", {}),
                parquet=entry,
                downloads=downloads,
                rows=csv.get("rows"),
            )
        return dict(sorted(datasets.items()))

    def dataset(self, dataset_id: str) -> Dataset:
        """The dataset with its rows loaded (404 if the version has no such dataset)."""
        dataset = self.datasets.get(dataset_id) if IDENTIFIER.match(dataset_id) else None
        if dataset is None:
            raise not_found("bộ dữ liệu", "dataset", dataset_id[:100])
        with self._lock:
            if not dataset.loaded:
                self._load(dataset)
        return dataset

    def _load(self, dataset: Dataset) -> None:
        data = self.read_verified(dataset.parquet["path"])
        table = pq.read_table(pa.BufferReader(data))
        for name in table.column_names:
            if not IDENTIFIER.match(name):
                raise _unservable(
                    self.id,
                    f"cột '{name[:60]}' của {dataset.id} có tên không hợp lệ",
                    f"column '{name[:60]}' of {dataset.id} has an invalid name",
                )
        positions = pa.array(numpy.arange(table.num_rows, dtype=numpy.int64))
        table = table.append_column(ROW_KEY, positions)
        # Two copies, each for what it does fastest: DuckDB's table to find a page's row keys
        # (its own string format and min/max per row group: a search or a cursor's
        # "after this row" scan 5-10x faster than over Arrow), and the Arrow table, one chunk
        # per column, to take the page's rows by position (DuckDB would read every column of
        # every row to fetch 100 scattered rows: 0.6 s at 4.3 M rows).
        loader = self.database.cursor()
        try:
            loader.register("incoming", table)
            loader.execute(f'create table "{dataset.id}" as select * from incoming')
            loader.unregister("incoming")
            described = loader.execute(f'describe "{dataset.id}"').fetchall()
        finally:
            loader.close()
        dataset.rows_table = table.combine_chunks()
        dataset.columns = {
            name: kind_of(str(kind)) or "other" for name, kind, *_ in described if name != ROW_KEY
        }
        dataset.loaded = True

    def make_searchable(self, dataset: Dataset) -> None:
        """Add the dataset's folded text (column SEARCH) on its first search: folding costs
        more than loading (seconds at 4 M rows) and most requests do not search. The table
        is replaced in one statement; queries already running finish on the old one."""
        with self._lock:
            if dataset.searchable:
                return
            texts = [f'"{c}"' for c, kind in dataset.columns.items() if kind == "string"]
            maker = self.database.cursor()
            try:
                maker.execute(
                    f'create or replace table "{dataset.id}" as '
                    f'select *, {search_sql(texts)} as {SEARCH} from "{dataset.id}"'
                )
            finally:
                maker.close()
            dataset.searchable = True

    def cursor(self) -> Any:
        return self.database.cursor()


def _read_inside(root: Path, relative: str) -> bytes:
    """Read ``root/relative`` refusing absolute paths, ``..``, and a symlink anywhere on the
    way (each component is opened with O_NOFOLLOW relative to its parent)."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise ApiError(
            503,
            f"Đường dẫn '{relative[:100]}' trong manifest không hợp lệ.",
            f"The manifest path '{relative[:100]}' is not valid.",
        )
    directory = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            os.close(directory)
            directory = inner
        handle = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=directory)
    except OSError as exc:
        raise ApiError(
            503,
            f"Không đọc được '{relative[:100]}' của phiên bản (thiếu, hoặc là liên kết): {exc.strerror}.",
            f"Cannot read '{relative[:100]}' of the version (missing, or a link): {exc.strerror}.",
        ) from exc
    finally:
        os.close(directory)
    with os.fdopen(handle, "rb") as file:
        return file.read()


def _unservable(version_id: str, why_vi: str, why_en: str) -> ApiError:
    return ApiError(
        503,
        f"Phiên bản {version_id} không được phục vụ: {why_vi}.",
        f"Version {version_id} is not served: {why_en}.",
    )


class Versions:
    """The published versions of one ``public/`` folder, opened on first use and kept (the
    current one and the few last asked for)."""

    def __init__(self, public: Path) -> None:
        self.public = public
        self._open: OrderedDict[str, Version] = OrderedDict()
        self._lock = threading.Lock()
        self._opening: dict[str, threading.Lock] = {}

    def current_id(self) -> str:
        current = current_version_of(self.public)
        if current is None:
            raise ApiError(
                404,
                "Chưa có phiên bản dữ liệu nào được công bố.",
                "No version has been published yet.",
            )
        return current

    def published(self) -> list[str]:
        if not (self.public / "versions").is_dir():
            return []
        return published_versions(self.public)

    def get(self, version_id: str | None = None) -> Version:
        """The version by id (the current one when None); 404 if it was never published."""
        current = self.current_id() if version_id is None else None
        wanted = version_id or current or ""
        if not VERSION_ID.match(wanted) or wanted not in self.published():
            raise not_found("phiên bản", "version", wanted[:100])
        with self._lock:
            version = self._open.get(wanted)
            if version is not None:
                self._open.move_to_end(wanted)
                return version
            opening = self._opening.setdefault(wanted, threading.Lock())
        with opening:  # one thread opens a version; others asking for it wait for it
            with self._lock:
                if wanted in self._open:
                    return self._open[wanted]
            version = Version(self.public, wanted)
            with self._lock:
                self._open[wanted] = version
                self._forget_old(current or current_version_of(self.public))
        return version

    def _forget_old(self, current: str | None) -> None:
        # Requests still reading a forgotten version keep its database alive until they end.
        others = [v for v in self._open if v != current]
        for old in others[: max(0, len(others) - KEEP_VERSIONS)]:
            del self._open[old]
