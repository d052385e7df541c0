"""The quality gate: Great Expectations suites, evaluated in one DuckDB pass.

Why not GX's own SQL execution engine? On DuckDB it fails as shipped (IndexError in
``resolve_metric_bundle``; see ``ddss.quality.gx_duckdb`` for the cause and a fix), it caps the
unexpected rows it returns at 200, and it runs one query per metric. Stewards need *every*
failing row with its file and spreadsheet row number, so the gate:

1. loads each suite from ``expectations/<dataset>.json`` with GX's own ``ExpectationSuite``
   (GX validates the configuration: types, kwargs);
2. compiles every supported expectation into a SQL predicate with GX's semantics (nulls
   ignored by set and pair rules, ``mostly`` on the non-null count, ...);
3. evaluates all of them in a single pass over the candidate model, writing each failing
   (row, rule) to ``quality.quarantine`` — no cap — with the criterion and both messages;
4. returns a GX ``ExpectationSuiteValidationResult`` built from those counts.

``tests/unit/test_gx_conformance.py`` runs the real GX engine (``ddss.quality.gx_duckdb``) on the
same tables and asserts that both agree expectation by expectation.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ddss.data_contracts import IDENTIFIER, Contract, SourceContract, load_contracts
from ddss.errors import Problem
from ddss.quality.criteria import CRITERIA
from ddss.quality.freshness import freshness
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect, first_row, table_exists

log = logging.getLogger(__name__)

ROW_RULES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
}
TABLE_RULES = {"expect_table_row_count_to_be_between", "expect_table_columns_to_match_set"}


class SuiteError(ValueError):
    """An expectation suite is malformed or uses what the gate cannot evaluate."""


@dataclass(frozen=True)
class Rule:
    index: int
    rule_id: str
    expectation: Any  # a great_expectations Expectation
    criterion: str
    message_vi: str
    message_en: str
    column: str | None  # the contract column the steward must fix
    value_sql: str | None  # what to show as the value
    fail_sql: str | None  # row-level: the predicate that makes a row fail
    denominator_sql: str | None  # row-level: the rows the rule applies to (for `mostly`)
    # "row": the row is quarantined; "warning": reported to the steward, the row is kept.
    severity: str = "row"
    # meta.hint_from: a column whose value, when there is one, ends the row's messages after
    # meta.hint_vi / hint_en (e.g. the new wards a split pre-2025 ward went to).
    hint_sql: str | None = None
    hint_vi: str = ""
    hint_en: str = ""

    @property
    def type(self) -> str:
        return self.expectation.expectation_type

    @property
    def mostly(self) -> float | None:
        """Only an explicit ``mostly`` makes failing rows block the batch."""
        return self.expectation.configuration.kwargs.get("mostly")


@dataclass
class Outcome:
    dataset: str
    run_id: str
    rows_checked: int = 0
    rows_failed: int = 0
    failures_by_rule: dict[str, int] = field(default_factory=dict)
    # 0-100 per criterion: the share of rows with no failure under that criterion.
    scores: dict[str, float | None] = field(default_factory=dict)
    freshness: dict | None = None  # sống: expected, received and missing periods
    coverage: dict | None = None  # đủ: expected and reporting (unit, period) pairs
    blocking: list[Problem] = field(default_factory=list)
    result: dict = field(default_factory=dict)  # GX ExpectationSuiteValidationResult as JSON

    @property
    def publishable(self) -> bool:
        return not self.blocking


def _q(identifier: str) -> str:
    if not IDENTIFIER.match(identifier):
        raise SuiteError(f"'{identifier}' is not an allowed column name")
    return f'"{identifier}"'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SuiteError(f"unsupported literal {value!r} in an expectation")


def suite_path(dataset: str, cfg: Settings) -> Path:
    return cfg.expectations_dir / f"{dataset}.json"


def load_suite(dataset: str, cfg: Settings | None = None):
    """The dataset's suite as GX objects; every expectation must say its criterion."""
    from great_expectations.core import ExpectationSuite

    cfg = cfg or load_settings()
    path = suite_path(dataset, cfg)
    data = json.loads(path.read_text("utf-8"))
    suite = ExpectationSuite(
        name=data["name"], expectations=data["expectations"], meta=data.get("meta") or {}
    )
    for i, exp in enumerate(suite.expectations):
        meta = exp.meta or {}
        if meta.get("criterion") not in CRITERIA:
            raise SuiteError(
                f"{path.name}: expectation {i} lacks meta.criterion in {list(CRITERIA)}"
            )
        if not meta.get("message_vi") or not meta.get("message_en"):
            raise SuiteError(f"{path.name}: expectation {i} lacks meta.message_vi / message_en")
    return suite


