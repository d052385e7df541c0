"""Reference data for ``ddss check``, without ever touching the production warehouse.

DuckDB lets one process write a database file, and a reader that opens it (even
read-only) takes a lock that makes the writer's next ``connect`` fail. A steward's
pre-flight must never break a running pipeline (issue 19), so ``ddss check`` does not open
the warehouse at all: the validate step, which already holds the writer's connection,
exports the raw tables that another dataset's staging model reads as reference (the
online-service catalogue that dossiers are joined to, say) as Parquet files beside the
warehouse, and the check loads them into its own scratch database.

Each file is written under a temporary name and renamed into place, so a reader sees the
previous snapshot or the new one, never half of one. Personal columns are not exported:
reference data never needs them, and they should not live in more places than the raw zone.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import duckdb

from ddss.data_contracts import SourceContract, source_contracts
from ddss.settings import Settings

log = logging.getLogger(__name__)

# ref('stg_<department>__<dataset>') in a staging model's SQL.
_REF = re.compile(r"""ref\(\s*['"]stg_[a-z0-9_]+?__([a-z0-9_]+)['"]\s*\)""")


def snapshot_dir(cfg: Settings) -> Path:
    return cfg.warehouse_path.parent / "reference"


def snapshot_path(cfg: Settings, contract: SourceContract) -> Path:
    return snapshot_dir(cfg) / f"{contract.raw_table}.parquet"


@lru_cache(maxsize=8)
def _references(staging_dir: Path) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for sql in sorted(staging_dir.rglob("stg_*__*.sql")):
        dataset = sql.stem.split("__", 1)[1]
        used = frozenset(_REF.findall(sql.read_text("utf-8"))) - {dataset}
        if used:
            found[dataset] = used
    return found


def references(cfg: Settings) -> dict[str, frozenset[str]]:
    """{dataset: the other datasets its staging model reads}, from the dbt project."""
    return _references(cfg.dbt_project_dir / "models" / "staging")


def is_reference(cfg: Settings, dataset: str) -> bool:
    return any(dataset in used for used in references(cfg).values())


def export_reference(con, contract: SourceContract, cfg: Settings) -> Path | None:
    """Write the dataset's raw table (non-personal columns) as the check's reference
    snapshot when another dataset's staging reads it; return its path. A snapshot that
    cannot be written is logged, never a failed validation: the check is a convenience and
    says when it has no reference data; the previous snapshot stays whole."""
    if not is_reference(cfg, contract.id):
        return None
    try:
        return _export(con, contract, cfg)
    except (OSError, duckdb.Error) as exc:
        log.warning("reference snapshot of %s for ddss check not written: %s", contract.id, exc)
        return None


def _export(con, contract: SourceContract, cfg: Settings) -> Path:
    target = snapshot_path(cfg, contract)
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = [c.name for c in contract.columns if not c.personal]
    columns += ["_source_file", "_source_sha256", "_source_row"]
    select = ", ".join(f'"{c}"' for c in columns)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    # The path is ours (settings + an allow-listed table name); COPY cannot bind it.
    escaped = str(partial).replace("'", "''")
    try:
        con.execute(
            f'copy (select {select} from raw."{contract.raw_table}" '
            f"order by _source_file, _source_row) to '{escaped}' (format parquet)"
        ).fetchall()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def import_references(con, cfg: Settings, dataset: str) -> list[str]:
    """Load the snapshots the dataset's staging needs into ``con`` (a scratch database);
    return notes (Vietnamese / English) for the ones that are not there yet."""
    from ddss.ingest.extract import ensure_raw_table

    notes = []
    by_id = {c.id: c for c in source_contracts(cfg)}
    for needed in sorted(references(cfg).get(dataset, ())):
        contract = by_id[needed]
        ensure_raw_table(con, contract)
        path = snapshot_path(cfg, contract)
        if not path.exists():
            notes.append(
                f"Chưa có dữ liệu tham chiếu '{needed}' (đường ống chưa kiểm tra bộ này lần nào): "
                "không kiểm tra được các mã tham chiếu tới nó. / "
                f"No reference data '{needed}' yet (the pipeline has not validated it): "
                "codes that refer to it could not be checked."
            )
            continue
        escaped = str(path).replace("'", "''")
        con.execute(
            f'insert into raw."{contract.raw_table}" by name '
            f"select * from read_parquet('{escaped}')"
        ).fetchall()
    return notes
