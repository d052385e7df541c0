"""A rows request — filters, sort, columns, search, page — read from the query string and
compiled to one parameterised SQL statement.

No query language of our own: each filter is ``<column>=<value>`` on a column the dataset
has, the value read with the column's type (repeat the parameter for "any of these");
column names reach SQL only after they are found among the dataset's columns (which match
the contracts' identifier rule), and every value is a bound parameter.

Pages are walked with keyset cursors: rows are ordered by the sort columns and then by the
row's position in the version's Parquet file (unique, and fixed because a version never
changes); a cursor names the version and the last row given, so the next page starts
strictly after it. Walking every page of a query gives every matching row exactly once,
even if a new version is published meanwhile (the walk stays on its version).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ddss.api.errors import ApiError, bad_parameter
from ddss.api.store import ROW_KEY, SEARCH, Dataset
from ddss.api.text import fold

DEFAULT_SIZE = 100
MAX_SIZE = 10_000
MAX_FILTER_VALUES = 100
RESERVED = {"_sort", "_size", "_cursor", "_columns", "_q", "_format", "_count"}
FORMATS = ("json", "csv")


@dataclass(frozen=True)
class Filter:
    column: str
    values: tuple[Any, ...]  # typed; None stands for an empty cell


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool


@dataclass
class RowQuery:
    dataset: str
    columns: list[str]
    filters: list[Filter] = field(default_factory=list)
    sort: list[Sort] = field(default_factory=list)
    search: str = ""
    size: int = DEFAULT_SIZE
    after_row: int | None = None  # the cursor's last row
    cursor_version: str | None = None
    format: str = "json"
    count: bool = False

    def fingerprint(self) -> str:
        """What a cursor must be used with: the same filters, sort and search."""
        shape = {
            "d": self.dataset,
            "f": [[f.column, [str(v) for v in f.values]] for f in self.filters],
            "s": [[s.column, s.descending] for s in self.sort],
            "q": self.search,
        }
        text = json.dumps(shape, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse(dataset: Dataset, params: list[tuple[str, str]]) -> RowQuery:
    """Read the query string (a list of (name, value), repeats kept) against the dataset."""
    single: dict[str, str] = {}
    by_column: dict[str, list[str]] = {}
    for name, value in params:
        if name.startswith("_"):
            if name not in RESERVED:
                raise _unknown_parameter(name, value)
            if name in single:
                raise bad_parameter(name, value, "chỉ được cho một lần.", "give it once.")
            single[name] = value
        elif name in dataset.columns:
            by_column.setdefault(name, []).append(value)
        else:
            raise _unknown_parameter(name, value)
    query = RowQuery(dataset=dataset.id, columns=list(dataset.columns))
    query.filters = [_filter(dataset, name, values) for name, values in by_column.items()]
    query.sort = _sort(dataset, single.get("_sort", ""))
    query.columns = _columns(dataset, single.get("_columns", ""))
    query.search = fold(single.get("_q", ""))
    query.size = _size(single.get("_size"))
    query.format = _format(single.get("_format", "json"))
    query.count = _flag("_count", single.get("_count", "false"))
    if single.get("_cursor"):
        query.cursor_version, query.after_row = decode_cursor(single["_cursor"], query)
    return query


def _unknown_parameter(name: str, value: str) -> ApiError:
    return ApiError(
        400,
        f"Tham số '{name[:100]}' không phải là cột của bộ dữ liệu cũng không phải tham số của "
        f"API ({', '.join(sorted(RESERVED))}).",
        f"Parameter '{name[:100]}' is neither a column of the dataset nor an API parameter "
        f"({', '.join(sorted(RESERVED))}).",
        parameter=name[:100],
        value=value[:200],
    )


def _filter(dataset: Dataset, column: str, values: list[str]) -> Filter:
    if len(values) > MAX_FILTER_VALUES:
        raise bad_parameter(
            column,
            values[0],
            f"tối đa {MAX_FILTER_VALUES} giá trị cho một cột.",
            f"at most {MAX_FILTER_VALUES} values for one column.",
        )
    kind = dataset.columns[column]
    return Filter(column, tuple(_typed(column, kind, v) for v in values))


def _typed(column: str, kind: str, value: str) -> Any:
    """The value read as the column's type; an empty value stands for an empty cell."""
    if value == "":
        return None
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
            return number
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "boolean":
            return {"true": True, "false": False}[value.lower()]
        if kind == "string":
            return value
    except (ValueError, InvalidOperation, KeyError):
        pass
    expected = {
        "integer": ("một số nguyên, ví dụ 42", "a whole number, e.g. 42"),
        "number": (
            "một số, dấu chấm thập phân, ví dụ 12.5",
            "a number with a decimal point, e.g. 12.5",
        ),
        "date": (
            "một ngày dạng YYYY-MM-DD, ví dụ 2022-07-31",
            "a date as YYYY-MM-DD, e.g. 2022-07-31",
        ),
        "boolean": ("true hoặc false", "true or false"),
    }.get(kind, ("(cột này không lọc được)", "(this column cannot be filtered)"))
    raise bad_parameter(column, value[:200], f"cần {expected[0]}.", f"expected {expected[1]}.")


