"""Strict typing of cells (issue 16, issue 18 item 12): the staging macros turn a cell into a
number or a date only when it is written in a shape the contract states, and say why not
otherwise; identifiers are normalised (invisible and full-width characters) and flagged.
The macros are compiled by dbt and run on DuckDB, as the staging models run them."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from ddss.data_contracts import source_contracts
from ddss.transform.dbt_runner import compile_inline

INTEGERS = [
    # (cell, number_format, value, problem)
    ("2920000", "plain", 2_920_000, None),
    ("007", "plain", 7, None),
    ("12.5", "plain", None, "fraction"),
    ("12,5", "plain", None, "fraction"),
    ("2.920.000", "plain", None, "thousands"),
    ("2,920,000", "plain", None, "thousands"),
    ("2.920.000", "vi", 2_920_000, None),
    ("2920000", "vi", 2_920_000, None),
    ("2,920,000", "vi", None, "thousands"),
    ("2.920.000,5", "vi", None, "fraction"),
    ("12.5", "vi", None, "fraction"),
    ("1,2E+06", "plain", None, "scientific"),
    ("1.2E6", "vi", None, "scientific"),
    ("0x1F", "plain", None, "programmer"),
    ("1_000", "plain", None, "programmer"),
    ("-500", "plain", -500, "negative"),
    ("-2.920.000", "vi", -2_920_000, "negative"),
    ("năm", "plain", None, "not_a_number"),
    ("12,5 triệu", "plain", None, "not_a_number"),
    ("99999999999999999999", "plain", None, "not_a_number"),
    (None, "plain", None, None),
]
DATES = [
    ("05/07/2022", date(2022, 7, 5), None),
    ("5/7/2022", date(2022, 7, 5), None),
    ("1/1/22", None, "two_digit_year"),
    ("31/12/21", None, "two_digit_year"),
    ("30/02/2022", None, "impossible"),
    ("2022-07-05", None, "format"),
    ("05/07/02022", None, "format"),
    ("hôm qua", None, "format"),
]
IDENTIFIERS = [
    # (cell, normalised, flagged, as typed)
    ("HS-0001", "HS-0001", False, "HS-0001"),
    (" HS-0001 ", "HS-0001", False, "HS-0001"),
    ("HS-\u200b0001", "HS-0001", True, "HS-[ZWSP]0001"),
    ("HS-0001\ufeff", "HS-0001", True, "HS-0001[BOM]"),
    ("HS\u00a0X", "HSX", True, "HS[NBSP]X"),
    ("ＨＳ－０００１", "HS-0001", True, "ＨＳ－０００１"),
    ("HS-０００１", "HS-0001", True, "HS-０００１"),
    ("Mã\u3000A", "MãA", True, "Mã[SP]A"),
]


def _literal(value) -> str:
    return "null::varchar" if value is None else "'" + value.replace("'", "''") + "'"


def _compiled(cfg, sql: str) -> str:
    """The SQL dbt makes of ``sql`` with the project's macros."""
    return compile_inline(sql, cfg)