def compile_rule(index: int, exp) -> Rule:
    kind = exp.expectation_type
    meta = exp.meta
    kw = exp.configuration.kwargs
    column = kw.get("column")
    fail = denominator = value = None
    if kind in ROW_RULES:
        if kind == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = _q(kw["column_A"]), _q(kw["column_B"])
            op = ">=" if kw.get("or_equal") else ">"
            ignore = kw.get("ignore_row_if", "both_values_are_missing")
            # A comparison with a missing value is never "unexpected" in GX's SQL engine.
            fail = f"coalesce(not ({a} {op} {b}), false)"
            if ignore == "either_value_is_missing":
                denominator = f"{a} is not null and {b} is not null"
            elif ignore == "both_values_are_missing":
                denominator = f"({a} is not null or {b} is not null)"
            else:
                denominator = "true"
            column = kw["column_A"]
        else:
            c = _q(column)
            if kind == "expect_column_values_to_not_be_null":
                fail, denominator = f"{c} is null", "true"
            elif kind == "expect_column_values_to_be_null":
                fail, denominator = f"{c} is not null", "true"
            else:
                denominator = f"{c} is not null"
                if kind in (
                    "expect_column_values_to_be_in_set",
                    "expect_column_values_to_not_be_in_set",
                ):
                    values = ", ".join(_literal(v) for v in kw["value_set"])
                    negate = (
                        "not " if kind.endswith("_to_be_in_set") and "not_be" not in kind else ""
                    )
                    fail = f"{c} is not null and {c} {negate}in ({values})"
                elif kind in (
                    "expect_column_values_to_match_regex",
                    "expect_column_values_to_not_match_regex",
                ):
                    negate = "not " if "not_match" not in kind else ""
                    fail = f"{c} is not null and {negate}regexp_matches({c}::varchar, {_literal(kw['regex'])})"
                elif kind == "expect_column_values_to_be_between":
                    parts = []
                    if kw.get("min_value") is not None:
                        parts.append(
                            f"{c} {'<=' if kw.get('strict_min') else '<'} {_literal(kw['min_value'])}"
                        )
                    if kw.get("max_value") is not None:
                        parts.append(
                            f"{c} {'>=' if kw.get('strict_max') else '>'} {_literal(kw['max_value'])}"
                        )
                    fail = f"{c} is not null and ({' or '.join(parts) or 'false'})"
        report_column = meta.get("column") or column
        value = _q(meta.get("value_from") or column) + "::varchar"
    elif kind in TABLE_RULES:
        report_column = None
    else:
        raise SuiteError(f"expectation type {kind} is not supported by the gate")
    return Rule(
        index=index,
        rule_id=f"{index:02d}_{kind.removeprefix('expect_')}" + (f"__{column}" if column else ""),
        expectation=exp,
        criterion=meta["criterion"],
        message_vi=meta["message_vi"],
        message_en=meta["message_en"],
        column=report_column,
        value_sql=value,
        fail_sql=fail,
        denominator_sql=denominator,
        severity="warning" if meta.get("severity") == "warning" else "row",
        hint_sql=_q(meta["hint_from"]) + "::varchar" if meta.get("hint_from") and fail else None,
        hint_vi=meta.get("hint_vi", ""),
        hint_en=meta.get("hint_en", ""),
    )


def compile_suite(suite) -> list[Rule]:
    return [compile_rule(i, exp) for i, exp in enumerate(suite.expectations)]


def floor_sql(relation: str, rules: list[Rule]) -> str:
    """One aggregate pass evaluating every row rule: the fastest any engine could do."""
    counts = [f"count(*) filter (where {r.fail_sql})" for r in rules if r.fail_sql]
    return f"select count(*), {', '.join(counts)} from {relation}"


def _count_sql(condition: str) -> str:
    """count(col) reads only the validity mask; a filtered count evaluates the condition."""
    if condition == "true":
        return "count(*)"
    if condition.endswith(" is not null") and " and " not in condition and " or " not in condition:
        return f"count({condition.removesuffix(' is not null')})"
    return f"count(*) filter (where {condition})"