def _sort(dataset: Dataset, value: str) -> list[Sort]:
    sort: list[Sort] = []
    for item in (part.strip() for part in value.split(",") if part.strip()):
        column = item[1:] if item.startswith("-") else item
        if column not in dataset.columns:
            raise bad_parameter(
                "_sort",
                value[:200],
                f"'{column[:100]}' không phải là cột của bộ dữ liệu; viết <cột> (tăng dần) "
                "hoặc -<cột> (giảm dần).",
                f"'{column[:100]}' is not a column of the dataset; write <column> (ascending) "
                "or -<column> (descending).",
            )
        if any(s.column == column for s in sort):
            raise bad_parameter("_sort", value[:200], "cột bị lặp lại.", "a column is repeated.")
        sort.append(Sort(column, item.startswith("-")))
    return sort


def _columns(dataset: Dataset, value: str) -> list[str]:
    if not value.strip():
        return list(dataset.columns)
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in dataset.columns]
    if unknown:
        raise bad_parameter(
            "_columns",
            value[:200],
            f"không có cột {', '.join(u[:100] for u in unknown)}; các cột: "
            f"{', '.join(dataset.columns)}.",
            f"no column {', '.join(u[:100] for u in unknown)}; the columns are "
            f"{', '.join(dataset.columns)}.",
        )
    return list(dict.fromkeys(chosen))


def _size(value: str | None) -> int:
    if value is None:
        return DEFAULT_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_SIZE:
        raise bad_parameter(
            "_size",
            value[:200],
            f"cần một số nguyên từ 1 đến {MAX_SIZE}.",
            f"expected a whole number from 1 to {MAX_SIZE}.",
        )
    return int(value)


def _format(value: str) -> str:
    if value not in FORMATS:
        raise bad_parameter("_format", value[:200], "chọn json hoặc csv.", "choose json or csv.")
    return value


def _flag(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false", "1", "0"):
        raise bad_parameter(name, value[:200], "chọn true hoặc false.", "choose true or false.")
    return value.lower() in ("true", "1")


def encode_cursor(version: str, query: RowQuery, last_row: int) -> str:
    payload = json.dumps({"v": version, "h": query.fingerprint(), "r": last_row})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str, query: RowQuery) -> tuple[str, int]:
    """The version and last row a cursor names; 400 if it is not one of ours or was made for
    other filters, sort or search."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        version, fingerprint, row = payload["v"], payload["h"], payload["r"]
        if not (isinstance(version, str) and isinstance(row, int) and row >= 0):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as exc:
        raise bad_parameter(
            "_cursor",
            token[:200],
            "không phải là con trỏ trang do API này trả về (dùng đúng giá trị next_cursor).",
            "not a page cursor this API returned (use the next_cursor value as given).",
        ) from exc
    if fingerprint != query.fingerprint():
        raise bad_parameter(
            "_cursor",
            token[:200],
            "con trỏ thuộc về một truy vấn khác: giữ nguyên bộ lọc, _sort và _q khi lật trang.",
            "the cursor belongs to another query: keep the filters, _sort and _q when paging.",
        )
    return version, row


@dataclass
class Compiled:
    sql: str
    parameters: list[Any]


def where_clause(query: RowQuery) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    parameters: list[Any] = []
    for item in query.filters:
        present = [v for v in item.values if v is not None]
        parts = []
        if present:
            parts.append(f'"{item.column}" in ({", ".join("?" for _ in present)})')
            parameters.extend(present)
        if len(present) < len(item.values):
            parts.append(f'"{item.column}" is null')
        conditions.append("(" + " or ".join(parts) + ")")
    if query.search:
        conditions.append(f"contains({SEARCH}, ?)")
        parameters.append(query.search)
    return " and ".join(conditions) or "true", parameters


def after_clause(query: RowQuery, last: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """Rows strictly after ``last`` (the sort columns' values, then the row key) in the
    order ``order_by`` gives: empty cells last in either direction."""
    keys = [(s.column, s.descending) for s in query.sort] + [(ROW_KEY, False)]
    alternatives: list[str] = []
    parameters: list[Any] = []
    for position, (column, descending) in enumerate(keys):
        value = last[position]
        if value is None:  # only other empty cells tie with it, and they come at later keys
            continue
        conditions = []
        for (previous, _), previous_value in zip(keys[:position], last[:position], strict=True):
            if previous_value is None:
                conditions.append(f'"{previous}" is null')
            else:
                conditions.append(f'"{previous}" = ?')
                parameters.append(previous_value)
        conditions.append(f'("{column}" {"<" if descending else ">"} ? or "{column}" is null)')
        parameters.append(value)
        alternatives.append("(" + " and ".join(conditions) + ")")
    return "(" + (" or ".join(alternatives) or "false") + ")", parameters


def order_by(query: RowQuery) -> str:
    keys = [f'"{s.column}" {"desc" if s.descending else "asc"} nulls last' for s in query.sort]
    return ", ".join([*keys, f"{ROW_KEY} asc"])


def page_sql(query: RowQuery, last: tuple[Any, ...] | None) -> Compiled:
    """The row keys of the page, one more than asked (is there a next page?)."""
    where, parameters = where_clause(query)
    if last is not None:
        after, after_parameters = after_clause(query, last)
        where = f"{where} and {after}"
        parameters = parameters + after_parameters
    sql = (
        f'select {ROW_KEY} from "{query.dataset}" where {where} '
        f"order by {order_by(query)} limit {query.size + 1}"
    )
    return Compiled(sql, parameters)


def count_sql(query: RowQuery) -> Compiled:
    where, parameters = where_clause(query)
    return Compiled(f'select count(*) from "{query.dataset}" where {where}', parameters)
