"""The quality gate: Great Expectations suites, evaluated in one DuckDB pass.

Why not GX's own SQL execution engine? On DuckDB it fails as shipped (IndexError in
``resolve_metric_bundle``; see ``ddss.quality.gx_duckdb`` for the cause and a fix), it caps the
unexpected rows it returns at 200, and it runs one query per metric. Stewards need *every*
failing row with its file and spreadsheet row number, so the gate:

1. loads each suite from ``expectations/<dataset>.json`` into plain objects shaped as GX's
   (``Suite``); GX's own ``ExpectationSuite`` validates the configuration (types, kwargs) once
   per version of the file, not on every run: importing GX takes seconds, and a run's fixed
   cost must not (``verify_suite``, remembered by the file's sha256);
2. compiles every supported expectation into a SQL predicate with GX's semantics (nulls
   ignored by set and pair rules, ``mostly`` on the non-null count, ...);
3. evaluates all of them in a single pass over the candidate model, writing each failing
   (row, rule) to ``quality.quarantine`` — no cap — with the criterion and both messages;
4. returns the JSON of a GX ``ExpectationSuiteValidationResult`` built from those counts
   (the same dict GX's ``to_json_dict`` gives; ``tests/quality/test_gate.py`` compares them).

``tests/unit/test_gx_conformance.py`` runs the real GX engine (``ddss.quality.gx_duckdb``) on the
same tables and asserts that both agree expectation by expectation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ddss.data_contracts import IDENTIFIER, Contract, Coverage, SourceContract, load_contracts
from ddss.errors import Problem
from ddss.quality.criteria import CRITERIA
from ddss.quality.freshness import freshness
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect, first_row, retry_on_conflict, table_exists

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class ExpectationConfiguration:
    """What the gate reads of a GX ``ExpectationConfiguration``: type, kwargs, meta."""

    type: str
    kwargs: dict
    meta: dict
    severity: str = "critical"  # GX 1.x's default, shown in its results

    def to_json_dict(self) -> dict:
        return {
            "type": self.type,
            "kwargs": self.kwargs,
            "meta": self.meta,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Expectation:
    """One expectation as the gate uses it (GX's ``Expectation`` has the same attributes)."""

    configuration: ExpectationConfiguration

    @property
    def expectation_type(self) -> str:
        return self.configuration.type

    @property
    def meta(self) -> dict:
        return self.configuration.meta


@dataclass(frozen=True)
class Suite:
    """A suite file read without importing GX (``to_gx`` gives GX's object)."""

    name: str
    expectations: list[Expectation]
    meta: dict

    def to_gx(self):
        from great_expectations.core import ExpectationSuite

        return ExpectationSuite(
            name=self.name,
            expectations=[e.configuration.to_json_dict() for e in self.expectations],
            meta=self.meta,
        )


def _suite_checked_path(cfg: Settings) -> Path:
    return cfg.warehouse_path.parent / "suites_checked_by_gx.json"


def verify_suite(path: Path, data: dict, cfg: Settings) -> None:
    """GX's own validation of the suite's configuration (types, kwargs), once per version of
    the file: the sha256 of every suite GX accepted is kept beside the warehouse."""
    from ddss.checksums import sha256_of

    digest = sha256_of(path)
    record = _suite_checked_path(cfg)
    try:
        checked = set(json.loads(record.read_text("utf-8")))
    except (FileNotFoundError, ValueError):
        checked = set()
    if digest in checked:
        return
    from great_expectations.core import ExpectationSuite

    try:
        ExpectationSuite(
            name=data["name"], expectations=data["expectations"], meta=data.get("meta") or {}
        )
    except Exception as exc:  # GX raises its own and pydantic's errors
        raise SuiteError(f"{path.name}: Great Expectations refuses the suite: {exc}") from exc
    checked.add(digest)
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_name(record.name + ".partial")
    partial.write_text(json.dumps(sorted(checked)), "utf-8")
    partial.replace(record)


def load_suite(dataset: str, cfg: Settings | None = None) -> Suite:
    """The dataset's suite; every expectation must say its criterion and both messages."""
    cfg = cfg or load_settings()
    path = suite_path(dataset, cfg)
    data = json.loads(path.read_text("utf-8"))
    verify_suite(path, data, cfg)
    expectations = []
    for i, exp in enumerate(data["expectations"]):
        meta = exp.get("meta") or {}
        if meta.get("criterion") not in CRITERIA:
            raise SuiteError(
                f"{path.name}: expectation {i} lacks meta.criterion in {list(CRITERIA)}"
            )
        if not meta.get("message_vi") or not meta.get("message_en"):
            raise SuiteError(f"{path.name}: expectation {i} lacks meta.message_vi / message_en")
        configuration = ExpectationConfiguration(exp["type"], dict(exp.get("kwargs") or {}), meta)
        expectations.append(Expectation(configuration))
    return Suite(name=data["name"], expectations=expectations, meta=data.get("meta") or {})


@dataclass(frozen=True)
class Predicate:
    """How a row rule is evaluated: the rows that fail it, and the rows it applies to."""

    fail: str
    denominator: str
    column: str  # the candidate column the rule is about


def _not_null(c: str, kw: dict) -> tuple[str, str]:
    return f"{c} is null", "true"


def _null(c: str, kw: dict) -> tuple[str, str]:
    return f"{c} is not null", "true"


def _in_set(c: str, kw: dict, negate: str = "not ") -> tuple[str, str]:
    values = ", ".join(_literal(v) for v in kw["value_set"])
    return f"{c} is not null and {c} {negate}in ({values})", f"{c} is not null"


def _not_in_set(c: str, kw: dict) -> tuple[str, str]:
    return _in_set(c, kw, negate="")


def _match_regex(c: str, kw: dict, negate: str = "not ") -> tuple[str, str]:
    return (
        f"{c} is not null and {negate}regexp_matches({c}::varchar, {_literal(kw['regex'])})",
        f"{c} is not null",
    )


def _not_match_regex(c: str, kw: dict) -> tuple[str, str]:
    return _match_regex(c, kw, negate="")


def _between(c: str, kw: dict) -> tuple[str, str]:
    parts = []
    if kw.get("min_value") is not None:
        parts.append(f"{c} {'<=' if kw.get('strict_min') else '<'} {_literal(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"{c} {'>=' if kw.get('strict_max') else '>'} {_literal(kw['max_value'])}")
    return f"{c} is not null and ({' or '.join(parts) or 'false'})", f"{c} is not null"


# GX's semantics per column rule: set, regex and range rules ignore nulls (their denominator
# is the non-null count, which ``mostly`` is measured against); null rules count every row.
COLUMN_RULES: dict[str, Callable[[str, dict], tuple[str, str]]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_match_regex": _match_regex,
    "expect_column_values_to_not_match_regex": _not_match_regex,
    "expect_column_values_to_be_between": _between,
}
# Which rows a pair rule applies to, per GX's ``ignore_row_if``.
PAIR_DENOMINATORS = {
    "either_value_is_missing": "{a} is not null and {b} is not null",
    "both_values_are_missing": "({a} is not null or {b} is not null)",
}


def _pair_greater(kw: dict) -> Predicate:
    a, b = _q(kw["column_A"]), _q(kw["column_B"])
    op = ">=" if kw.get("or_equal") else ">"
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    return Predicate(
        # A comparison with a missing value is never "unexpected" in GX's SQL engine.
        fail=f"coalesce(not ({a} {op} {b}), false)",
        denominator=PAIR_DENOMINATORS.get(ignore, "true").format(a=a, b=b),
        column=kw["column_A"],
    )


def row_predicate(kind: str, kw: dict) -> Predicate | None:
    """The SQL of a row rule; None for a table rule. Unsupported types are refused."""
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        return _pair_greater(kw)
    if kind in COLUMN_RULES:
        fail, denominator = COLUMN_RULES[kind](_q(kw["column"]), kw)
        return Predicate(fail, denominator, kw["column"])
    if kind in TABLE_RULES:
        return None
    raise SuiteError(f"expectation type {kind} is not supported by the gate")


def compile_rule(index: int, exp) -> Rule:
    kind = exp.expectation_type
    meta = exp.meta
    predicate = row_predicate(kind, exp.configuration.kwargs)
    column = predicate.column if predicate else exp.configuration.kwargs.get("column")
    return Rule(
        index=index,
        rule_id=f"{index:02d}_{kind.removeprefix('expect_')}" + (f"__{column}" if column else ""),
        expectation=exp,
        criterion=meta["criterion"],
        message_vi=meta["message_vi"],
        message_en=meta["message_en"],
        column=(meta.get("column") or column) if predicate else None,
        value_sql=_q(meta.get("value_from") or column) + "::varchar" if predicate else None,
        fail_sql=predicate.fail if predicate else None,
        denominator_sql=predicate.denominator if predicate else None,
        severity="warning" if meta.get("severity") == "warning" else "row",
        hint_sql=_q(meta["hint_from"]) + "::varchar"
        if meta.get("hint_from") and predicate
        else None,
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


def candidate_relation(suite, contract: Contract) -> tuple[str, str]:
    """(schema, model) of the table the suite validates."""
    return suite.meta.get("schema", "staging"), suite.meta.get("model", contract.staging_model)


def _duplicate_rules(rules: list[Rule]) -> list[Rule]:
    """The suites' ``<x>_occurrence in [1]`` rules: staging numbers the rows of each contract
    key in file and row order, and every row after the first is a duplicate."""
    return [
        r
        for r in rules
        if r.type == "expect_column_values_to_be_in_set"
        and r.expectation.configuration.kwargs["column"].endswith("_occurrence")
        and list(r.expectation.configuration.kwargs["value_set"]) == [1]
    ]


def earlier_rows(con, contract: Contract, cfg: Settings) -> dict[tuple[str, int, str], tuple]:
    """{(file, row, rule): (file, row) of the first row with the same key} for every
    duplicate of the dataset's candidate: the row a duplicate repeats.

    Not part of the gate's single pass: finding the first rows probes every row's key
    (about as long as the whole pass at 1e7 rows), and only the steward's view needs it."""
    suite = load_suite(contract.id, cfg)
    schema, model = candidate_relation(suite, contract)
    duplicates = _duplicate_rules(compile_suite(suite))
    if not duplicates or not contract.key or not table_exists(con, schema, model):
        return {}
    relation = f"{_q(schema)}.{_q(model)}"
    columns = {
        c for (c,) in con.execute(f"select column_name from (describe {relation})").fetchall()
    }
    if not set(contract.key) <= columns:
        return {}
    same_key = " and ".join(f"d.{_q(k)} is not distinct from f.{_q(k)}" for k in contract.key)
    found: dict[tuple[str, int, str], tuple] = {}
    for rule in duplicates:
        occurrence = _q(rule.expectation.configuration.kwargs["column"])
        for file, row, earlier_file, earlier_row in con.execute(
            f"""
            with repeated as materialized (select * from {relation} where {occurrence} > 1)
            select d._source_file, d._source_row, f._source_file, f._source_row
            from repeated as d join {relation} as f on {same_key}
            where f.{occurrence} = 1
            """
        ).fetchall():
            found[(file, row, rule.rule_id)] = (earlier_file, earlier_row)
    return found


@dataclass
class Evaluation:
    """What one pass over the candidate found (the failing rows are in quarantine)."""

    element_count: int  # rows in the candidate
    counts: dict[int, int]  # rule index -> unexpected rows (table rules: 0 or 1)
    denominators: dict[int, int]  # row rule index -> rows the rule applies to
    table_problems: list[Problem]  # table rules that failed: batch-level


def _evaluate(
    con, contract: Contract, rules: list[Rule], relation: str, run_id: str, key: str | None
) -> Evaluation:
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
    denominators_sql = ", ".join(_count_sql(r.denominator_sql or "true") for r in row_rules)
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
    return Evaluation(element_count, counts, denominators, table_problems)


def _gx_result(
    suite,
    rules: list[Rule],
    element_count: int,
    counts: dict[int, int],
    denominators: dict[int, int],
    samples: dict[int, list],
) -> tuple[dict, list[Rule]]:
    """The JSON of GX's ``ExpectationSuiteValidationResult`` for these counts, as its
    ``to_json_dict`` writes it, built without importing GX."""
    results = []
    over_threshold = []
    for r in rules:
        unexpected = counts.get(r.index, 0)
        if r.fail_sql:
            applies = denominators[r.index]
            # As GX: no value the rule applies to (all null) -> no percentage at all.
            percent = 100.0 * unexpected / applies if applies else None
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
            {
                "success": success,
                "expectation_config": r.expectation.configuration.to_json_dict(),
                "result": result,
                "meta": {},
                "exception_info": {
                    "raised_exception": False,
                    "exception_traceback": None,
                    "exception_message": None,
                },
            }
        )
    evaluated = len(results)
    successful = sum(1 for x in results if x["success"])
    suite_result = {
        "success": successful == evaluated,
        "results": results,
        "suite_name": suite.name,
        "suite_parameters": {},
        "statistics": {
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": 100.0 * successful / evaluated if evaluated else 100.0,
        },
        "meta": {},
        "id": None,
    }
    return suite_result, over_threshold


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


def coverage(
    con, cov: Coverage, relation: str, only_periods: Collection[str] | None = None
) -> dict:
    """đủ: the (unit, period) pairs that reported, against every unit of the province in force
    in each period the data covers — or, with ``only_periods``, in those periods only (a
    check of one file judges the periods the file is for, not a late row's month).

    The units of a period are those of the list its rows were checked against: the staging
    model's ``<unit>_reference_date`` (the row's own date, or the newest list's first day when
    the project checks every row against today's list), and a unit counts as reported by
    ``<unit>_in_force`` (the unit the row names in that list, not the ward it became) when
    the model has these columns; otherwise today's list and ``unit_column``."""
    columns = {d[0] for d in con.execute(f"select * from {relation} limit 0").description}
    in_force = f"{cov.unit_column}_in_force"
    unit = _q(in_force if in_force in columns else cov.unit_column)
    period = _q(cov.period_column) if cov.period_column else "'*'"
    reported = con.execute(
        f"select distinct {unit}, {period} from {relation} "
        f"where {unit} is not null and {period} is not null"
    ).fetchall()
    periods = sorted({p for _, p in reported})
    if only_periods is not None and cov.period_column:
        periods = sorted(set(only_periods))
    newest = first_row(con, "select max(valid_from) from raw.ref_ward_units")[0]
    checked_on: dict[str, date] = {}
    reference_date = f"{cov.unit_column}_reference_date"
    if reference_date in columns:
        checked_on = dict(
            con.execute(
                f"select {period}, min({_q(reference_date)}) from {relation} "
                f"where {period} is not null and {_q(reference_date)} is not null group by 1"
            ).fetchall()
        )
    by_row_date = any(d != newest for d in checked_on.values())
    # A period no row is for (a check of a file for that period) takes the list in force on
    # its first day when rows are checked at their own dates, else the newest.
    dates = {
        p: checked_on.get(p) or (_period_start(p) if by_row_date else None) or newest
        for p in periods
    }
    units_at: dict[date, list[str]] = {}
    for on in set(dates.values()):
        units_at[on] = [
            u
            for (u,) in con.execute(
                "select unit_code from raw.ref_ward_units where province_code = ? "
                "and (valid_from is null or valid_from <= ?) and (valid_to is null or ? < valid_to) "
                "order by 1",
                [cov.province_code, on, on],
            ).fetchall()
        ]
    have = {(u, p) for u, p in reported}
    missing = [
        {"unit": u, "period": p, "list_in_force_on": dates[p].isoformat()}
        for p in periods
        for u in units_at[dates[p]]
        if (u, p) not in have
    ]
    expected = sum(len(units_at[dates[p]]) for p in periods)
    return {
        "expected": expected,
        "reported": expected - len(missing),
        "share": round((expected - len(missing)) / expected, 4) if expected else 0.0,
        "missing": missing[:200],
        "missing_count": len(missing),
        "lists_in_force_on": sorted({d.isoformat() for d in dates.values()}),
    }


def _period_start(period: str) -> date | None:
    """The first day of a "YYYY-MM" or "YYYY" period; None for anything else."""
    try:
        if len(period) == 7:
            return date(int(period[:4]), int(period[5:]), 1)
        if len(period) == 4:
            return date(int(period), 1, 1)
    except ValueError:
        return None
    return None


def _coverage_problem(dataset: str, cov: Coverage, found: dict) -> Problem:
    sample = ", ".join(f"{m['unit']} ({m['period']})" for m in found["missing"][:10])
    more = " …" if found["missing_count"] > 10 else ""
    lists = ", ".join(found.get("lists_in_force_on", []))
    return Problem(
        dataset,
        None,
        cov.unit_column,
        f"{found['reported']} / {found['expected']}",
        "coverage",
        f"Chưa đủ đơn vị báo cáo: {found['reported']}/{found['expected']} (phường/xã × kỳ, theo danh mục "
        f"có hiệu lực ngày {lists}), yêu cầu {cov.min_share:.0%}. Còn thiếu: {sample}{more}.",
        f"Not every unit has reported: {found['reported']}/{found['expected']} (ward × period, by the list "
        f"in force on {lists}), {cov.min_share:.0%} required. Missing: {sample}{more}.",
    )


def _candidate_missing(dataset: str, schema: str, model: str) -> Problem:
    return Problem(
        dataset,
        None,
        None,
        None,
        "candidate_missing",
        f"Chưa có dữ liệu ứng viên ({schema}.{model}); chưa nhận được tệp nào.",
        f"No candidate data ({schema}.{model}); no file has been received yet.",
    )


def _over_threshold(dataset: str, rule: Rule, evaluation: Evaluation) -> Problem:
    return Problem(
        dataset,
        None,
        rule.column,
        f"{evaluation.counts.get(rule.index, 0)} / {evaluation.denominators[rule.index]}",
        rule.rule_id,
        f"Quá nhiều dòng lỗi (ngưỡng {rule.mostly:.0%} dòng hợp lệ): {rule.message_vi}",
        f"Too many failing rows (threshold {rule.mostly:.0%} valid): {rule.message_en}",
    )


def _count_rows(con, outcome: Outcome, evaluation: Evaluation) -> dict[int, list]:
    """Rows checked and failed, failures per rule; returns sample values per rule index."""
    dataset = outcome.dataset
    samples: dict[int, list] = dict(
        con.execute(
            "select cast(split_part(rule, '_', 1) as integer) as i, list(\"value\")[1:20] "
            "from quality.quarantine where dataset = ? and rule <> 'row_shape' group by 1",
            [dataset],
        ).fetchall()
    )
    ragged = first_row(con, "select count(*) from raw.load_rejects where dataset = ?", [dataset])[0]
    outcome.rows_checked = evaluation.element_count + ragged
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
    return samples


def _measure_freshness(con, contract: Contract, outcome: Outcome, as_of: date | None) -> None:
    if as_of is None or not contract.first_period:
        return
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


def _record_run(con, contract: Contract, outcome: Outcome) -> None:
    """One history point per (run, dataset): a re-run of the same run id replaces it."""
    con.execute(
        "delete from quality.validation_runs where run_id = ? and dataset = ?",
        [outcome.run_id, contract.id],
    ).fetchall()
    con.execute(
        "insert into quality.validation_runs (run_id, dataset, department, rows_checked, rows_failed,"
        " success, blocking_failures, result_json, scores_json, freshness_json)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.run_id,
            contract.id,
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


def _judge(
    con,
    contract: Contract,
    suite,
    relation: str,
    outcome: Outcome,
    as_of: date | None,
    coverage_periods: Collection[str] | None,
) -> Evaluation:
    """Everything validate measures and writes, inside its transaction."""
    rules = compile_suite(suite)
    evaluation = _evaluate(con, contract, rules, relation, outcome.run_id, suite.meta.get("key"))
    samples = _count_rows(con, outcome, evaluation)
    outcome.result, over_threshold = _gx_result(
        suite,
        rules,
        evaluation.element_count,
        evaluation.counts,
        evaluation.denominators,
        samples,
    )
    outcome.blocking.extend(evaluation.table_problems)
    outcome.blocking.extend(_over_threshold(contract.id, r, evaluation) for r in over_threshold)
    _measure_freshness(con, contract, outcome, as_of)
    outcome.blocking.extend(control_totals(con, contract))
    if contract.coverage:
        outcome.coverage = coverage(con, contract.coverage, relation, coverage_periods)
        if outcome.coverage["share"] < contract.coverage.min_share:
            outcome.blocking.append(
                _coverage_problem(contract.id, contract.coverage, outcome.coverage)
            )
    outcome.scores = _scores(
        con,
        contract.id,
        outcome.rows_checked,
        outcome.rows_failed,
        outcome.freshness["score"] if outcome.freshness else None,
        any(r.criterion == "song" and r.fail_sql for r in rules),
    )
    _record_run(con, contract, outcome)
    return evaluation


@retry_on_conflict  # on the lake, a step that lost a commit conflict runs again
def validate(
    dataset: str,
    run_id: str,
    cfg: Settings | None = None,
    as_of: date | None = None,
    coverage_periods: Collection[str] | None = None,
    con=None,
) -> Outcome:
    """Validate the dataset's candidate model and rewrite its quarantine. With ``as_of`` (the
    run's logical date) the feed's freshness (sống) is measured too; ``coverage_periods``
    limits coverage (đủ) to those periods. ``con``: an open warehouse connection to use
    (a run validating every dataset opens the file once, not once per dataset).

    Idempotent: the quarantine of the dataset and the run's history row are replaced in one
    transaction, so a re-run of the same run id gives the same result (and a failure half-way
    leaves the previous result whole)."""
    from ddss.quality.reference_snapshot import export_reference

    cfg = cfg or load_settings()
    contract = load_contracts(cfg)[dataset]
    suite = load_suite(dataset, cfg)
    schema, model = candidate_relation(suite, contract)
    relation = f"{_q(schema)}.{_q(model)}"
    outcome = Outcome(dataset=dataset, run_id=run_id)
    with ExitStack() as stack:
        if con is None:
            con = stack.enter_context(connect(cfg))
        if not table_exists(con, schema, model):
            outcome.blocking.append(_candidate_missing(dataset, schema, model))
            return outcome
        con.execute("begin transaction").fetchall()
        try:
            evaluation = _judge(con, contract, suite, relation, outcome, as_of, coverage_periods)
            con.execute("commit").fetchall()
        except BaseException:
            con.execute("rollback").fetchall()
            raise
        if isinstance(contract, SourceContract):
            export_reference(con, contract, cfg)
    log.info(
        "validated %s: %d rows, %d quarantined, %d blocking",
        dataset,
        evaluation.element_count,
        outcome.rows_failed,
        len(outcome.blocking),
    )
    return outcome