def _evaluate(
    con, contract: Contract, rules: list[Rule], relation: str, run_id: str, key: str | None
) -> tuple[int, dict[int, int], dict[int, int], list[Problem]]:
    row_rules = [r for r in rules if r.fail_sql]
    personal = set(contract.personal_columns)
    catalogue = pa.table(
        {
            "rule_index": [r.index for r in row_rules],
            "rule": [r.rule_id for r in row_rules],
            "expectation_type": [r.type for r in row_rules],
            "column_name": [r.column for r in row_rules],
            "criterion": [r.criterion for r in row_rules],
            "message_vi": [r.message_vi for r in row_rules],
            "message_en": [r.message_en for r in row_rules],
            "personal": [r.column in personal for r in row_rules],
            "severity": [r.severity for r in row_rules],
            "hint_vi": [r.hint_vi for r in row_rules],
            "hint_en": [r.hint_en for r in row_rules],
        }
    )
    con.register("rule_catalogue", catalogue)
    entries = ", ".join(
        f"case when {r.fail_sql} then {{'i': {r.index}, 'v': {r.value_sql}, 'h': {r.hint_sql or 'null::varchar'}}} end"
        for r in row_rules
    )
    any_fail = " or ".join(f"({r.fail_sql})" for r in row_rules) or "false"
    key_sql = f"{_q(key)}::varchar" if key else "null"
    con.execute("delete from quality.quarantine where dataset = ?", [contract.id])
    # The single pass: each row is read once; failing rows carry the list of rules they break.
    con.execute(
        f"""
        insert into quality.quarantine
        with failing as (
            select _source_file, _source_row, {key_sql} as record_key,
                   unnest(list_filter([{entries}], lambda x: x is not null)) as failure
            from {relation}
            where {any_fail}
        )
        select ?, ?, ?, failing._source_file, failing._source_row, failing.record_key,
               rule_catalogue.column_name,
               -- Personal values are never stored whole: two characters at each end.
               case when not rule_catalogue.personal then failing.failure.v
                    when length(failing.failure.v) <= 4 then repeat('*', length(failing.failure.v))
                    else left(failing.failure.v, 2) || repeat('*', length(failing.failure.v) - 4)
                         || right(failing.failure.v, 2) end,
               rule_catalogue.rule, rule_catalogue.expectation_type, rule_catalogue.criterion,
               rule_catalogue.severity,
               rule_catalogue.message_vi || case when rule_catalogue.personal then '' else
                   coalesce(' ' || rule_catalogue.hint_vi || ' ' || failing.failure.h || '.', '') end,
               rule_catalogue.message_en || case when rule_catalogue.personal then '' else
                   coalesce(' ' || rule_catalogue.hint_en || ' ' || failing.failure.h || '.', '') end
        from failing join rule_catalogue on rule_catalogue.rule_index = failing.failure.i
        """,
        [run_id, contract.id, contract.department.id],
    )
    con.unregister("rule_catalogue")
    # Ragged rows never reached the candidate model; they are quarantined from the loader.
    con.execute(
        """
        insert into quality.quarantine
        select ?, dataset, ?, file_name, source_row, null, null,
               field_count || ' / ' || expected_count, 'row_shape', 'ddss_row_has_header_field_count',
               'dung', 'row',
               'Dòng có ' || field_count || ' cột trong khi dòng tiêu đề có ' || expected_count
                 || ' cột (thừa hoặc thiếu dấu phẩy, hoặc xuống dòng trong ô). Sửa lại dòng này.',
               'The row has ' || field_count || ' fields but the header has ' || expected_count
                 || ' (an extra or missing comma, or a line break inside a cell). Fix this row.'
        from raw.load_rejects where dataset = ?
        """,
        [run_id, contract.department.id, contract.id],
    )
    counts = dict(
        con.execute(
            "select cast(split_part(rule, '_', 1) as integer), count(*) from quality.quarantine "
            "where dataset = ? and rule <> 'row_shape' group by 1",
            [contract.id],
        ).fetchall()
    )
    denominators_sql = ", ".join(_count_sql(r.denominator_sql) for r in row_rules)
    totals = first_row(
        con, f"select count(*){', ' + denominators_sql if denominators_sql else ''} from {relation}"
    )
    element_count = int(totals[0])
    denominators = {r.index: int(v) for r, v in zip(row_rules, totals[1:], strict=True)}

    table_problems = []
    for r in rules:
        if r.type == "expect_table_row_count_to_be_between":
            kw = r.expectation.configuration.kwargs
            low, high = kw.get("min_value"), kw.get("max_value")
            ok = (low is None or element_count >= low) and (high is None or element_count <= high)
            counts[r.index] = 0 if ok else 1
            if not ok:
                table_problems.append(
                    Problem(
                        contract.id,
                        None,
                        None,
                        str(element_count),
                        r.rule_id,
                        r.message_vi,
                        r.message_en,
                    )
                )
        elif r.type == "expect_table_columns_to_match_set":
            kw = r.expectation.configuration.kwargs
            actual = {
                c
                for (c,) in con.execute(f"select column_name from (describe {relation})").fetchall()
            }
            expected = set(kw["column_set"])
            ok = actual == expected if kw.get("exact_match", True) else expected <= actual
            counts[r.index] = 0 if ok else 1
            if not ok:
                table_problems.append(
                    Problem(
                        contract.id,
                        1,
                        None,
                        ", ".join(sorted(expected ^ actual)),
                        r.rule_id,
                        r.message_vi,
                        r.message_en,
                    )
                )
    return element_count, counts, denominators, table_problems


