"""The gate and Great Expectations' own SQL engine agree, expectation by expectation, on
the real suites over the real candidate tables (with the injected defects) — and GX's
engine as shipped really does fail on DuckDB, which is why ddss.quality.gx_duckdb exists."""

import json

import duckdb
import pytest

from conftest import copy_workspace
from ddss.quality.gate import compile_suite, load_suite
from ddss.quality.gx_duckdb import patched_engine, validate_with_gx

CANDIDATES = {
    "admin_procedure_dossiers": "stg_tuyen_quang_pasc__admin_procedure_dossiers",
    "online_public_services": "stg_tuyen_quang_pasc__online_public_services",
    "community_digital_teams": "stg_hanoi_dict__community_digital_teams",
}


@pytest.fixture(scope="module")
def warehouse(published, tmp_path_factory):
    cfg = copy_workspace(published, tmp_path_factory.mktemp("gx"))
    con = duckdb.connect(str(cfg.warehouse_path))
    for model in CANDIDATES.values():
        # GX reflects column types by bare table name: give it copies in the default schema.
        con.execute(f"create table main.{model} as select * from staging.{model}").fetchall()
    con.close()
    return cfg


def _raised(info) -> bool:
    """GX nests exception details per metric in 1.x."""
    info = info or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )


def _key(configuration) -> str:
    data = configuration.to_json_dict()
    kwargs = {k: v for k, v in data["kwargs"].items() if v is not None and k != "batch_id"}
    # GX keeps a bound of 50 as 50.0; the gate's own reading of the suite file keeps 50.
    kwargs = {
        k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in kwargs.items()
    }
    return json.dumps([data["type"], kwargs], sort_keys=True)


@pytest.mark.parametrize("dataset", sorted(CANDIDATES))
def test_gate_and_gx_engine_agree(warehouse, published, dataset):
    suite = load_suite(dataset, published)

    con = duckdb.connect(str(published.warehouse_path), read_only=True)
    run = json.loads(
        con.execute(
            "select result_json from quality.validation_runs where dataset = ? order by recorded_at desc limit 1",
            [dataset],
        ).fetchall()[0][0]
    )
    con.close()
    gx_result = validate_with_gx(warehouse.warehouse_path, CANDIDATES[dataset], suite)
    by_config = {}
    for r in gx_result.results:
        assert not _raised(r.exception_info), r.exception_info
        by_config[_key(r.expectation_config)] = r
    for rule, ours_result in zip(compile_suite(suite), run["results"], strict=True):
        theirs = by_config[_key(rule.expectation.configuration)]
        assert theirs.success == ours_result["success"], rule.rule_id
        if rule.fail_sql:
            assert theirs.result["unexpected_count"] == ours_result["result"]["unexpected_count"], (
                rule.rule_id
            )
            assert theirs.result["unexpected_percent"] == pytest.approx(
                ours_result["result"]["unexpected_percent"]
            ), rule.rule_id
    assert gx_result.success == run["success"]
    if dataset == "admin_procedure_dossiers":
        assert not run["success"]  # the injected defects are there to be found


def test_gx_engine_as_shipped_fails_on_duckdb(warehouse):
    """If this starts passing, GX or duckdb-engine fixed the bug: drop the patch."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="w", connection_string=f"duckdb:///{warehouse.warehouse_path}"
    )
    asset = source.add_table_asset(name="t", table_name=CANDIDATES["online_public_services"])
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    result = batch.validate(gxe.ExpectColumnValuesToNotBeNull(column="service_code"))
    assert _raised(result.exception_info), "GX as shipped now works on DuckDB"
    assert "list index out of range" in json.dumps(result.exception_info, default=str)
    with patched_engine():
        fixed = batch.validate(gxe.ExpectColumnValuesToNotBeNull(column="service_code"))
    assert fixed.success and not _raised(fixed.exception_info)
