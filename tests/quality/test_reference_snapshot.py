"""Reference data for ``ddss check`` comes from snapshots the validate step writes, never
from the production warehouse (issue 19)."""

import duckdb

from ddss.data_contracts import source_contract
from ddss.ingest.extract import ensure_raw_table
from ddss.quality import reference_snapshot
from ddss.quality.reference_snapshot import (
    export_reference,
    import_references,
    references,
    snapshot_path,
)
from ddss.warehouse import SCHEMA_SQL


def _warehouse(contract, rows):
    con = duckdb.connect()
    con.execute(SCHEMA_SQL).fetchall()
    ensure_raw_table(con, contract)
    names = [c.name for c in contract.columns]
    for number, values in enumerate(rows, start=2):
        row = [values.get(n) for n in names] + ["f.csv", "sha", number, "run"]
        con.execute(
            f"insert into raw.{contract.raw_table} values ({', '.join('?' * len(row))})", row
        ).fetchall()
    return con


def test_the_dossiers_staging_reads_the_service_catalogue_as_reference(cfg):
    assert references(cfg)["admin_procedure_dossiers"] == frozenset({"online_public_services"})
    assert not any("admin_procedure_dossiers" in used for used in references(cfg).values())


def test_a_snapshot_is_written_whole_without_personal_columns_and_loaded_by_the_check(
    cfg, monkeypatch
):
    dossiers = source_contract("admin_procedure_dossiers", cfg)
    personal = set(dossiers.personal_columns)
    assert personal  # names, citizen IDs, phones
    # Pretend another dataset reads the dossiers, to see what leaves the warehouse.
    monkeypatch.setattr(
        reference_snapshot, "references", lambda _: {"other": frozenset({dossiers.id})}
    )
    row = {c.name: f"{c.name}-value" for c in dossiers.columns}
    con = _warehouse(dossiers, [row, row])
    path = export_reference(con, dossiers, cfg)
    assert path == snapshot_path(cfg, dossiers) and path.exists()
    assert list(path.parent.iterdir()) == [path]  # no partial file left behind
    columns = {c for (c,) in con.execute(f"select name from parquet_schema('{path}')").fetchall()}
    assert not columns & personal
    assert {"_source_file", "_source_row"} <= columns
    con.close()

    scratch = duckdb.connect()
    scratch.execute(SCHEMA_SQL).fetchall()
    assert import_references(scratch, cfg, "other") == []
    loaded = scratch.execute(
        f"select count(*), count(*) filter (where {next(iter(personal))} is null)"
        f" from raw.{dossiers.raw_table}"
    ).fetchall()
    assert loaded == [(2, 2)]


def test_the_check_says_when_there_is_no_reference_snapshot_yet(cfg):
    scratch = duckdb.connect()
    scratch.execute(SCHEMA_SQL).fetchall()
    notes = import_references(scratch, cfg, "admin_procedure_dossiers")
    assert len(notes) == 1
    assert "online_public_services" in notes[0] and " / " in notes[0]


def test_a_snapshot_that_cannot_be_written_never_fails_validation_nor_harms_the_last(cfg):
    services = source_contract("online_public_services", cfg)
    con = _warehouse(services, [{c.name: "x" for c in services.columns}])
    path = export_reference(con, services, cfg)
    before = path.read_bytes()
    con.execute(f"drop table raw.{services.raw_table}").fetchall()
    assert export_reference(con, services, cfg) is None  # logged, not raised
    assert path.read_bytes() == before
    assert list(path.parent.iterdir()) == [path]
