"""dbt build on a temporary DuckDB: staging (with the unit test), then marts whose dbt tests
must pass on validated rows only — and must fail if the quarantine were ignored."""

import duckdb
import pytest

from ddss.data_contracts import source_contracts
from ddss.ingest.extract import extract
from ddss.quality.gate import validate
from ddss.transform.dbt_runner import DbtFailed, build_marts, build_staging

DATASETS = ("online_public_services", "admin_procedure_dossiers", "community_digital_teams")


def _query(cfg, sql):
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _validate_every_dataset(cfg):
    """Every mart has data tests now: building them all needs every dataset validated."""
    for contract in source_contracts(cfg):
        validate(contract.id, "run-1", cfg)


@pytest.fixture
def staged(landed):
    extract("run-1", landed)
    nodes = build_staging(landed)
    assert any(n["node"] == "timeliness_compares_resolved_with_due_date" for n in nodes)
    return landed


def test_marts_hold_validated_rows_only(staged):
    _validate_every_dataset(staged)
    build_marts(staged)
    assert _query(staged, "select count(*) from marts.fct_admin_procedure_dossiers") == [(42_540,)]
    quarantined_in_marts = _query(
        staged,
        """
        select count(*) from marts.fct_admin_procedure_dossiers f
        join quality.quarantine q on q.source_file = f._source_file and q.source_row = f._source_row""",
    )
    assert quarantined_in_marts == [(0,)]


def test_mart_tests_fail_when_the_quarantine_is_ignored(staged):
    for dataset in DATASETS:
        validate(dataset, "run-1", staged)
    con = duckdb.connect(str(staged.warehouse_path))
    con.execute("delete from quality.quarantine").fetchall()
    con.close()
    with pytest.raises(DbtFailed) as error:
        build_marts(staged)
    message = str(error.value)
    assert "unique_fct_admin_procedure_dossiers_dossier_id" in message
    assert "not_null_fct_admin_procedure_dossiers_channel" in message
    assert "unique_fct_community_digital_teams_team_id" in message


def test_a_department_run_builds_only_its_own_marts(staged):
    # The teams are not validated yet: building every mart would fail their dbt tests...
    for dataset in DATASETS[:2]:
        validate(dataset, "run-1", staged)
    with pytest.raises(DbtFailed):
        build_marts(staged)
    # ...but the centre's own run builds its marts only, untouched by the other department.
    build_marts(staged, "tuyen_quang_pasc")
    assert _query(staged, "select count(*) from marts.fct_admin_procedure_dossiers") == [(42_540,)]


def test_history_is_kept_as_a_dbt_snapshot(staged):
    _validate_every_dataset(staged)
    build_marts(staged)
    assert _query(staged, "select count(*) from snapshots.snap_admin_procedure_dossiers") == [
        (42_540,)
    ]
    # A dossier pending in July is resolved in the August extract: the snapshot keeps both.
    con = duckdb.connect(str(staged.warehouse_path))
    pending = con.execute(
        "select dossier_id from marts.fct_admin_procedure_dossiers "
        "where resolved_date is null order by dossier_id limit 1"
    ).fetchall()[0][0]
    con.execute(
        "update raw.raw_admin_procedure_dossiers set resolved_date = '05/08/2022' "
        "where dossier_id = ?",
        [pending],
    ).fetchall()
    con.close()
    build_staging(staged)
    validate("admin_procedure_dossiers", "run-2", staged)
    build_marts(staged)
    versions = _query(
        staged,
        "select resolved_date, dbt_valid_to is null from snapshots.snap_admin_procedure_dossiers "
        f"where dossier_id = '{pending}' order by dbt_valid_from",
    )
    assert [v[0] is None for v in versions] == [True, False] and versions[-1][1] is True
