"""The query API over a version the pipeline really published (the demo feeds, scale 1):
every answer is checked against the version's own Parquet file read with pyarrow."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from conftest import copy_workspace
from ddss.api.app import create_app
from ddss.publish.publisher import current_version_of, publish

DOSSIERS = "/api/v1/datasets/admin_procedure_dossiers"
LAND = "/api/v1/datasets/land_registration_payments"


def _parquet(cfg, dataset: str) -> list[dict]:
    version = cfg.public_dir / "versions" / current_version_of(cfg.public_dir)
    return pq.read_table(version / "downloads" / f"{dataset}.parquet").to_pylist()


def _get(client: TestClient, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def _walk(client: TestClient, url: str) -> tuple[list[dict], int]:
    """Every row of a query, following next_cursor; and how many pages it took."""
    rows, pages = [], 0
    while url:
        page = _get(client, url)
        rows += page["rows"]
        pages += 1
        url = page["next"]
    return rows, pages


def test_the_list_names_the_current_version_and_every_published_dataset(client, published):
    listing = _get(client, "/api/v1/datasets")
    assert listing["version"] == current_version_of(published.public_dir)
    assert listing["current"] is True
    on_disk = sorted(p.stem for p in (published.public_dir / "downloads").glob("*.parquet"))
    assert [d["id"] for d in listing["datasets"]] == on_disk
    dossiers = next(d for d in listing["datasets"] if d["id"] == "admin_procedure_dossiers")
    assert dossiers["rows"] == len(_parquet(published, "admin_procedure_dossiers"))
    assert dossiers["links"]["rows"] == f"{DOSSIERS}/rows"


def test_metadata_has_the_columns_with_their_types_and_the_downloads(client, published):
    meta = _get(client, DOSSIERS)
    columns = {c["name"]: c for c in meta["columns"]}
    assert list(columns) == list(_parquet(published, "admin_procedure_dossiers")[0])
    assert columns["received_date"]["filter"] == "date"
    assert columns["service_level"]["filter"] == "integer"
    assert columns["channel"]["constraints"]["enum"] == ["direct", "online", "postal"]
    assert meta["primary_key"] == ["dossier_id"]
    assert {d["url"].rsplit(".", 1)[1] for d in meta["downloads"]} == {"csv", "json", "parquet"}


def test_filters_are_typed_and_repeat_for_any_of(client, published):
    rows = _parquet(published, "admin_procedure_dossiers")
    online_level_4 = _get(client, f"{DOSSIERS}/rows?channel=online&service_level=4&_count=true")
    expected = [r for r in rows if r["channel"] == "online" and r["service_level"] == 4]
    assert online_level_4["total"] == len(expected) > 0
    assert all(r["channel"] == "online" for r in online_level_4["rows"])

    day = rows[0]["received_date"]
    by_day = _get(client, f"{DOSSIERS}/rows?received_date={day.isoformat()}&_count=true")
    assert by_day["total"] == sum(r["received_date"] == day for r in rows)

    either = _get(client, f"{DOSSIERS}/rows?channel=postal&channel=direct&_count=true")
    assert either["total"] == sum(r["channel"] in ("postal", "direct") for r in rows)

    unresolved = _get(client, f"{DOSSIERS}/rows?resolved_date=&_count=true")
    assert unresolved["total"] == sum(r["resolved_date"] is None for r in rows) > 0
    assert all(r["resolved_date"] is None for r in unresolved["rows"])


def test_sort_both_ways_with_empty_cells_last(client):
    newest = _get(client, f"{DOSSIERS}/rows?_sort=-received_date&_size=500")["rows"]
    days = [r["received_date"] for r in newest]
    assert days == sorted(days, reverse=True)
    last = _walk(client, f"{DOSSIERS}/rows?_sort=resolved_date&_size=5000&_columns=resolved_date")
    resolved = [r["resolved_date"] for r in last[0]]
    filled = [d for d in resolved if d is not None]
    assert resolved == filled + [None] * (len(resolved) - len(filled)) and filled == sorted(filled)


@pytest.mark.parametrize(
    "query",
    [
        "_sort=-received_date",  # many ties: the row key breaks them
        "_sort=resolved_date,-service_code",  # empty cells in the first sort key
        "channel=online&_sort=commune_code",
        "",
    ],
)
def test_walking_every_page_gives_every_row_exactly_once(client, published, query):
    rows = _parquet(published, "admin_procedure_dossiers")
    wanted = [
        r["dossier_id"] for r in rows if "channel=online" not in query or r["channel"] == "online"
    ]
    walked, pages = _walk(client, f"{DOSSIERS}/rows?{query}&_size=997&_columns=dossier_id")
    ids = [r["dossier_id"] for r in walked]
    assert pages > 5
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(wanted)


def test_a_cursor_only_goes_with_its_own_query(client):
    first = _get(client, f"{DOSSIERS}/rows?channel=online&_size=10")
    other = client.get(f"{DOSSIERS}/rows?channel=postal&_size=10&_cursor={first['next_cursor']}")
    assert other.status_code == 400
    assert other.json()["error"]["parameter"] == "_cursor"
    forged = client.get(f"{DOSSIERS}/rows?_cursor=bm90LWEtY3Vyc29y")
    assert forged.status_code == 400 and "next_cursor" in forged.json()["error"]["message_en"]


def test_columns_are_chosen_and_unknown_ones_refused(client):
    page = _get(client, f"{DOSSIERS}/rows?_columns=channel,dossier_id&_size=3")
    assert page["columns"] == ["channel", "dossier_id"]
    assert all(list(r) == ["channel", "dossier_id"] for r in page["rows"])
    refused = client.get(f"{DOSSIERS}/rows?_columns=channel,applicant_name")
    assert refused.status_code == 400
    assert "applicant_name" in refused.json()["error"]["message_vi"]


def test_csv_is_the_same_page_as_json_with_a_next_link(client):
    url = f"{DOSSIERS}/rows?channel=postal&_sort=-received_date&_size=50"
    as_json = _get(client, url)
    response = client.get(url + "&_format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table) == 50
    assert [r["dossier_id"] for r in table] == [r["dossier_id"] for r in as_json["rows"]]
    assert table[0]["received_date"] == as_json["rows"][0]["received_date"]
    assert response.headers["X-Next-Cursor"] == as_json["next_cursor"]
    assert 'rel="next"' in response.headers["Link"]


def test_search_ignores_diacritics_case_and_d(client, published):
    rows = _parquet(published, "land_registration_payments")

    def found(q: str) -> list[str]:
        walked, _ = _walk(client, f"{LAND}/rows?_q={quote(q)}&_size=1000&_columns=dossier_id")
        return sorted(r["dossier_id"] for r in walked)

    dong_da = sorted(r["dossier_id"] for r in rows if "Đống Đa" in (r["ward_name"] or ""))
    assert dong_da and found("đống đa") == found("dong da") == found("DONG DA") == dong_da
    noi_bai = sorted(r["dossier_id"] for r in rows if "Nội Bài" in (r["ward_name"] or ""))
    assert noi_bai and found("noi bai") == found("NỘI BÀI") == found("Noi  Bai") == noi_bai
    assert found("dong da noi bai") == []  # a phrase, not loose words


def test_errors_are_json_vietnamese_first_without_traceback(client):
    for url, status in [
        ("/api/v1/datasets/no_such_dataset", 404),
        ("/api/v1/datasets/no_such_dataset/rows", 404),
        ("/api/v1/versions/20990101T000000Z/datasets", 404),
        (f"{DOSSIERS}/rows?service_level=four", 400),
        (f"{DOSSIERS}/rows?colour=red", 400),
        (f"{DOSSIERS}/rows?_sort=-nothing", 400),
        (f"{DOSSIERS}/rows?_size=0", 400),
        (f"{DOSSIERS}/rows?_format=xml", 400),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        error = response.json()["error"]
        assert error["message"] == f"{error['message_vi']} / {error['message_en']}"
        assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/datasets/..%2F..%2Fmanifest/rows",
        "/api/v1/datasets/%2E%2E/rows",
        "/api/v1/datasets/..%2Fdownloads%2Fadmin_procedure_dossiers",
        "/api/v1/versions/..%2F..%2F..%2Fetc/datasets",
        "/api/v1/versions/%2E%2E/datasets/admin_procedure_dossiers/rows",
        "/api/v1/versions/current/datasets",
        "/api/v1/versions/..%2Fversions%2Fpublished.json/datasets",
    ],
)
def test_path_traversal_in_ids_finds_nothing(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "root:" not in response.text and "sha256" not in response.text


def test_openapi_lists_the_endpoints(client):
    spec = _get(client, "/api/v1/openapi.json")
    paths = set(spec["paths"])
    for base in ("/api/v1", "/api/v1/versions/{version_id}"):
        assert {
            f"{base}/datasets",
            f"{base}/datasets/{{dataset_id}}",
            f"{base}/datasets/{{dataset_id}}/rows",
        } <= paths
    assert "/api/v1/versions" in paths
    rows = spec["paths"]["/api/v1/datasets/{dataset_id}/rows"]["get"]
    assert {"_sort", "_size", "_cursor", "_columns", "_q", "_format"} <= {
        p["name"] for p in rows["parameters"]
    }
    help_page = client.get("/api/v1/")
    assert help_page.status_code == 200 and "openapi.json" in help_page.text
    assert help_page.text.index("Địa chỉ") < help_page.text.index("Endpoints")


def test_the_portal_is_served_beside_the_api(client, published):
    page = client.get("/")
    assert page.status_code == 200
    assert page.text == (published.public_dir / "index.html").read_text("utf-8")


@pytest.fixture(scope="module")
def two_versions(published, tmp_path_factory):
    """A copy of the published workspace with a second publication after the first."""
    cfg = copy_workspace(published, tmp_path_factory.mktemp("two_versions"))
    first = current_version_of(cfg.public_dir)
    client = TestClient(create_app(cfg.public_dir))
    page_one = _get(client, f"{DOSSIERS}/rows?_sort=-received_date&_size=10000")
    publish("run-2", cfg, now=datetime.now(UTC) + timedelta(seconds=5))
    yield cfg, client, first, page_one
    shutil.rmtree(cfg.public_dir.parent, ignore_errors=True)


def test_an_earlier_version_is_served_by_its_id(two_versions):
    cfg, client, first, _ = two_versions
    second = current_version_of(cfg.public_dir)
    assert second != first
    assert _get(client, "/api/v1/datasets")["version"] == second
    versions = _get(client, "/api/v1/versions")
    assert [v["version"] for v in versions["versions"]] == [second, first]
    old = _get(client, f"/api/v1/versions/{first}/datasets/admin_procedure_dossiers/rows?_size=5")
    assert old["version"] == first
    assert old["next"].startswith(f"/api/v1/versions/{first}/")
    meta = _get(client, f"/api/v1/versions/{first}/datasets/admin_procedure_dossiers")
    assert all(d["url"].startswith(f"/versions/{first}/") for d in meta["downloads"])


def test_a_walk_begun_before_a_publication_ends_on_its_own_version(two_versions):
    cfg, client, first, page_one = two_versions
    assert page_one["version"] == first
    rest, _ = _walk(client, page_one["next"])  # `current` moved meanwhile
    ids = [r["dossier_id"] for r in page_one["rows"] + rest]
    version = cfg.public_dir / "versions" / first / "downloads" / "admin_procedure_dossiers.parquet"
    assert sorted(ids) == sorted(pq.read_table(version).column("dossier_id").to_pylist())
    assert len(ids) == len(set(ids))
