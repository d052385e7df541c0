"""The gate compiles GX suites into one DuckDB pass: every failing row, with its source row,
is quarantined (no 200-row cap); the counts agree with GX's own engine."""

import duckdb
import pytest

from ddss.data_contracts import load_contracts
from ddss.quality.gate import SuiteError, _evaluate, compile_suite, load_suite


def _suite(expectations, name="t"):
    from great_expectations.core import ExpectationSuite

    for e in expectations:
        e.setdefault("meta", {}).update(
            {"criterion": "dung", "message_vi": "lỗi", "message_en": "error"}
        )
    return ExpectationSuite(name=name, expectations=expectations)


@pytest.fixture
def con():
    from ddss.warehouse import SCHEMA_SQL

    connection = duckdb.connect()
    connection.execute(SCHEMA_SQL).fetchall()
    # 1,000 rows with a bad channel: far more than GX's 200-row cap on returned rows.
    connection.execute("""
        create table main.candidate as
        select 'f.csv' as _source_file, (i + 2)::integer as _source_row, 'id-' || i as dossier_id,
               case when i % 3 = 0 then 'email' when i % 7 = 0 then null else 'online' end as channel,
               date '2022-01-01' + (i % 30)::integer as received_date,
               case when i % 11 = 0 then date '2021-12-01' else date '2022-02-15' end as resolved_date,
               (i % 5)::integer as level
        from range(3000) t(i)
    """).fetchall()
    yield connection
    connection.close()


def _run(con, cfg, expectations):
    contract = load_contracts(cfg)["admin_procedure_dossiers"]
    rules = compile_suite(_suite(expectations))
    return _evaluate(con, contract, rules, "main.candidate", "run", "dossier_id")


def _expected(con, predicate):
    return con.execute(f"select count(*) from main.candidate where {predicate}").fetchall()[0][0]


def test_every_failing_row_is_quarantined_with_its_source_row(con, cfg):
    evaluation = _run(
        con,
        cfg,
        [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "channel", "value_set": ["online"]},
            },
        ],
    )
    assert evaluation.element_count == 3000
    assert evaluation.counts[0] == _expected(con, "channel = 'email'") == 1000
    rows = con.execute(
        "select source_row, record_key, value from quality.quarantine order by source_row"
    ).fetchall()
    assert len(rows) == 1000
    assert rows[0] == (2, "id-0", "email")


def test_each_rule_type_matches_a_hand_written_query(con, cfg):
    evaluation = _run(
        con,
        cfg,
        [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "channel"}},
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {
                    "column_A": "resolved_date",
                    "column_B": "received_date",
                    "or_equal": True,
                },
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "level", "min_value": 1, "max_value": 3},
            },
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": "dossier_id", "regex": "^id-[0-9]{1,3}$"},
            },
            {
                "type": "expect_column_values_to_not_be_in_set",
                "kwargs": {"column": "channel", "value_set": ["email"]},
            },
        ],
    )
    counts, denominators = evaluation.counts, evaluation.denominators
    assert counts[0] == _expected(con, "channel is null")
    assert counts[1] == _expected(con, "resolved_date < received_date")
    assert counts[2] == _expected(con, "level < 1 or level > 3")
    assert counts[3] == _expected(con, "length(dossier_id) > 6")
    assert counts[4] == _expected(con, "channel = 'email'")
    assert denominators[4] == _expected(con, "channel is not null")


def test_a_rule_over_its_mostly_threshold_blocks_and_table_rules_report(con, cfg):
    from ddss.quality import gate as quality

    suite = _suite(
        [
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 5000}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "channel", "value_set": ["online"], "mostly": 0.9},
            },
        ]
    )
    rules = compile_suite(suite)
    contract = load_contracts(cfg)["admin_procedure_dossiers"]
    evaluation = _evaluate(con, contract, rules, "main.candidate", "r", None)
    assert [p.rule for p in evaluation.table_problems] == [rules[0].rule_id]
    assert evaluation.counts[0] == 1  # a table rule counts 1 when it fails
    result, over = quality._gx_result(
        suite,
        rules,
        evaluation.element_count,
        evaluation.counts,
        evaluation.denominators,
        {},
    )
    assert [r.index for r in over] == [1]
    assert result["success"] is False


def test_unsupported_expectations_and_missing_criteria_are_refused(cfg, tmp_path):
    from great_expectations.core import ExpectationSuite

    suite = ExpectationSuite(
        name="x",
        expectations=[
            {
                "type": "expect_column_mean_to_be_between",
                "kwargs": {"column": "a", "min_value": 1},
                "meta": {"criterion": "dung", "message_vi": "a", "message_en": "b"},
            }
        ],
    )
    with pytest.raises(SuiteError, match="not supported"):
        compile_suite(suite)


