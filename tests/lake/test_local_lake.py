"""``DDSS_MODE=lake`` (``make demo-lake``): a PostgreSQL under ``data/lake/`` started once and
found again, the lake's files beside it."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ddss.lake import ensure_local_lake, local_server
from ddss.settings import workspace_settings
from ddss.warehouse import connect, snapshot_id
from postgres_server import require_postgres


@pytest.mark.slow  # initdb and a server of its own: tens of seconds on a busy machine
def test_lake_mode_starts_a_local_catalog_once_and_finds_it_again(monkeypatch):
    require_postgres()
    # Not pytest's tmp_path: PostgreSQL runs as its own user when we are root, and must
    # reach its folder.
    root = Path(tempfile.mkdtemp(prefix="ddss-local-lake-"))
    root.chmod(0o755)
    for name in ("DDSS_LAKE_CATALOG", "DDSS_LAKE_DATA_PATH"):
        monkeypatch.setenv(name, "")  # and restored after ensure_local_lake sets it
    cfg = dataclasses.replace(workspace_settings(root), mode="lake", lake_catalog=None)
    try:
        first = ensure_local_lake(cfg)
        assert first.lake and first.lake_data_path == str(root / "data" / "lake" / "data") + "/"
        assert os.environ["DDSS_LAKE_CATALOG"] == first.lake_catalog  # for dbt and children
        with connect(first) as con:
            con.execute("insert into meta.control_totals (dataset, row_count) values ('d', 7)")
        again = ensure_local_lake(cfg)
        assert again.lake_catalog == first.lake_catalog  # the running server, found again
        with connect(again, read_only=True) as con:
            assert con.execute("select row_count from meta.control_totals").fetchall() == [(7,)]
            assert snapshot_id(con) is not None
        emptied = ensure_local_lake(cfg, fresh=True)  # ddss demo starts from an empty lake
        with connect(emptied) as con:
            assert con.execute("select count(*) from meta.control_totals").fetchall() == [(0,)]
        file_mode = dataclasses.replace(cfg, mode="file")
        assert ensure_local_lake(file_mode) is file_mode
    finally:
        local_server(cfg).stop()
        shutil.rmtree(root, ignore_errors=True)
