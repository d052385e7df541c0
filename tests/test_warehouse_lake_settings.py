"""Which warehouse the settings name: the DuckDB file by default, the lake when the
environment gives a catalog, and never the lake for a scratch workspace."""

from __future__ import annotations

from ddss.settings import load_settings, workspace_settings
from ddss.warehouse import attach_sql, environment


def test_the_file_is_the_default(monkeypatch):
    for name in ("DDSS_LAKE_CATALOG", "DDSS_LAKE_DATA_PATH", "DDSS_MODE"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_settings()
    assert not cfg.lake and cfg.mode == "file"
    assert set(environment(cfg)) == {"DDSS_WAREHOUSE"}


def test_a_catalog_switches_to_the_lake_but_not_a_scratch_workspace(monkeypatch, tmp_path):
    monkeypatch.setenv("DDSS_LAKE_CATALOG", "host=127.0.0.1 port=5432 dbname=ddss")
    monkeypatch.setenv("DDSS_LAKE_DATA_PATH", "s3://lake/ddss/")
    cfg = load_settings()
    assert cfg.lake
    assert attach_sql(cfg) == (
        "attach 'ducklake:postgres:host=127.0.0.1 port=5432 dbname=ddss' as lake "
        "(data_path 's3://lake/ddss/')"
    )
    assert environment(cfg)["DDSS_LAKE_DATA_PATH"] == "s3://lake/ddss/"
    scratch = workspace_settings(tmp_path)  # ddss check, a test, a benchmark
    assert not scratch.lake and scratch.warehouse_path.is_relative_to(tmp_path)


def test_quotes_in_the_catalog_string_stay_inside_the_literal(monkeypatch):
    monkeypatch.setenv("DDSS_LAKE_CATALOG", "dbname=x password='a''b'")
    monkeypatch.delenv("DDSS_LAKE_DATA_PATH", raising=False)
    assert attach_sql(load_settings(), read_only=True) == (
        "attach 'ducklake:postgres:dbname=x password=''a''''b''' as lake (read_only)"
    )
