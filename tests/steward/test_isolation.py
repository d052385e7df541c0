# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""A steward sees and changes only their own department: every route, tried by a steward
of another department, answers 403 or 404 and shows nothing of the other department."""

import pytest
from steward_env import HEALTH_SECRET, RUN, env  # noqa: F401 - fixture

OTHER_DATASET = "electronic_health_records"  # the health department's
OWN_DATASET = "admin_procedure_dossiers"  # the PASC's


@pytest.fixture
def health_upload(env):
    """An upload of the health department (loader-rejected: its header is wrong)."""
    client, csrf = env.sign_in("health")
    page = client.post(
        f"/datasets/{OTHER_DATASET}/upload",
        data={"csrf_token": csrf, "period": "2022-07"},
        files={"file": ("x.csv", f"Cot\n{HEALTH_SECRET}\n".encode(), "text/csv")},
    )
    assert page.status_code == 200 and "x.csv" in page.text
    return str(page.url).rsplit("/", 1)[-1]


HEALTH_RECEIPT = "0123456789abcdef"
HEALTH_FILE = "ho_so_suc_khoe_2022-07.csv"


@pytest.fixture
def health_receipt(env):
    """A submission of the health department, still in its landing folder (so its own
    steward could withdraw it)."""
    import hashlib
    import json

    from ddss.steward.settings import load_steward_settings
    from ddss.steward.submit import append_receipt

    landed = env.cfg.landing_dir / "hanoi_health" / HEALTH_FILE
    landed.parent.mkdir(parents=True, exist_ok=True)
    landed.write_bytes(f"Ghi chu\n{HEALTH_SECRET}\n".encode())
    receipt = {
        "receipt": HEALTH_RECEIPT,
        "dataset": OTHER_DATASET,
        "department": "hanoi_health",
        "file": HEALTH_FILE,
        "landing_path": f"hanoi_health/{HEALTH_FILE}",
        "sha256": hashlib.sha256(landed.read_bytes()).hexdigest(),
        "bytes": landed.stat().st_size,
        "rows": 1,
        "problems": 0,
        "submitted_by": "health",
        "submitted_at": "2022-08-01T08:00:00+00:00",
    }
    append_receipt(load_steward_settings(env.cfg), receipt)
    archived = {
        "dataset": OTHER_DATASET,
        "department": "hanoi_health",
        "file_name": HEALTH_FILE,
        "sha256": receipt["sha256"],
        "status": "archived",
        "archived_at": "2022-08-01T09:00:00+00:00",
    }
    with (env.cfg.raw_dir / "manifest.jsonl").open("a") as handle:
        handle.write(json.dumps(archived) + "\n")
    return landed


def _attempts(upload_id: str) -> list[tuple[str, str, dict]]:
    """(method, path, form) for every route, aimed at the health department's things."""
    return [
        ("GET", f"/datasets/{OTHER_DATASET}", {}),
        ("GET", f"/datasets/{OTHER_DATASET}/template", {}),
        ("POST", f"/datasets/{OTHER_DATASET}/upload", {"file": True}),
        ("GET", f"/uploads/{upload_id}", {}),
        ("GET", f"/uploads/{upload_id}/problems.csv", {}),
        ("GET", f"/uploads/{upload_id}/highlighted.xlsx", {}),
        ("POST", f"/uploads/{upload_id}/submit", {}),
        ("GET", f"/quarantine?dataset={OTHER_DATASET}", {}),
        ("GET", f"/quarantine.csv?dataset={OTHER_DATASET}", {}),
        ("GET", f"/reports/{RUN}/electronic_health_records_can_sua.csv", {}),
        ("GET", f"/reports/{RUN}/..%2Fhanoi_health%2Felectronic_health_records_can_sua.csv", {}),
        ("GET", f"/reports/{RUN}/../hanoi_health/index.html", {}),
        ("GET", "/reports/..%2F..%2Fsteward/accounts.sqlite3", {}),
        ("GET", "/uploads/..%2Fhanoi_health/problems.csv", {}),
        ("GET", f"/submissions/{HEALTH_RECEIPT}/withdraw", {}),
        ("POST", f"/submissions/{HEALTH_RECEIPT}/withdraw", {}),
        ("GET", "/submissions/..%2F..%2Fsteward%2Fsubmissions.jsonl/withdraw", {}),
    ]


def test_every_route_refuses_another_departments_things(env, health_upload, health_receipt):
    client, csrf = env.sign_in("pasc")
    for method, path, form in _attempts(health_upload):
        if method == "GET":
            response = client.get(path, follow_redirects=False)
        elif form.get("file"):
            response = client.post(
                path,
                data={"csrf_token": csrf, "period": "2022-07"},
                files={"file": ("ho_so_suc_khoe_2022-07.csv", b"a\n1\n", "text/csv")},
            )
        else:
            response = client.post(path, data={"csrf_token": csrf})
        assert response.status_code in (403, 404), (path, response.status_code)
        body = response.content.decode("utf-8", "replace")
        assert HEALTH_SECRET not in body, path
        assert "Sở Y tế" not in body and "ho_so_suc_khoe" not in body, path
    # Nothing reached the health department's landing folder, nothing left it.
    assert [p.name for p in (env.cfg.landing_dir / "hanoi_health").iterdir()] == [HEALTH_FILE]
    assert not (env.app.state.ws.steward.folder / "withdrawals.jsonl").exists()
    assert not (env.cfg.raw_dir / "withdrawals.jsonl").exists()


def test_the_own_pages_show_nothing_of_another_department(env, health_upload, health_receipt):
    client, _ = env.sign_in("pasc")
    for path in ("/dashboard", "/quarantine", "/quarantine.csv", "/reports/latest", "/submissions"):
        body = client.get(path).content.decode("utf-8", "replace")
        assert HEALTH_SECRET not in body and OTHER_DATASET not in body, path
        assert HEALTH_RECEIPT not in body and HEALTH_FILE not in body, path
    # The owner does see their own upload, rows and submission (and may withdraw it).
    owner, _ = env.sign_in("health")
    assert owner.get(f"/uploads/{health_upload}").status_code == 200
    assert HEALTH_SECRET in owner.get("/quarantine").text
    assert f"/submissions/{HEALTH_RECEIPT}/withdraw" in owner.get("/submissions").text
    assert 'id="confirm-withdraw"' in owner.get(f"/submissions/{HEALTH_RECEIPT}/withdraw").text


def test_every_route_is_in_the_isolation_test(env):
    """A new route must be added to ``_attempts`` (or to the list of routes that show only
    the signed-in steward's own things) before this test passes."""
    tried = {path.split("?")[0] for _, path, _ in _attempts("ID")}
    own_only = {"/", "/login", "/logout", "/dashboard", "/quarantine", "/quarantine.csv"}
    own_only |= {"/reports/latest", "/submissions"}
    for route in env.app.routes:
        path = getattr(route, "path", "")
        if path in own_only:
            continue
        pattern = (
            path.replace("{dataset}", OTHER_DATASET)
            .replace("{upload_id}", "ID")
            .replace("{run_id}", RUN)
            .replace("{receipt_id}", HEALTH_RECEIPT)
        )
        prefix = pattern.split("{")[0]
        assert any(t.startswith(prefix) for t in tried), f"route {path} not tried"