def _gx_result(
    suite,
    rules: list[Rule],
    element_count: int,
    counts: dict[int, int],
    denominators: dict[int, int],
    samples: dict[int, list],
) -> tuple[dict, list[Rule]]:
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    results = []
    over_threshold = []
    for r in rules:
        unexpected = counts.get(r.index, 0)
        if r.fail_sql:
            applies = denominators[r.index]
            percent = 100.0 * unexpected / applies if applies else 0.0
            mostly = r.mostly if r.mostly is not None else 1.0
            success = (unexpected / applies if applies else 0.0) <= (1.0 - mostly) + 1e-12
            if r.mostly is not None and not success:
                over_threshold.append(r)
            result = {
                "element_count": element_count,
                "unexpected_count": unexpected,
                "unexpected_percent": percent,
                "partial_unexpected_list": samples.get(r.index, []),
            }
            if r.type != "expect_column_values_to_not_be_null":
                result["missing_count"] = element_count - applies
        else:
            success = unexpected == 0
            result = {"observed_value": element_count}
        results.append(
            ExpectationValidationResult(
                success=success,
                expectation_config=r.expectation.configuration,
                result=result,
            )
        )
    evaluated = len(results)
    successful = sum(1 for x in results if x.success)
    suite_result = ExpectationSuiteValidationResult(
        success=successful == evaluated,
        results=results,
        suite_name=suite.name,
        statistics={
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": 100.0 * successful / evaluated if evaluated else 100.0,
        },
    )
    return suite_result.to_json_dict(), over_threshold


def _scores(
    con,
    dataset: str,
    rows_checked: int,
    rows_failed: int,
    song: float | None,
    row_song_rules: bool = False,
) -> dict[str, float | None]:
    """0-100 per criterion: for đúng, đủ and sạch the share of rows free of failures under
    it; for sống the share of due periods received, averaged with the share of rows that
    were on time and on current codes when the suite has row-level sống rules. Overall is
    their mean."""
    by_criterion = dict(
        con.execute(
            "select criterion, count(distinct (source_file, source_row)) from quality.quarantine "
            "where dataset = ? group by criterion",
            [dataset],
        ).fetchall()
    )

    def score(failed: int) -> float | None:
        return round(100.0 * (1 - failed / rows_checked), 2) if rows_checked else None

    scores = {c: score(by_criterion.get(c, 0)) for c in ("dung", "du", "sach")}
    if row_song_rules and rows_checked:
        parts = [p for p in (song, score(by_criterion.get("song", 0))) if p is not None]
        song = round(sum(parts) / len(parts), 2)
    scores["song"] = song
    measured = [v for v in scores.values() if v is not None]
    scores["overall"] = round(sum(measured) / len(measured), 2) if measured else None
    return scores


