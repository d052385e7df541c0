"""The lake on one machine: ``DDSS_MODE=lake`` (``make demo-lake``) runs the pipeline on a
local PostgreSQL catalog and Parquet files under ``data/lake/``, the same layout a province
runs with a managed PostgreSQL and object storage (``docs/scale-out.md``)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

from ddss.lake.postgres import LocalPostgres, PostgresUnavailable
from ddss.settings import Settings

CATALOG_DATABASE = "ddss_lake"

__all__ = ["PostgresUnavailable", "ensure_local_lake", "lake_dir", "local_server"]


def lake_dir(cfg: Settings) -> Path:
    """``data/lake/``: beside the warehouse file's folder."""
    return cfg.warehouse_path.parent.parent / "lake"


def local_server(cfg: Settings) -> LocalPostgres:
    return LocalPostgres(lake_dir(cfg) / "postgres" / "cluster")


def ensure_local_lake(cfg: Settings, export: bool = True, fresh: bool = False) -> Settings:
    """Settings pointing at the local lake when ``DDSS_MODE=lake`` and no catalog is given:
    start (or find running) the PostgreSQL under ``data/lake/postgres/``, create its catalog
    database, keep the Parquet files in ``data/lake/data/``. With ``export`` the variables go
    into this process's environment too, so that dbt and every child process (Airflow's
    workers) open the same lake. ``fresh`` empties the local lake first (``ddss demo``'s
    default, as it empties the DuckDB file's folder). Settings that already name a catalog,
    or the file mode, are returned as they are."""
    if cfg.lake or cfg.mode != "lake":
        return cfg
    server = local_server(cfg).start()
    database = re.sub(r"\W", "_", CATALOG_DATABASE)
    data = lake_dir(cfg) / "data"
    if fresh:
        server.drop_database(database)
        shutil.rmtree(data, ignore_errors=True)
    lake = replace(
        cfg,
        lake_catalog=server.create_database(database),
        lake_data_path=str(data) + os.sep,
    )
    if export:
        os.environ["DDSS_LAKE_CATALOG"] = lake.lake_catalog or ""
        os.environ["DDSS_LAKE_DATA_PATH"] = lake.lake_data_path or ""
    return lake
