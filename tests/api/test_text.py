"""The search fold: the same in Python (the query) and in DuckDB (the rows)."""

from __future__ import annotations

import unicodedata

import duckdb
import pyarrow.parquet as pq
import pytest

from ddss.api.text import fold, fold_sql

TRICKY = [
    "Hà Nội",
    "HÀ NỘI",
    unicodedata.normalize("NFD", "Phường Đống Đa"),  # tone marks as combining characters
    "Thủ đô\u00a0Hà\u200bNội",  # no-break and zero-width spaces
    "  Xã\tĐông\nAnh  ",
    "Ưng Ơn Ăn Âm Ên Ôn",
    "ĐĐđđ",
    "a\u241fb",  # the search separator never survives a fold
    "",
]


def _in_duckdb(values: list[str]) -> list[str]:
    con = duckdb.connect()
    con.execute("create table t (i integer, v varchar)")
    con.executemany("insert into t values (?, ?)", list(enumerate(values)))
    return [r[0] for r in con.execute(f"select {fold_sql('v')} from t order by i").fetchall()]


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Hà Nội", "ha noi"), ("HÀ  NỘI", "ha noi"), ("Đống Đa", "dong da"), ("Ưng", "ung")],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_python_and_duckdb_fold_alike():
    assert _in_duckdb(TRICKY) == [fold(t) for t in TRICKY]


def test_python_and_duckdb_fold_every_published_text_alike(published):
    values: set[str] = set()
    for parquet in (published.public_dir / "downloads").glob("*.parquet"):
        table = pq.read_table(parquet)
        for name, kind in zip(table.column_names, table.schema.types, strict=True):
            if str(kind) == "string":
                values |= {v for v in table.column(name).to_pylist() if v is not None}
    ordered = sorted(values)
    assert len(ordered) > 1000
    assert _in_duckdb(ordered) == [fold(v) for v in ordered]
