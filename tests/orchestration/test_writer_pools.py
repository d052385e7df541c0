"""Which pool a department's writing tasks take: one slot for all on the DuckDB file, one
slot per department on the lake (issue 14: departments in parallel)."""

from __future__ import annotations

import pytest

from ddss.orchestration import dag_factory


@pytest.fixture(autouse=True)
def _file_mode(monkeypatch):
    monkeypatch.delenv("DDSS_LAKE_CATALOG", raising=False)
    monkeypatch.delenv("DDSS_MODE", raising=False)


def test_on_the_duckdb_file_every_department_shares_the_one_writer_slot():
    assert dag_factory.writer_pool("hanoi_tax") == dag_factory.writer_pool("hanoi_dict")
    assert dag_factory.writer_pool("hanoi_tax") == dag_factory.WRITER_POOL


@pytest.mark.parametrize(
    "variable, value", [("DDSS_LAKE_CATALOG", "postgresql://x@127.0.0.1/c"), ("DDSS_MODE", "lake")]
)
def test_on_the_lake_each_department_has_a_pool_of_its_own(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    pools = {d: dag_factory.writer_pool(d) for d in ("hanoi_tax", "hanoi_dict")}
    assert len(set(pools.values())) == 2
    assert dag_factory.WRITER_POOL not in pools.values()
    extract, transform = dag_factory.department_dags("hanoi_tax", ["taxpayer_e_services"], "x")
    # the writers take the department's pool; Data Docs (no writing) the default one
    assert {t.pool for t in transform.tasks} - {"default_pool"} == {pools["hanoi_tax"]}


@pytest.mark.parametrize("lake", [False, True])
def test_airflow_init_creates_the_pools_every_dag_takes(monkeypatch, lake):
    """``airflow_env.init`` imports these pools in one `airflow pools import`: each writing
    task's pool is among them, with one slot."""
    from ddss.data_contracts import load_departments
    from ddss.orchestration import airflow_env

    env = {"DDSS_MODE": "lake"} if lake else {}
    if lake:
        monkeypatch.setenv("DDSS_MODE", "lake")
    pools = airflow_env.pools(env)
    taken = {dag_factory.writer_pool(d) for d in load_departments()} | {dag_factory.WRITER_POOL}
    assert taken <= set(pools)
    assert {p["slots"] for p in pools.values()} == {1}
