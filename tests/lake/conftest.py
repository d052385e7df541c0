"""Fixtures of the lake's tests: a PostgreSQL server for the session, a fresh catalog
database and data folder per test."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddss.lake.postgres import LocalPostgres
from ddss.settings import Settings
from postgres_server import database_name, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    yield from postgres_server()


def lake_settings(cfg: Settings, server: LocalPostgres, name: str) -> Settings:
    """``cfg`` on a lake of its own: catalog database ``name``, data under its workspace."""
    return dataclasses.replace(
        cfg,
        lake_catalog=server.create_database(name),
        lake_data_path=str(Path(cfg.warehouse_path).parent.parent / "lake") + "/",
        mode="lake",
    )


@pytest.fixture
def lake_catalog(postgres, request) -> str:
    """The DSN of an empty catalog database for this test."""
    return postgres.create_database(database_name(request.node.name))
