"""Great Expectations' own SQL engine on DuckDB, made to work — the reference the gate is
checked against (tests) and measured against (bench).

As shipped, GX 1.24.1 + duckdb-engine 0.17 raise ``IndexError`` in
``resolve_metric_bundle`` for every expectation (GX issues 10738, 11579). The cause:
``SqlAlchemyExecutionEngine.execute_query`` returns the result *after* leaving the
``with self.get_connection()`` block, and duckdb-engine drops the rows not yet fetched when
the connection is released. Buffering the result inside the block (SQLAlchemy
``Result.freeze()``) fixes it. The patch is applied only inside ``patched_engine()``, for
exactly the pinned versions, so an upgrade makes the tests say so instead of silently
changing behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from unittest import mock

ResultFormat = Literal["BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"]

PINNED = {"great_expectations": "1.24.1", "duckdb_engine": "0.17.0"}


class UnpinnedVersion(RuntimeError):
    pass


def _check_versions() -> None:
    import duckdb_engine
    import great_expectations

    found = {
        "great_expectations": great_expectations.__version__,
        "duckdb_engine": duckdb_engine.__version__,
    }
    if found != PINNED:
        raise UnpinnedVersion(
            f"the DuckDB fix was verified for {PINNED}, found {found}: re-check it"
        )


@contextmanager
def patched_engine() -> Iterator[None]:
    from great_expectations.execution_engine import sqlalchemy_execution_engine as module

    _check_versions()
    engine_class = module.SqlAlchemyExecutionEngine

    def execute_query(self, query):
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            # Fetch everything while the connection is still ours.
            return result.freeze()()

    # patch.object restores the original even when validation raises; it is also how a
    # method is replaced on a class without mypy's method-assign complaint.
    with mock.patch.object(engine_class, "execute_query", execute_query):
        yield


def validate_with_gx(database: Path, table: str, suite, result_format: ResultFormat = "SUMMARY"):
    """Run ``suite`` with GX's SQL engine on ``main.<table>`` of the DuckDB file.

    The table must be in DuckDB's default schema: GX's column-type reflection fallback
    queries the bare table name and ignores ``schema_name`` on this dialect.
    """
    import great_expectations as gx

    if hasattr(suite, "to_gx"):  # the gate's own reading of a suite file (ddss.quality.gate)
        suite = suite.to_gx()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry leaves the machine
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="warehouse", connection_string=f"duckdb:///{database}"
    )
    asset = source.add_table_asset(name=table, table_name=table)
    try:
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        with patched_engine():
            return batch.validate(suite, result_format=result_format)
    finally:
        # Let go of the DuckDB file: the next step of this process may open it otherwise.
        source.get_engine().dispose()
