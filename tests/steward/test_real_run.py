"""The workspace on what a real pipeline run writes (the ``published`` fixture, slow): the
report CSVs (whatever their headers say, as long as they keep the codes), quality.json and
the raw manifest."""

import re

import pytest
from fastapi.testclient import TestClient

from ddss.steward import pipeline_files as files

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(published, tmp_path, monkeypatch):
    from ddss.steward.app import create_app

    # The published workspace is shared and read-only: the workspace's own files go here.
    monkeypatch.setenv("DDSS_STEWARD_DIR", str(tmp_path / "steward"))
    monkeypatch.setenv("DDSS_STEWARD_AS_OF", "2022-08-11")
    app = create_app(published)
    for department in files.departments(published):
        app.state.ws.accounts.add(department.replace("_", "."), department, PASSWORD)
    return app


def _sign_in(app, username):
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 200
    return client, response.text


def test_open_rows_match_what_the_pipeline_quarantined(app, published):
    quality = files.quality(published)["datasets"]
    checked = 0
    for department in files.departments(published):
        client, page = _sign_in(app, department.replace("_", "."))
        for contract in files.department_contracts(published, department):
            if contract.id not in quality:
                continue
            section = page[page.index(f'id="dataset-{contract.id}"') :]
            shown = re.search(r'class="open-rows">\s*<strong>(\d+)</strong>', section).group(1)
            assert int(shown) == quality[contract.id]["rows_quarantined"], contract.id
            assert f"{quality[contract.id]['scores']['overall']}" in section
            checked += 1
        rows = client.get("/quarantine").text.count('class="qrow"')
        assert rows == len(files.quarantined_rows(published, department))
    assert checked >= 10


def test_the_parking_feed_that_stopped_shows_as_late(app):
    _, page = _sign_in(app, "hanoi.transport")
    section = page[page.index('id="dataset-cashless_parking_payments"') :]
    # June (due 10 July) and July (due 10 August) never arrived: June is 32 days late.
    assert "2022-06" in section and "trễ 32 ngày" in section and "2022-07" in section


def test_every_report_row_has_its_file_row_and_messages(published):
    for department in files.departments(published):
        for row in files.quarantined_rows(published, department):
            assert row["source_file"] and row["rule"] and row["criterion"] in files.CRITERIA
            assert row["message_vi"] and row["message_en"]
