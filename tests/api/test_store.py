"""What the API will read: only published versions, only files their manifest lists, only
bytes that match the manifest's sha256, never through a link; and a DuckDB that cannot open
a file even if asked. Over small hand-made versions (fast)."""

from __future__ import annotations

import json
import os

import duckdb
import pytest
from fastapi.testclient import TestClient

from ddss.api.app import create_app
from ddss.api.store import Versions

from .conftest import PLACES, make_version

VERSION = "20260101T000000Z"


def _rows(client: TestClient, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_search_ignores_case_and_diacritics_and_folds_d(small_client):
    names = {
        q: {r["place_name"] for r in _rows(small_client, f"/api/v1/datasets/places/rows?_q={q}")}
        for q in ("ha noi", "HA NOI", "Hà Nội", "hà  nội", "dong da", "đống đa", "Đông")
    }
    assert names["ha noi"] == {"Thành phố Hà Nội", "Thủ đô HÀ NỘI"}
    assert names["HA NOI"] == names["Hà Nội"] == names["hà  nội"] == names["ha noi"]
    # đ is a letter of its own: "dong" finds Đống Đa, Đông Anh and Hà Đông alike.
    assert names["dong da"] == names["đống đa"] == {"Phường Đống Đa"}
    assert names["Đông"] == {"Phường Đống Đa", "Xã Đông Anh", "Phường Hà Đông"}
    # A phrase lies inside one column: p1's id and name side by side are not one text.
    assert _rows(small_client, "/api/v1/datasets/places/rows?_q=p1 thanh") == []
    assert len(_rows(small_client, "/api/v1/datasets/places/rows?_q=p1")) == 1


def test_json_has_no_nan_and_filters_read_numbers_and_dates(small_client):
    response = small_client.get("/api/v1/datasets/places/rows?_sort=place_id")
    assert "NaN" not in response.text and "Infinity" not in response.text
    assert [r["density"] for r in response.json()["rows"]] == [2.5, None, None, None, 0.25, -1.0]
    assert _rows(small_client, "/api/v1/datasets/places/rows?density=0.25")[0]["place_id"] == "p5"
    founded = _rows(small_client, "/api/v1/datasets/places/rows?founded=1010-07-01")
    assert [r["place_id"] for r in founded] == ["p6"] and founded[0]["founded"] == "1010-07-01"
    empty = _rows(small_client, "/api/v1/datasets/places/rows?population=&_sort=place_id")
    assert [r["place_id"] for r in empty] == ["p3"]


def test_a_file_that_does_not_match_its_checksum_is_refused(small_public, small_client):
    parquet = small_public / "versions" / VERSION / "downloads" / "places.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 1
    parquet.write_bytes(bytes(data))
    response = small_client.get("/api/v1/datasets/places/rows")
    assert response.status_code == 503
    error = response.json()["error"]
    assert "sha256" in error["message_vi"] and "sha256" in error["message_en"]
    assert error["message"].index(error["message_vi"]) < error["message"].index(error["message_en"])


def test_a_download_replaced_by_a_link_out_of_the_version_is_refused(small_public, tmp_path):
    outside = tmp_path / "outside.parquet"
    parquet = small_public / "versions" / VERSION / "downloads" / "places.parquet"
    outside.write_bytes(parquet.read_bytes())  # same bytes: the checksum alone would pass
    parquet.unlink()
    os.symlink(outside, parquet)
    response = TestClient(create_app(small_public)).get("/api/v1/datasets/places/rows")
    assert response.status_code == 503
    assert "link" in response.json()["error"]["message_en"]


def test_only_datasets_the_manifest_lists_exist(small_public, small_client):
    downloads = small_public / "versions" / VERSION / "downloads"
    (downloads / "extra.parquet").write_bytes((downloads / "places.parquet").read_bytes())
    listed = small_client.get("/api/v1/datasets").json()
    assert [d["id"] for d in listed["datasets"]] == ["places"]
    assert small_client.get("/api/v1/datasets/extra/rows").status_code == 404


def test_a_version_that_never_became_current_is_not_served(small_public):
    ghost = "20260102T000000Z"
    make_version(small_public, ghost, {"places": PLACES})
    # The publisher's record and `current` say which versions were published: undo both.
    (small_public / "versions" / "published.json").write_text(
        json.dumps({"versions": [VERSION]}), "utf-8"
    )
    (small_public / "current").unlink()
    os.symlink(f"versions/{VERSION}", small_public / "current")
    client = TestClient(create_app(small_public))
    assert client.get(f"/api/v1/versions/{ghost}/datasets").status_code == 404
    assert [v["version"] for v in client.get("/api/v1/versions").json()["versions"]] == [VERSION]


def test_the_database_cannot_read_or_write_files(small_public, tmp_path):
    version = Versions(small_public).get()
    version.dataset("places")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n", "utf-8")
    cursor = version.cursor()
    for statement in (
        f"select * from read_csv('{secret}')",
        f"select * from '{secret}'",
        f"copy places to '{tmp_path / 'out.csv'}'",
        f"attach '{tmp_path / 'other.duckdb'}'",
        "set enable_external_access = true",
        "set python_enable_replacements = true",
    ):
        with pytest.raises(duckdb.Error):
            cursor.execute(statement)
    assert not (tmp_path / "out.csv").exists()
    assert cursor.execute("select count(*) from places").fetchone() == (len(PLACES),)


def test_no_version_yet_is_a_clear_404(tmp_path):
    client = TestClient(create_app(tmp_path / "public"))
    response = client.get("/api/v1/datasets")
    assert response.status_code == 404
    assert response.json()["error"]["message_en"] == "No version has been published yet."
    assert client.get("/api/v1/versions").json() == {"current": None, "versions": []}