@pytest.fixture(scope="module")
def macro_results(tmp_path_factory):
    """Every case above through the macros, in one dbt compile (it is slow to start)."""
    import dataclasses

    from ddss.settings import load_settings

    root = tmp_path_factory.mktemp("strict")
    cfg = dataclasses.replace(load_settings(), warehouse_path=root / "w.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DDSS_WAREHOUSE", str(cfg.warehouse_path))
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        parts = []
        for i, (cell, number_format, _, _) in enumerate(INTEGERS):
            parts.append(
                f"select 'integer' as kind, {i} as i, typed::varchar as value, "
                f"{{{{ integer_problem('clean', 'typed', '{number_format}') }}}} as problem "
                f"from (select cell, {{{{ clean_text('cell') }}}} as clean, "
                f"{{{{ parse_integer('cell', '{number_format}') }}}} as typed "
                f"from (select {_literal(cell)} as cell))"
            )
        for i, (cell, _, _) in enumerate(DATES):
            parts.append(
                f"select 'date' as kind, {i} as i, typed::varchar as value, "
                f"{{{{ date_problem('clean', 'typed', ['%d/%m/%Y']) }}}} as problem "
                f"from (select {{{{ clean_text('cell') }}}} as clean, "
                f"{{{{ parse_date_strict('cell', ['%d/%m/%Y']) }}}} as typed "
                f"from (select {_literal(cell)} as cell))"
            )
        for i, (cell, _, _, _) in enumerate(IDENTIFIERS):
            parts.append(
                f"select 'identifier' as kind, {i} as i, "
                f"{{{{ identifier_text('cell') }}}} || '|' || {{{{ identifier_normalised('cell') }}}}"
                f" || '|' || {{{{ visible_text('cell') }}}} as value, null as problem "
                f"from (select {_literal(cell)} as cell)"
            )
        for i, cell in enumerate(["07/2022", "2022-07", "07/22", "7/22"]):
            parts.append(
                f"select 'period' as kind, {i} as i, {{{{ parse_period_vn('cell') }}}} as value, "
                f"null as problem from (select {_literal(cell)} as cell)"
            )
        sql = _compiled(cfg, "\nunion all\n".join(parts))
    rows = duckdb.connect().execute(sql).fetchall()
    return {(kind, i): (value, problem) for kind, i, value, problem in rows}


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(INTEGERS)), ids=[repr(c[:2]) for c in INTEGERS]
)
def test_an_integer_is_read_exactly_or_named_as_a_problem(macro_results, index, case):
    cell, number_format, value, problem = case
    got_value, got_problem = macro_results[("integer", index)]
    assert (got_value, got_problem) == (None if value is None else str(value), problem), cell


@pytest.mark.parametrize(("index", "case"), list(enumerate(DATES)), ids=[c[0] for c in DATES])
def test_a_date_is_read_only_in_the_contract_format_with_four_digit_years(
    macro_results, index, case
):
    cell, value, problem = case
    got_value, got_problem = macro_results[("date", index)]
    assert (got_value, got_problem) == (None if value is None else value.isoformat(), problem), cell


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(IDENTIFIERS)), ids=[repr(c[0]) for c in IDENTIFIERS]
)
def test_an_identifier_is_normalised_and_the_normalisation_flagged(macro_results, index, case):
    cell, normalised, flagged, as_typed = case
    value, _ = macro_results[("identifier", index)]
    assert value == f"{normalised}|{str(flagged).lower()}|{as_typed}", repr(cell)


def test_a_period_with_a_two_digit_year_is_not_a_period(macro_results):
    periods = [macro_results[("period", i)][0] for i in range(4)]
    assert periods == ["2022-07", "2022-07", None, None]


def _staging_sql(cfg, model: str) -> str:
    return next((cfg.dbt_project_dir / "models" / "staging").rglob(f"{model}.sql")).read_text(
        "utf-8"
    )


def test_every_staging_model_types_cells_as_its_contract_states(cfg):
    """Integer columns go through parse_integer with the contract's number_format, date
    columns through parse_date_strict with the contract's format; no bare cast is left."""
    for contract in source_contracts(cfg):
        sql = _staging_sql(cfg, contract.staging_model)
        assert "try_cast(" not in sql, contract.staging_model
        assert "parse_date_vn(" not in sql, contract.staging_model
        for column in contract.columns:
            if column.personal and column.type != "date" or column.enum:
                continue
            if column.type == "integer":
                args = f"'{column.name}'"
                if column.number_format != "plain":
                    args += f", '{column.number_format}'"
                assert re.search(r"parse_integer\(" + re.escape(args) + r"[,)]", sql), (
                    contract.id,
                    column.name,
                    column.number_format,
                )
                if contract.id == "online_public_services":
                    continue  # its level is checked as text against {2, 3, 4}: nothing else passes
                assert f"integer_problem('renamed.{column.name}_text'" in sql or (
                    f"integer_problem('{column.name}_text'" in sql
                ), (contract.id, column.name)
            if column.type == "date":
                assert f"parse_date_strict('{column.name}', ['{column.format}'])" in sql, (
                    contract.id,
                    column.name,
                )


