"""Pre-flight for stewards: ``ddss check PATH --dataset ID`` runs the same loader, dbt
staging and quality suite as the pipeline on one file, in a throw-away warehouse, and lists
every failure with its spreadsheet row number. Nothing is archived, loaded or published.

Reference data the rules need (the service catalogue for dossiers, say) is copied from the
real warehouse when it can be read; the result says when it could not.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ddss.checksums import sha256_of
from ddss.data_contracts import source_contract, source_contracts
from ddss.errors import FileRejected
from ddss.ingest.extract import ArchivedFile, ensure_raw_table, load_file
from ddss.reference.wards import load_reference_tables
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect, table_exists


@dataclasses.dataclass
class CheckResult:
    file: str
    dataset: str
    rows: int
    failures: list[dict]
    notes: list[str]

    @property
    def clean(self) -> bool:
        return not self.failures


def _copy_reference(cfg: Settings, scratch: Settings, dataset: str, notes: list[str]) -> None:
    """Copy the other datasets' raw tables from the real warehouse, read-only."""
    if not cfg.warehouse_path.exists():
        notes.append(
            "Chưa có kho dữ liệu: không kiểm tra được mã tham chiếu. / "
            "No warehouse yet: reference codes could not be checked."
        )
        return
    try:
        source = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    except duckdb.Error as exc:
        notes.append(
            f"Kho dữ liệu đang bận, bỏ qua dữ liệu tham chiếu. / Warehouse busy, reference data skipped ({exc})."
        )
        return
    try:
        with connect(scratch) as target:
            for contract in source_contracts(cfg):
                if contract.id == dataset:
                    continue
                if not table_exists(source, "raw", contract.raw_table):
                    continue
                table = source.sql(f'select * from raw."{contract.raw_table}"').to_arrow_table()
                target.register("reference_rows", table)
                target.execute(
                    f'create or replace table raw."{contract.raw_table}" as '
                    "select * from reference_rows"
                ).fetchall()
                target.unregister("reference_rows")
    finally:
        source.close()


def check_file(path: Path, dataset: str, cfg: Settings | None = None) -> CheckResult:
    from ddss.quality.gate import validate
    from ddss.quality.report import quarantine_rows
    from ddss.transform.dbt_runner import run_dbt

    cfg = cfg or load_settings()
    try:
        contract = source_contract(dataset, cfg)
    except KeyError:
        known = ", ".join(sorted(c.id for c in source_contracts(cfg)))
        raise ValueError(f"unknown dataset '{dataset}' (known: {known})") from None
    path = path.resolve()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ddss-check-") as tmp:
        root = Path(tmp)
        scratch = dataclasses.replace(
            cfg,
            landing_dir=root / "landing",
            raw_dir=root / "raw",
            warehouse_path=root / "warehouse" / "check.duckdb",
            reports_dir=root / "reports",
            public_dir=root / "public",
        )
        scratch.raw_dir.mkdir(parents=True)
        shutil.copyfile(path, scratch.raw_dir / path.name)
        entry = ArchivedFile(
            dataset=dataset,
            department=contract.department.id,
            file_name=path.name,
            sha256=sha256_of(path),
            bytes=path.stat().st_size,
            raw_path=path.name,
            landing_path=path.name,
            status="check",
            archived_at=datetime.now(UTC).isoformat(),
        )
        _copy_reference(cfg, scratch, dataset, notes)
        with connect(scratch) as con:
            load_reference_tables(con)
            try:
                rows, _ = load_file(con, scratch, entry, contract, "check")
            except FileRejected as exc:
                p = exc.problem
                return CheckResult(
                    path.name,
                    dataset,
                    0,
                    [
                        {
                            "source_row": p.row,
                            "column": p.column,
                            "value": p.value,
                            "rule": p.rule,
                            "criterion": "dung",
                            "message_vi": p.message_vi,
                            "message_en": p.message_en,
                        }
                    ],
                    notes,
                )
            for other in source_contracts(cfg):  # empty tables for what was not copied
                ensure_raw_table(con, other)
        # --quiet: with --json, standard output must hold nothing but the JSON.
        run_dbt(["run", "--quiet", "--select", f"+{contract.staging_model}"], scratch)
        outcome = validate(dataset, "check", scratch)
        headers = {c.name: c.header or c.name for c in contract.columns}
        with connect(scratch) as con:
            found = quarantine_rows(con, dataset, headers)
        failures = [
            {
                "source_row": f["source_row"],
                "column": f["column_header"],
                "field": f["column"],
                "value": f["value"],
                "rule": f["rule"],
                "criterion": f["criterion"],
                "message_vi": f["message_vi"],
                "message_en": f["message_en"],
            }
            for f in found
        ]
        for problem in outcome.blocking:
            failures.append(
                {
                    "source_row": None,
                    "column": None,
                    "field": problem.column,
                    "value": problem.value,
                    "rule": problem.rule,
                    "criterion": "du",
                    "message_vi": problem.message_vi,
                    "message_en": problem.message_en,
                }
            )
        return CheckResult(path.name, dataset, rows, failures, notes)
