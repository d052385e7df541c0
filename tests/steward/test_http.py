# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""Sign-in, sessions, CSRF, the dashboard and the quarantine page over HTTP."""

import re

from steward_env import (
    CSV_COLUMNS,
    PASSWORD,
    RUN,
    SCRIPT,
    csrf_of,
    env,  # noqa: F401 - fixture
    report_row,
    write_report,
)


def _set_cookie_headers(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_sign_in_sets_an_httponly_samesite_cookie_not_secure_over_http(env):
    client = env.client()
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "pasc", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(c for c in _set_cookie_headers(response) if c.startswith("ddss_steward="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie
    assert PASSWORD not in cookie


def test_the_session_cookie_is_secure_over_https(env):
    client = env.client("https://testserver")
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "pasc", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = next(c for c in _set_cookie_headers(response) if c.startswith("ddss_steward="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_sign_in_without_the_form_token_is_refused(env):
    client = env.client()
    client.get("/login")
    response = client.post("/login", data={"username": "pasc", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_pages_need_a_session(env):
    client = env.client()
    for path in ("/", "/dashboard", "/quarantine", "/quarantine.csv", "/reports/latest"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login", path


def test_login_is_rate_limited_per_username_and_address(env):
    client = env.client()
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        wrong = client.post(
            "/login", data={"username": "pasc", "password": "wrong", "csrf_token": token}
        )
        assert wrong.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    token = csrf_of(client.get("/login").text)
    blocked = client.post(
        "/login", data={"username": "pasc", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # Another account from the same address is not locked out by someone guessing "pasc".
    token = csrf_of(client.get("/login").text)
    other = client.post(
        "/login", data={"username": "health", "password": PASSWORD, "csrf_token": token}
    )
    assert other.status_code == 200 and "Sở Y tế Hà Nội" in other.text


def test_disabling_an_account_ends_its_session(env):
    client, _ = env.sign_in("pasc")
    assert client.get("/dashboard").status_code == 200
    env.app.state.ws.accounts.disable("pasc")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token_and_ends_the_session(env):
    client, csrf = env.sign_in("pasc")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_not_a_session(env):
    client = env.client()
    client.cookies.set("ddss_steward", "eyJ1IjoicGFzYyJ9.forged.sig")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_dashboard_shows_scores_history_deadlines_and_open_rows(env):
    client, _ = env.sign_in("pasc")
    page = client.get("/dashboard").text
    section = page[page.index('id="dataset-admin_procedure_dossiers"') :]
    section = section[: section.index("</section>")]
    assert "91.5" in section and "80.25" in section  # latest and history
    # Jan-Jul 2022 archived, judged on 11 Aug 2022: August is next, due 10 Sep (30 days).
    assert "2022-08" in section and "10/09/2022" in section and "30 ngày / 30 days left" in section
    # 3 rows held back (the warning is reported, not held) and 1 warning.
    assert re.search(r'class="open-rows">\s*<strong>3</strong>\s*· 1 cảnh báo', section)
    assert "ho_so_2022-07.csv" in section  # the last file the pipeline received
    # Vietnamese first, English second.
    assert page.index("Điểm chất lượng") < page.index("Quality scores")
    assert page.index("Tổng quan") < page.index("Dashboard")


def test_dashboard_says_how_late_a_missing_period_is(env):
    manifest = env.cfg.raw_dir / "manifest.jsonl"
    kept = [line for line in manifest.read_text().splitlines() if "2022-07" not in line]
    manifest.write_text("\n".join(kept) + "\n")
    client, _ = env.sign_in("pasc")
    page = client.get("/dashboard").text
    section = page[page.index('id="dataset-admin_procedure_dossiers"') :]
    # July was due on 10 Aug; judged on 11 Aug it is 1 day late.
    assert "2022-07" in section and "trễ 1 ngày / 1 days late" in section


def test_quarantine_lists_every_row_and_filters(env):
    client, _ = env.sign_in("pasc")
    page = client.get("/quarantine").text
    assert page.count('class="qrow"') == 4
    assert client.get("/quarantine?criterion=dung").text.count('class="qrow"') == 2
    assert client.get("/quarantine?period=2022-06").text.count('class="qrow"') == 1
    both = client.get("/quarantine?period=2022-07&criterion=dung").text
    assert both.count('class="qrow"') == 1 and "Fax" in both
    assert client.get("/quarantine?dataset=online_public_services").text.count('class="qrow"') == 0


def test_quarantine_csv_export_filters_and_neutralises_formulas(env):
    write_report(
        env.cfg,
        RUN,
        "tuyen_quang_pasc",
        "online_public_services",
        [report_row("dich_vu_cong_2022-07.csv", 3, "name", "=HYPERLINK(1)", "dung")],
    )
    client, _ = env.sign_in("pasc")
    body = client.get("/quarantine.csv?dataset=online_public_services").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and "ho_so_" not in body
    assert body.splitlines()[0].startswith("dataset,period,source_file")


def test_a_script_in_a_cell_is_shown_as_text(env):
    client, _ = env.sign_in("pasc")
    page = client.get("/quarantine").text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "script-src 'none'" in client.get("/quarantine").headers["content-security-policy"]


def test_report_csv_with_vietnamese_headers_keeping_the_codes_is_read(env):
    headers = [f"Nhãn tiếng Việt ({code})" for code in CSV_COLUMNS]
    headers[CSV_COLUMNS.index("source_row")] = "Dòng / source_row"
    write_report(
        env.cfg,
        "scheduled__2022-09-11",
        "tuyen_quang_pasc",
        "admin_procedure_dossiers",
        [report_row("ho_so_2022-08.csv", 77, "channel", "Telex", "dung")],
        headers=headers,
    )
    client, _ = env.sign_in("pasc")
    page = client.get("/quarantine").text
    assert page.count('class="qrow"') == 1  # the latest report only
    row = page[page.index('class="qrow"') :]
    assert "Telex" in row and ">77<" in row and "2022-08" in row


def test_report_files_of_the_own_department_are_served_sandboxed(env):
    client, _ = env.sign_in("pasc")
    latest = client.get("/reports/latest")
    assert latest.status_code == 200 and "report tuyen_quang_pasc" in latest.text
    assert "sandbox" in latest.headers["content-security-policy"]
    csv_file = client.get(f"/reports/{RUN}/admin_procedure_dossiers_can_sua.csv")
    assert csv_file.status_code == 200 and "ho_so_2022-07.csv" in csv_file.text


def test_the_last_submission_says_what_became_of_it(env):
    import json

    from ddss.steward.file_events import events_path
    from ddss.steward.settings import load_steward_settings
    from ddss.steward.submit import append_receipt

    receipt = {
        "receipt": "r1",
        "dataset": "admin_procedure_dossiers",
        "department": "tuyen_quang_pasc",
        "file": "ho_so_2022-08.csv",
        "sha256": "a" * 64,
        "bytes": 10,
        "rows": 1,
        "problems": 0,
        "submitted_by": "pasc",
        "submitted_at": "2022-09-01T08:00:00+00:00",
    }
    append_receipt(load_steward_settings(env.cfg), receipt)
    client, _ = env.sign_in("pasc")

    def outcome():
        page = client.get("/dashboard").text
        section = page[page.index('id="dataset-admin_procedure_dossiers"') :]
        return re.search(r'class="outcome outcome-(\w+)"', section).group(1)

    assert outcome() == "waiting"
    entry = {
        "dataset": "admin_procedure_dossiers",
        "department": "tuyen_quang_pasc",
        "file_name": "ho_so_2022-08.csv",
        "sha256": "a" * 64,
        "status": "archived",
        "archived_at": "2022-09-01T09:00:00+00:00",
    }
    with (env.cfg.raw_dir / "manifest.jsonl").open("a") as handle:
        handle.write(json.dumps(entry) + "\n")
    assert outcome() == "archived"
    # The pipeline's word on the file, from the copy of the warehouse's file events.
    event = {
        "run_id": "scheduled__2022-09-02",
        "dataset": "admin_procedure_dossiers",
        "department": "tuyen_quang_pasc",
        "file_name": "ho_so_2022-08.csv",
        "sha256": "a" * 64,
        "status": "rejected",
        "message_vi": "Thiếu cột 'Mã hồ sơ'.",
        "message_en": "Column 'Mã hồ sơ' is missing.",
        "recorded_at": "2022-09-02 00:00:00",
    }
    events = events_path(load_steward_settings(env.cfg))
    events.write_text(json.dumps({"events": [event]}), "utf-8")
    assert outcome() == "rejected"
    # Another department's event about a file of the same name changes nothing here.
    events.write_text(
        json.dumps({"events": [{**event, "department": "hanoi_health", "status": "withdrawn"}]})
    )
    assert outcome() == "archived"
    events.write_text(json.dumps({"events": [event, {**event, "status": "withdrawn"}]}))
    assert outcome() == "withdrawn"


def test_a_period_without_rows_stays_choosable(env):
    client, _ = env.sign_in("pasc")
    page = client.get("/quarantine?period=2022-03").text
    assert '<option value="2022-03" selected>' in page and page.count('class="qrow"') == 0


def test_errors_are_pages_in_both_languages(env):
    client, _ = env.sign_in("pasc")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text
    assert missing.text.index("Không tìm thấy") < missing.text.index("Not found")
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and "không nhận kiểu yêu cầu" in wrong_method.text


def test_a_file_the_pipeline_has_not_loaded_cannot_be_withdrawn(env):
    import hashlib

    from ddss.steward.settings import load_steward_settings
    from ddss.steward.submit import append_receipt

    landed = env.cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-08.csv"
    landed.parent.mkdir(parents=True)
    landed.write_bytes(b"waiting for the next run\n")
    receipt_id = "00000000000000aa"
    append_receipt(
        load_steward_settings(env.cfg),
        {
            "receipt": receipt_id,
            "dataset": "admin_procedure_dossiers",
            "department": "tuyen_quang_pasc",
            "file": landed.name,
            "landing_path": f"tuyen_quang_pasc/{landed.name}",
            "sha256": hashlib.sha256(landed.read_bytes()).hexdigest(),
            "bytes": landed.stat().st_size,
            "rows": 1,
            "submitted_by": "pasc",
            "submitted_at": "2022-09-01T08:00:00+00:00",
        },
    )
    client, csrf = env.sign_in("pasc")
    listing = client.get("/submissions").text
    assert 'class="outcome outcome-waiting"' in listing
    assert f"/submissions/{receipt_id}/withdraw" not in listing
    form = client.get(f"/submissions/{receipt_id}/withdraw").text
    assert "chưa nạp tệp này" in form and 'id="confirm-withdraw"' not in form
    refused = client.post(f"/submissions/{receipt_id}/withdraw", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "not loaded this file yet" in refused.text
    assert landed.is_file() and not (landed.parent / ".withdrawn").exists()