def test_every_expectation_of_every_suite_names_its_criterion_and_both_messages(cfg):
    for dataset, contract in load_contracts(cfg).items():
        if contract.source is None:
            continue
        suite = load_suite(dataset, cfg)
        assert suite.expectations, dataset
        for exp in suite.expectations:
            assert exp.meta["criterion"] in {"dung", "du", "sach", "song"}
            assert exp.meta["message_vi"] and exp.meta["message_en"]
        compile_suite(suite)  # every one is supported by the gate


def test_personal_values_are_masked_in_quarantine(con, cfg):
    con.execute("alter table main.candidate add column applicant_phone varchar").fetchall()
    con.execute(
        "update main.candidate set applicant_phone = '0966558508' where _source_row = 2"
    ).fetchall()
    _run(
        con,
        cfg,
        [{"type": "expect_column_values_to_be_null", "kwargs": {"column": "applicant_phone"}}],
    )
    assert con.execute("select value from quality.quarantine").fetchall() == [("09******08",)]


DOSSIERS = "staging.stg_tuyen_quang_pasc__admin_procedure_dossiers"


def _workspace_with(cfg, tmp_path, expectations, candidate_sql):
    """A workspace whose dossier suite is ``expectations`` and whose candidate (staging)
    table is ``candidate_sql``."""
    import dataclasses
    import json

    from ddss.warehouse import connect

    suites = tmp_path / "suites"
    suites.mkdir()
    suite = _suite(expectations, name="admin_procedure_dossiers")
    (suites / "admin_procedure_dossiers.json").write_text(
        json.dumps(
            {
                "name": suite.name,
                "expectations": [e.configuration.to_json_dict() for e in suite.expectations],
                "meta": {"key": "dossier_id"},
            }
        ),
        "utf-8",
    )
    workspace = dataclasses.replace(cfg, expectations_dir=suites)
    with connect(workspace) as con:
        con.execute("create schema if not exists staging").fetchall()
        con.execute(f"create table {DOSSIERS} as {candidate_sql}").fetchall()
    return workspace


def _candidate_workspace(cfg, tmp_path):
    """100 dossiers, 25 with a bad channel and 10 without an id; a suite of two rules."""
    return _workspace_with(
        cfg,
        tmp_path,
        [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "channel", "value_set": ["online"]},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "dossier_id"}},
        ],
        """
        select 'f.csv' as _source_file, (i + 2)::integer as _source_row,
               case when i % 10 <> 0 then 'id-' || i end as dossier_id,
               case when i % 4 = 0 then 'email' else 'online' end as channel
        from range(100) t(i)
        """,
    )


def test_validating_the_same_run_twice_replaces_its_history_row_and_quarantine(cfg, tmp_path):
    from ddss.quality.gate import validate
    from ddss.warehouse import connect

    workspace = _candidate_workspace(cfg, tmp_path)
    first = validate("admin_procedure_dossiers", "run-1", workspace)
    second = validate("admin_procedure_dossiers", "run-1", workspace)
    with connect(workspace) as con:
        runs = con.execute(
            "select run_id, rows_checked, rows_failed from quality.validation_runs"
        ).fetchall()
        quarantined = con.execute(
            "select run_id, count(*) from quality.quarantine group by run_id"
        ).fetchall()
    assert runs == [("run-1", 100, first.rows_failed)]
    assert quarantined == [("run-1", 25 + 10)]
    assert (second.rows_checked, second.rows_failed, second.scores) == (
        first.rows_checked,
        first.rows_failed,
        first.scores,
    )
    # Another run id is another history point.
    validate("admin_procedure_dossiers", "run-2", workspace)
    with connect(workspace) as con:
        assert con.execute(
            "select run_id from quality.validation_runs order by run_id"
        ).fetchall() == [("run-1",), ("run-2",)]


def test_a_validation_that_fails_half_way_leaves_the_previous_result_whole(
    cfg, tmp_path, monkeypatch
):
    from ddss.quality import gate
    from ddss.warehouse import connect

    workspace = _candidate_workspace(cfg, tmp_path)
    gate.validate("admin_procedure_dossiers", "run-1", workspace)

    def broken(*args, **kwargs):
        raise RuntimeError("killed between the quarantine and the history row")

    monkeypatch.setattr(gate, "_record_run", broken)
    with pytest.raises(RuntimeError):
        gate.validate("admin_procedure_dossiers", "run-2", workspace)
    with connect(workspace) as con:
        assert con.execute("select distinct run_id from quality.quarantine").fetchall() == [
            ("run-1",)
        ]
        assert con.execute("select run_id from quality.validation_runs").fetchall() == [("run-1",)]


