"""One typed settings object, read from the environment once.

Every path defaults relative to the repository (``DDSS_HOME``), so the project runs from a
fresh clone with no configuration. `.env.example` documents each variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DUCKDB_MEMORY_LIMIT = "512MB"


def duckdb_memory_limit() -> str:
    """``DDSS_DUCKDB_MEMORY_LIMIT``, or the default when unset or empty."""
    return os.environ.get("DDSS_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT


def _repo_root() -> Path:
    # plugins/ddss/settings.py -> repository root is two levels above the package.
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    raw_dir: Path
    warehouse_path: Path
    public_dir: Path
    reports_dir: Path
    dbt_project_dir: Path
    expectations_dir: Path
    contracts_dir: Path
    # Largest file accepted from a department; larger ones are refused, not truncated.
    max_file_bytes: int
    # Where departments' HTTP APIs are reached (the demo and tests start a local server).
    api_url: str | None = None
    # Scale-out mode (DuckLake): the lake's catalog, a PostgreSQL connection string
    # (libpq "key=value" or a postgresql:// URL), and the folder or object-store prefix of its
    # Parquet files. With a catalog every connection opens the lake instead of
    # ``warehouse_path``; ``DDSS_MODE=lake`` starts a local PostgreSQL (``ddss.lake``).
    lake_catalog: str | None = None
    lake_data_path: str | None = None
    mode: str = "file"
    # DuckDB's memory for every warehouse connection and for dbt's (``DDSS_DUCKDB_MEMORY_LIMIT``,
    # DuckDB's syntax: "1GB", "512MB"). Sorts, joins and aggregates beyond it spill to the
    # temporary folder beside the warehouse (``<warehouse>.tmp``) instead of growing the
    # process: DuckDB's own default is 80% of the machine's memory, per process. 512MB: at
    # scale 100 (9 M rows) dbt's staging peaked at 3.2 GB unbounded, 2.2 GB with 1GB and
    # 1.8 GB with 512MB in `ddss run`, no slower within the machine's noise (issue 17).
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT

    @property
    def lake(self) -> bool:
        return bool(self.lake_catalog)

    @property
    def dbt_profiles_dir(self) -> Path:
        return self.dbt_project_dir


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def load_settings() -> Settings:
    """Read the environment now (tests call this after changing it)."""
    home = _path("DDSS_HOME", _repo_root())
    data = _path("DDSS_DATA_DIR", home / "data")
    return Settings(
        home=home,
        landing_dir=_path("DDSS_LANDING_DIR", data / "landing"),
        raw_dir=_path("DDSS_RAW_DIR", data / "raw"),
        warehouse_path=_path("DDSS_WAREHOUSE", data / "warehouse" / "ddss.duckdb"),
        public_dir=_path("DDSS_PUBLIC_DIR", home / "public"),
        reports_dir=_path("DDSS_REPORTS_DIR", data / "reports"),
        dbt_project_dir=_path("DDSS_DBT_PROJECT_DIR", home / "dbt_project"),
        expectations_dir=_path("DDSS_EXPECTATIONS_DIR", home / "expectations"),
        contracts_dir=_path("DDSS_CONTRACTS_DIR", Path(__file__).resolve().parent / "contracts"),
        max_file_bytes=int(os.environ.get("DDSS_MAX_FILE_BYTES", str(2 * 1024**3))),
        api_url=os.environ.get("DDSS_API_URL") or None,
        lake_catalog=os.environ.get("DDSS_LAKE_CATALOG") or None,
        lake_data_path=os.environ.get("DDSS_LAKE_DATA_PATH") or None,
        mode=os.environ.get("DDSS_MODE") or "file",
        duckdb_memory_limit=duckdb_memory_limit(),
    )


def workspace_settings(root: Path, base: Settings | None = None) -> Settings:
    """Settings whose data (landing, raw, warehouse, reports) and public folders live under
    ``root``, with the repository's dbt project, suites and contracts: a scratch workspace
    for a check, a test or a benchmark, chosen without touching the environment. Its
    warehouse is the DuckDB file under ``root``, never the environment's lake: a scratch
    workspace must not write into the production catalog."""
    base = base or load_settings()
    return replace(
        base,
        lake_catalog=None,
        lake_data_path=None,
        mode="file",
        landing_dir=root / "data" / "landing",
        raw_dir=root / "data" / "raw",
        warehouse_path=root / "data" / "warehouse" / "ddss.duckdb",
        public_dir=root / "public",
        reports_dir=root / "data" / "reports",
    )