def control_totals(con, contract: Contract) -> list[Problem]:
    """đủ, batch level: what arrived must add up to what the department declared it sent.
    Rows are counted as sent (ragged ones included); sums are over the values that are
    numbers, as the sender's own spreadsheet would sum them."""
    if not isinstance(contract, SourceContract) or not contract.source.control_suffix:
        return []
    source = contract.source
    declared = {
        f: (n, json.loads(s))
        for f, n, s in con.execute(
            "select file_name, row_count, sums_json from meta.control_totals where dataset = ?",
            [contract.id],
        ).fetchall()
    }
    problems = []
    files = [
        f
        for (f,) in con.execute(
            "select file_name from meta.loaded_files where dataset = ? order by file_name",
            [contract.id],
        ).fetchall()
    ]
    for file_name in files:
        if file_name not in declared:
            problems.append(
                Problem(
                    file_name,
                    None,
                    None,
                    None,
                    "control_totals_missing",
                    f"Thiếu tệp tổng kiểm soát '{source.control_file_for(file_name)}' đi kèm tệp này. Hãy gửi kèm số dòng và tổng tiền.",
                    f"The control-totals file '{source.control_file_for(file_name)}' that goes with this file is missing. "
                    "Send the row count and totals with it.",
                )
            )
            continue
        rows, sums = declared[file_name]
        sums_sql = "".join(
            f", sum(try_cast(nullif(trim(\"{_q(c)[1:-1]}\"), '') as hugeint))" for c in sums
        )
        actual = first_row(
            con,
            f'select count(*){sums_sql} from raw."{contract.raw_table}" where _source_file = ?',
            [file_name],
        )
        ragged = first_row(
            con,
            "select count(*) from raw.load_rejects where dataset = ? and file_name = ?",
            [contract.id, file_name],
        )[0]
        if actual[0] + ragged != rows:
            problems.append(
                Problem(
                    file_name,
                    None,
                    None,
                    f"{actual[0] + ragged} / {rows}",
                    "control_total_rows",
                    f"Tệp có {actual[0] + ragged} dòng dữ liệu nhưng tệp tổng kiểm soát khai {rows} dòng. "
                    "Tệp có thể bị cắt hoặc gửi nhầm phiên bản; hãy gửi lại cả hai tệp.",
                    f"The file has {actual[0] + ragged} data rows but its control totals declare {rows}. "
                    "It may be truncated or the wrong version; send both files again.",
                )
            )
        for (column, expected), got in zip(sums.items(), actual[1:], strict=True):
            if str(got or 0) != str(expected):
                problems.append(
                    Problem(
                        file_name,
                        None,
                        column,
                        f"{got or 0} / {expected}",
                        "control_total_sum",
                        f"Tổng cột '{contract.column(column).header}' là {got or 0} nhưng tệp tổng kiểm soát khai {expected}. "
                        "Hãy kiểm tra lại số liệu và gửi lại cả hai tệp.",
                        f"The column '{contract.column(column).header}' sums to {got or 0} but the control totals declare "
                        f"{expected}. Check the figures and send both files again.",
                    )
                )
    return problems


def coverage(con, contract: Contract, relation: str) -> dict:
    """đủ: the (unit, period) pairs that reported, against every unit of the province for
    every period the data covers."""
    cov = contract.coverage
    units = [
        u
        for (u,) in con.execute(
            "select ward_code from raw.ref_wards where province_code = ? order by 1",
            [cov.province_code],
        ).fetchall()
    ]
    period = _q(cov.period_column) if cov.period_column else "'*'"
    reported = con.execute(
        f"select distinct {_q(cov.unit_column)}, {period} from {relation} "
        f"where {_q(cov.unit_column)} is not null and {period} is not null"
    ).fetchall()
    periods = sorted({p for _, p in reported})
    have = {(u, p) for u, p in reported}
    missing = [{"unit": u, "period": p} for p in periods for u in units if (u, p) not in have]
    expected = len(units) * len(periods)
    return {
        "expected": expected,
        "reported": expected - len(missing),
        "share": round((expected - len(missing)) / expected, 4) if expected else 0.0,
        "missing": missing[:200],
        "missing_count": len(missing),
    }


def _coverage_problem(contract: Contract, cov: dict) -> Problem:
    sample = ", ".join(f"{m['unit']} ({m['period']})" for m in cov["missing"][:10])
    return Problem(
        contract.id,
        None,
        contract.coverage.unit_column,
        f"{cov['reported']} / {cov['expected']}",
        "coverage",
        f"Chưa đủ đơn vị báo cáo: {cov['reported']}/{cov['expected']} (phường/xã × kỳ), yêu cầu "
        f"{contract.coverage.min_share:.0%}. Còn thiếu: {sample}{' …' if cov['missing_count'] > 10 else ''}.",
        f"Not every unit has reported: {cov['reported']}/{cov['expected']} (ward × period), "
        f"{contract.coverage.min_share:.0%} required. Missing: {sample}{' …' if cov['missing_count'] > 10 else ''}.",
    )


