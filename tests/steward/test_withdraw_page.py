# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""Rút lại tệp / withdrawing a submitted file from the workspace, with the pipeline's own
``ddss withdraw`` code on a real warehouse: a confirmation page first, CSRF on the form,
only the steward's own department, the raw copy and the audit trail kept."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from steward_env import DOSSIER_ROW, PASSWORD, dossiers_csv, env  # noqa: F401 - fixture

from ddss.data_contracts import source_contract
from ddss.orchestration.pipeline import extract_step
from ddss.steward.file_events import export

pytestmark = pytest.mark.slow
NAME = "ho_so_2022-07.csv"
ROW = DOSSIER_ROW


@pytest.fixture
def loaded(env):
    """A file the PASC steward submitted through the workspace, then loaded by the
    pipeline's extract step; the file events copied for the workspace as after a run."""
    client, csrf = env.sign_in("pasc")
    data = dossiers_csv([ROW, ["HS-0002", *ROW[1:]], ["HS-0003", *ROW[1:]]])
    page = client.post(
        "/datasets/admin_procedure_dossiers/upload",
        data={"csrf_token": csrf, "period": "2022-07"},
        files={"file": ("bao cao thang 7 (1).csv", data, "text/csv")},
    )
    assert 'id="submit"' in page.text, page.text
    upload_id = str(page.url).rsplit("/", 1)[-1]
    assert client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf}).status_code == 200
    receipt = json.loads(env.app.state.ws.steward.submissions_log.read_text().splitlines()[-1])
    # The fixture's stand-in manifest (for the pages) is not an archive: start a real one.
    (env.cfg.raw_dir / "manifest.jsonl").unlink()
    extract_step("run-1", department="tuyen_quang_pasc", cfg=env.cfg)
    export(env.cfg, env.app.state.ws.steward)
    return client, csrf, receipt


def _raw_rows(env) -> int:
    table = source_contract("admin_procedure_dossiers", env.cfg).raw_table
    with duckdb.connect(str(env.cfg.warehouse_path), read_only=True) as con:
        return con.execute(
            f"select count(*) from raw.{table} where _source_file = ?", [NAME]
        ).fetchall()[0][0]


def test_a_steward_withdraws_their_submission_after_confirming(env, loaded):
    client, csrf, receipt = loaded
    landing = env.cfg.landing_dir / "tuyen_quang_pasc" / NAME
    assert _raw_rows(env) == 3 and landing.is_file()
    listing = client.get("/submissions").text
    assert 'class="outcome outcome-archived"' in listing
    form_path = f"/submissions/{receipt['receipt']}/withdraw"
    assert form_path in listing and "Rút lại tệp" in listing

    # The confirmation page says what happens, Vietnamese first; nothing has happened yet.
    confirm = client.get(form_path).text
    assert confirm.index("Các dòng của tệp này bị bỏ khỏi dữ liệu") < confirm.index(
        "The file's rows leave the data"
    )
    assert "Bản lưu trữ gốc" in confirm and receipt["sha256"] in confirm
    assert _raw_rows(env) == 3 and landing.is_file()

    # Without the form's token: refused, nothing changed.
    assert client.post(form_path, data={"reason": "x"}).status_code == 403
    assert client.post(form_path, data={"csrf_token": "forged", "reason": "x"}).status_code == 403
    # Another department's steward: not found, nothing changed, nothing shown.
    env.app.state.ws.accounts.add("health2", "hanoi_health", PASSWORD)
    other, other_csrf = env.sign_in("health2")
    for response in (
        other.get(form_path),
        other.post(form_path, data={"csrf_token": other_csrf, "reason": "x"}),
    ):
        assert response.status_code == 404
        assert NAME not in response.text and receipt["sha256"] not in response.text
    assert _raw_rows(env) == 3 and landing.is_file()

    done = client.post(form_path, data={"csrf_token": csrf, "reason": "Gửi nhầm tệp"})
    assert done.status_code == 200 and 'id="withdrawn"' in done.text, done.text
    assert "3 dòng bỏ khỏi dữ liệu" in done.text

    # What `ddss withdraw` does: rows out, landing file aside, raw copy and trail kept.
    assert _raw_rows(env) == 0
    assert not landing.exists()
    assert (env.cfg.landing_dir / "tuyen_quang_pasc" / ".withdrawn" / NAME).is_file()
    manifest = [
        json.loads(line) for line in (env.cfg.raw_dir / "manifest.jsonl").read_text().splitlines()
    ]
    (archived,) = [e for e in manifest if e["sha256"] == receipt["sha256"]]
    assert (env.cfg.raw_dir / archived["raw_path"]).is_file()
    (trail,) = [
        json.loads(line)
        for line in (env.cfg.raw_dir / "withdrawals.jsonl").read_text().splitlines()
    ]
    assert trail["sha256"] == receipt["sha256"] and trail["rows_removed"] == 3
    assert "Gửi nhầm tệp" in trail["reason"] and "pasc" in trail["reason"]
    with duckdb.connect(str(env.cfg.warehouse_path), read_only=True) as con:
        events = con.execute(
            "select status from meta.file_events where sha256 = ? order by recorded_at",
            [receipt["sha256"]],
        ).fetchall()
    assert events[-1] == ("withdrawn",)
    (own,) = [
        json.loads(line)
        for line in (env.app.state.ws.steward.folder / "withdrawals.jsonl").read_text().splitlines()
    ]
    assert own["receipt"] == receipt["receipt"] and own["withdrawn_by"] == "pasc"

    # Withdrawn: shown so, and it cannot be withdrawn twice.
    listing = client.get("/submissions").text
    assert 'class="outcome outcome-withdrawn"' in listing and form_path not in listing
    again = client.post(form_path, data={"csrf_token": csrf})
    assert again.status_code == 409 and "đã được rút lại" in again.text


def test_a_busy_warehouse_changes_nothing_and_says_try_again(env, loaded, monkeypatch):
    client, csrf, receipt = loaded
    monkeypatch.setenv("DDSS_WAREHOUSE_LOCK_WAIT_SECONDS", "1")
    # Another process (a running pipeline) holds the warehouse for writing.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " sys.stdin.read()",
            str(env.cfg.warehouse_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = client.post(f"/submissions/{receipt['receipt']}/withdraw", data={"csrf_token": csrf})
    finally:
        holder.communicate("")
    assert busy.status_code == 503 and "thử lại sau" in busy.text
    assert (env.cfg.landing_dir / "tuyen_quang_pasc" / NAME).is_file()
    assert _raw_rows(env) == 3
    assert not (env.cfg.raw_dir / "withdrawals.jsonl").exists()


def test_only_the_latest_submission_of_a_name_can_be_withdrawn(env, loaded):
    client, csrf, first = loaded
    data = dossiers_csv([ROW])
    page = client.post(
        "/datasets/admin_procedure_dossiers/upload",
        data={"csrf_token": csrf, "period": "2022-07"},
        files={"file": ("corrected.csv", data, "text/csv")},
    )
    upload_id = str(page.url).rsplit("/", 1)[-1]
    assert client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf}).status_code == 200
    older = client.post(f"/submissions/{first['receipt']}/withdraw", data={"csrf_token": csrf})
    assert older.status_code == 409 and "lần nộp mới hơn" in older.text
    assert (env.cfg.landing_dir / "tuyen_quang_pasc" / NAME).read_bytes() == data
    assert _raw_rows(env) == 3