def _rules(cfg, dataset: str) -> tuple[dict, set[str]]:
    """(column, value in its set) -> expectation; and the columns with a range rule."""
    import json

    suite = json.loads((cfg.expectations_dir / f"{dataset}.json").read_text("utf-8"))
    rules = {}
    for expectation in suite["expectations"]:
        column = expectation["kwargs"].get("column", "")
        for value in expectation["kwargs"].get("value_set", []):
            rules[(column, value)] = expectation
    between = {
        e["kwargs"]["column"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    return rules, between


def _number_kinds(contract, column, between: set[str]) -> list[str]:
    if column.type != "integer" or column.enum or column.personal:
        return []
    if contract.id == "online_public_services":
        return []  # its level is checked against the set {2, 3, 4} as text
    kinds = ["not_a_number", "fraction", "thousands", "scientific", "programmer"]
    return kinds + ([] if column.name in between else ["negative"])


def test_every_suite_names_each_number_problem_with_its_own_message(cfg):
    for contract in source_contracts(cfg):
        rules, between = _rules(cfg, contract.id)
        for column in contract.columns:
            for kind in _number_kinds(contract, column, between):
                rule = rules.get((f"{column.name}_problem", kind))
                assert rule, (contract.id, column.name, kind)
                assert rule["meta"]["column"] == column.name
                assert rule["meta"]["value_from"] == f"{column.name}_text"
                assert column.header in rule["meta"]["message_vi"]
                assert column.header in rule["meta"]["message_en"]


def test_every_suite_rejects_two_digit_years_with_the_right_message(cfg):
    for contract in source_contracts(cfg):
        rules, _ = _rules(cfg, contract.id)
        for column in contract.columns:
            if column.type == "date":
                rule = rules.get((f"{column.name}_problem", "two_digit_year"))
                assert rule, (contract.id, column.name)
                assert "năm phải có 4 chữ số" in rule["meta"]["message_vi"]
                assert "the year must have four digits" in rule["meta"]["message_en"]
                assert rule["meta"].get("severity", "row") == "row"


def test_every_suite_warns_when_a_key_was_normalised_and_keeps_the_row(cfg):
    for contract in source_contracts(cfg):
        rules, _ = _rules(cfg, contract.id)
        for key in contract.key:
            if key in ("period", "payment_type", "day"):
                continue  # typed or matched by label: not identifiers
            rule = rules.get((f"{key}_normalised", True))
            assert rule, (contract.id, key)
            assert rule["meta"]["severity"] == "warning"


def test_the_contract_states_the_number_format_and_refuses_an_unknown_one(cfg, tmp_path):
    from ddss.data_contracts import ContractError, load_contract, load_departments

    path = cfg.contracts_dir / "cashless_parking_payments.yml"
    contract = load_contract(path, load_departments(cfg))
    formats = {c.name: c.number_format for c in contract.columns if c.type == "integer"}
    assert formats == {
        "transactions": "plain",
        "cashless_transactions": "plain",
        "revenue_vnd": "vi",
        "cashless_revenue_vnd": "vi",
    }
    bad = tmp_path / path.name
    bad.write_text(
        path.read_text("utf-8").replace("number_format: vi", "number_format: en", 1), "utf-8"
    )
    with pytest.raises(ContractError, match="number_format"):
        load_contract(bad, load_departments(cfg))


def test_every_ward_code_that_is_normalised_is_reported(cfg):
    """ward_code_text normalises invisible and full-width characters wherever it is used:
    each such model flags it and its suite warns the steward."""
    for contract in source_contracts(cfg):
        sql = _staging_sql(cfg, contract.staging_model)
        if "ward_code_text('ward_code')" not in sql:
            continue
        assert "identifier_normalised('ward_code') }} as ward_code_normalised" in sql, contract.id
        rules, _ = _rules(cfg, contract.id)
        rule = rules.get(("ward_code_normalised", True))
        assert rule and rule["meta"]["severity"] == "warning", contract.id