def validate(
    dataset: str, run_id: str, cfg: Settings | None = None, as_of: date | None = None
) -> Outcome:
    """Validate the dataset's candidate model and rewrite its quarantine. With ``as_of`` (the
    run's logical date) the feed's freshness (sống) is measured too."""
    cfg = cfg or load_settings()
    contract = load_contracts(cfg)[dataset]
    suite = load_suite(dataset, cfg)
    schema = suite.meta.get("schema", "staging")
    model = suite.meta.get("model", contract.staging_model)
    relation = f"{_q(schema)}.{_q(model)}"
    rules = compile_suite(suite)
    outcome = Outcome(dataset=dataset, run_id=run_id)
    with connect(cfg) as con:
        if not table_exists(con, schema, model):
            outcome.blocking.append(
                Problem(
                    dataset,
                    None,
                    None,
                    None,
                    "candidate_missing",
                    f"Chưa có dữ liệu ứng viên ({schema}.{model}); chưa nhận được tệp nào.",
                    f"No candidate data ({schema}.{model}); no file has been received yet.",
                )
            )
            return outcome
        element_count, counts, denominators, table_problems = _evaluate(
            con, contract, rules, relation, run_id, suite.meta.get("key")
        )
        samples: dict[int, list] = {}
        for i, v in con.execute(
            "select cast(split_part(rule, '_', 1) as integer) as i, list(\"value\")[1:20] "
            "from quality.quarantine where dataset = ? and rule <> 'row_shape' group by 1",
            [dataset],
        ).fetchall():
            samples[i] = v
        ragged = first_row(
            con, "select count(*) from raw.load_rejects where dataset = ?", [dataset]
        )[0]
        outcome.rows_checked = element_count + ragged
        outcome.rows_failed = first_row(
            con,
            "select count(distinct (source_file, source_row)) from quality.quarantine"
            " where dataset = ? and severity = 'row'",
            [dataset],
        )[0]
        outcome.failures_by_rule = dict(
            con.execute(
                "select rule, count(*) from quality.quarantine where dataset = ? group by rule order by rule",
                [dataset],
            ).fetchall()
        )
        outcome.result, over_threshold = _gx_result(
            suite, rules, element_count, counts, denominators, samples
        )
        outcome.blocking.extend(table_problems)
        for r in over_threshold:
            outcome.blocking.append(
                Problem(
                    dataset,
                    None,
                    r.column,
                    f"{counts.get(r.index, 0)} / {denominators[r.index]}",
                    r.rule_id,
                    f"Quá nhiều dòng lỗi (ngưỡng {r.mostly:.0%} dòng hợp lệ): {r.message_vi}",
                    f"Too many failing rows (threshold {r.mostly:.0%} valid): {r.message_en}",
                )
            )
        song = None
        if as_of is not None and contract.first_period:
            fresh = freshness(con, contract, as_of)
            outcome.freshness = {
                "as_of": as_of.isoformat(),
                "expected": fresh.expected,
                "received": fresh.received,
                "missing": fresh.missing,
                "late": fresh.late,
                "stale": fresh.stale,
                "score": fresh.score,
            }
            song = fresh.score
        outcome.blocking.extend(control_totals(con, contract))
        if contract.coverage:
            outcome.coverage = coverage(con, contract, relation)
            if outcome.coverage["share"] < contract.coverage.min_share:
                outcome.blocking.append(_coverage_problem(contract, outcome.coverage))
        outcome.scores = _scores(
            con,
            dataset,
            outcome.rows_checked,
            outcome.rows_failed,
            song,
            any(r.criterion == "song" and r.fail_sql for r in rules),
        )
        con.execute(
            "insert into quality.validation_runs (run_id, dataset, department, rows_checked, rows_failed,"
            " success, blocking_failures, result_json, scores_json, freshness_json)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                dataset,
                contract.department.id,
                outcome.rows_checked,
                outcome.rows_failed,
                outcome.result["success"],
                len(outcome.blocking),
                json.dumps(outcome.result, ensure_ascii=False),
                json.dumps(outcome.scores),
                json.dumps(outcome.freshness),
            ],
        ).fetchall()
    log.info(
        "validated %s: %d rows, %d quarantined, %d blocking",
        dataset,
        element_count,
        outcome.rows_failed,
        len(outcome.blocking),
    )
    return outcome
