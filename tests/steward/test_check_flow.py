# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""The steward's loop with the pipeline's real check engine (dbt and the suite run, so
these are slow): upload a file with errors, see each one, download them as CSV and as the
own workbook highlighted, upload the corrected file, submit it."""

import csv
import hashlib
import io
import json
import re
from collections import Counter

import pytest
from airflow_stub import AirflowStub
from steward_env import env  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
NAME = "ho_so_2022-07.csv"


def _upload(client, csrf, data: bytes):
    page = client.post(
        "/datasets/admin_procedure_dossiers/upload",
        data={"csrf_token": csrf, "period": ""},
        files={"file": (NAME, data, "text/csv")},
    )
    assert page.status_code == 200, page.text
    return page, str(page.url).rsplit("/", 1)[-1]


def _without_rows(data: bytes, rows: set[int]) -> bytes:
    lines = data.decode("utf-8").splitlines(keepends=True)
    return "".join(
        line for number, line in enumerate(lines, start=1) if number not in rows
    ).encode()


def _problem_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="problem[^"]*">\s*<td>([^<]*)</td>', page)


def test_upload_check_fix_and_submit(env, feeds, monkeypatch):
    from openpyxl import load_workbook

    bad = (feeds / "tuyen_quang_pasc" / NAME).read_bytes()
    client, csrf = env.sign_in("pasc")
    page, upload_id = _upload(client, csrf, bad)
    assert 'id="has-problems"' in page.text
    upload = json.loads(
        (
            env.app.state.ws.steward.uploads_dir / "tuyen_quang_pasc" / upload_id / "upload.json"
        ).read_text()
    )
    failures = upload["failures"]
    row_failures = [f for f in failures if f["source_row"]]
    assert row_failures, "the demo's July file has injected defects"
    # Every problem on the page: row, column, value, rule, criterion and message.
    assert len(_problem_rows(page.text)) == len(failures)
    for f in row_failures:
        assert f["rule"] in page.text and str(f["source_row"]) in _problem_rows(page.text)

    listed = client.get(f"/uploads/{upload_id}/problems.csv")
    rows = list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert len(rows) == len(failures) + 1 and rows[0][1] == "Dòng / Row"

    workbook = load_workbook(
        io.BytesIO(client.get(f"/uploads/{upload_id}/highlighted.xlsx").content)
    )
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    for f in row_failures:
        column = header.index(f["column"]) + 1 if f["column"] and f["column"] in header else 1
        cell = sheet.cell(row=int(f["source_row"]), column=column)
        assert cell.fill.fgColor.rgb.endswith("FFC7CE"), (f, cell.coordinate)
        assert f["message_vi"][:40] in cell.comment.text
        if f["column"] and f["column"] in header and f["value"] is not None:
            assert str(cell.value) == str(f["value"])
    # Codes keep their leading zeros (every cell is text).
    commune = header.index("Mã xã") + 1
    assert str(sheet.cell(row=2, column=commune).value).startswith("0")

    # The steward deletes the rows their own mistakes are on. (A rule failing on every row
    # is not one: in a workspace the pipeline never validated there is no service catalogue
    # to check codes against yet.)
    counts = Counter(f["rule"] for f in row_failures)
    mistakes = {
        int(f["source_row"]) for f in row_failures if counts[f["rule"]] < upload["rows"] / 2
    }
    assert mistakes
    corrected = _without_rows(bad, mistakes)
    page, fixed_id = _upload(client, csrf, corrected)
    assert len(_problem_rows(page.text)) < len(failures), page.text
    assert 'id="submit"' in page.text, page.text
    with AirflowStub("ops", "pw") as airflow:
        monkeypatch.setenv("DDSS_AIRFLOW_URL", airflow.url)
        monkeypatch.setenv("DDSS_AIRFLOW_USERNAME", "ops")
        monkeypatch.setenv("DDSS_AIRFLOW_PASSWORD", "pw")
        from ddss.steward.settings import load_steward_settings

        env.app.state.ws.steward = load_steward_settings(env.cfg)
        submitted = client.post(f"/uploads/{fixed_id}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 200 and 'id="receipt"' in submitted.text
    assert "tuyen_quang_pasc__extract" in submitted.text and "manual__steward-1" in submitted.text
    landed = env.cfg.landing_dir / "tuyen_quang_pasc" / NAME
    assert landed.read_bytes() == corrected
    receipt = json.loads(env.app.state.ws.steward.submissions_log.read_text().splitlines()[-1])
    assert receipt["sha256"] == hashlib.sha256(corrected).hexdigest()
    assert receipt["bytes"] == len(corrected) and receipt["submitted_by"] == "pasc"
    assert receipt["rows"] == corrected.count(b"\n") - 1
    # Submitted once: the same upload cannot be submitted again.
    assert client.post(f"/uploads/{fixed_id}/submit", data={"csrf_token": csrf}).status_code == 409
    dashboard = client.get("/dashboard").text
    assert f"{NAME} · {receipt['submitted_at']}" in dashboard


def test_a_file_with_its_control_totals_is_checked_and_landed_together(env, feeds):
    env.app.state.ws.accounts.add("monre", "hanoi_monre", "correct horse battery staple")
    client, csrf = env.sign_in("monre")
    folder = feeds / "hanoi_monre"
    data = (folder / "dang_ky_dat_dai_2022-07.csv").read_bytes()
    control = (folder / "dang_ky_dat_dai_2022-07.kiem_soat.json").read_bytes()

    def check(with_control: bool):
        files = {"file": ("dang_ky_dat_dai_2022-07.csv", data, "text/csv")}
        if with_control:
            files["control"] = ("tong-kiem-soat.json", control, "application/json")
        page = client.post(
            "/datasets/land_registration_payments/upload",
            data={"csrf_token": csrf, "period": ""},
            files=files,
        )
        return page, str(page.url).rsplit("/", 1)[-1]

    without, _ = check(False)
    assert "kiem_soat.json" in without.text and "cả tệp / whole file" in without.text
    page, upload_id = check(True)
    assert "cả tệp / whole file" not in page.text  # the totals add up
    assert client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf}).status_code == 200
    landed = env.cfg.landing_dir / "hanoi_monre"
    assert (landed / "dang_ky_dat_dai_2022-07.csv").read_bytes() == data
    assert (landed / "dang_ky_dat_dai_2022-07.kiem_soat.json").read_bytes() == control