def test_a_duplicate_names_the_earlier_row_it_repeats(cfg, tmp_path):
    from ddss.data_contracts import source_contract
    from ddss.quality.gate import validate
    from ddss.quality.report import steward_rows
    from ddss.warehouse import connect

    # Staging numbers each key's rows in file and row order (dossier_occurrence).
    workspace = _workspace_with(
        cfg,
        tmp_path,
        [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "dossier_occurrence", "value_set": [1]},
            }
        ],
        """
        select * from (values
            ('a.csv', 2, 'K1', 1), ('a.csv', 3, 'K2', 1), ('a.csv', 7, 'K1', 2),
            ('b.csv', 4, 'K2', 2), ('b.csv', 5, 'K1', 3)
        ) t(_source_file, _source_row, dossier_id, dossier_occurrence)
        """,
    )
    validate("admin_procedure_dossiers", "run-1", workspace)
    with connect(workspace) as con:
        rows = steward_rows(con, source_contract("admin_procedure_dossiers", cfg), workspace)
    assert [
        (r["source_file"], r["source_row"], r["repeats_row"], r["message_vi"], r["message_en"])
        for r in rows
    ] == [
        ("a.csv", 7, 2, "lỗi Dòng này trùng với dòng 2.", "error It repeats row 2."),
        (
            "b.csv",
            4,
            3,
            "lỗi Dòng này trùng với dòng 3 của tệp a.csv.",
            "error It repeats row 3 of a.csv.",
        ),
        (
            "b.csv",
            5,
            2,
            "lỗi Dòng này trùng với dòng 2 của tệp a.csv.",
            "error It repeats row 2 of a.csv.",
        ),
    ]


def _gx_reference_result(suite, rules, element_count, counts, denominators, samples) -> dict:
    """What the gate returned before it stopped importing GX: GX's own result objects."""
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    from ddss.quality import gate as quality

    ours, _ = quality._gx_result(suite, rules, element_count, counts, denominators, samples)
    results = [
        ExpectationValidationResult(
            success=mine["success"],
            expectation_config=gx_exp.configuration,
            result=mine["result"],
        )
        for mine, gx_exp in zip(ours["results"], suite.to_gx().expectations, strict=True)
    ]
    return ExpectationSuiteValidationResult(
        success=ours["success"],
        results=results,
        suite_name=suite.name,
        statistics=ours["statistics"],
    ).to_json_dict()


@pytest.mark.parametrize("dataset", ["admin_procedure_dossiers", "electronic_health_records"])
def test_the_result_written_without_gx_is_what_gx_writes(cfg, dataset):
    from ddss.quality import gate as quality

    suite = load_suite(dataset, cfg)
    rules = compile_suite(suite)
    counts = {r.index: (r.index * 7) % 5 for r in rules}
    denominators = {r.index: 1000 - r.index for r in rules if r.fail_sql}
    samples = {r.index: [f"v{r.index}", "x"] for r in rules if r.fail_sql}
    ours, _ = quality._gx_result(suite, rules, 1000, counts, denominators, samples)
    expected = _gx_reference_result(suite, rules, 1000, counts, denominators, samples)
    assert ours == expected


def test_a_run_reads_suites_without_importing_gx_once_gx_has_checked_them(cfg):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ddss.quality.gate import load_suite\n"
        "from ddss.settings import load_settings\n"
        "load_suite('admin_procedure_dossiers', load_settings())\n"
        "print('great_expectations' in sys.modules)\n"
    )

    def imported_gx() -> bool:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return done.stdout.strip() == "True"

    assert imported_gx()  # the first reading of this version of the file: GX checks it
    assert not imported_gx()  # then it is trusted by its sha256


def test_a_suite_gx_refuses_is_refused_by_the_gate(cfg, tmp_path):
    import dataclasses
    import json

    folder = tmp_path / "expectations"
    folder.mkdir()
    (folder / "admin_procedure_dossiers.json").write_text(
        json.dumps(
            {
                "name": "admin_procedure_dossiers",
                "expectations": [
                    {
                        # value_set is required: GX's own model refuses the configuration.
                        "type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": "channel"},
                        "meta": {"criterion": "dung", "message_vi": "a", "message_en": "b"},
                    }
                ],
            }
        ),
        "utf-8",
    )
    with pytest.raises(SuiteError, match="Great Expectations refuses"):
        load_suite("admin_procedure_dossiers", dataclasses.replace(cfg, expectations_dir=folder))
