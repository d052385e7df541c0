# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""E-mail notifications through a real SMTP server (aiosmtpd on 127.0.0.1): each new
status once, never again; bilingual, with a link, without a value from any row."""

import json
from datetime import date

import pytest
from steward_env import (  # noqa: F401 - env is a fixture
    HEALTH_SECRET,
    SCRIPT,
    env,
    report_row,
    smtp_inbox,
    write_report,
)

from ddss.steward.file_events import events_path
from ddss.steward.notify import notify
from ddss.steward.settings import load_steward_settings


@pytest.fixture
def inbox(env, monkeypatch):
    with smtp_inbox(monkeypatch) as handler:
        yield handler


def _send(env, day):
    return notify(env.cfg, load_steward_settings(env.cfg), day)


def _texts(messages, to):
    """Subject and body of each mail to ``to`` (a mail may carry several notices)."""
    return [f"{m['Subject']}\n{m.get_content()}" for rcpt, m in messages if to in rcpt]


def test_each_status_is_mailed_once(env, inbox):
    sent = _send(env, date(2022, 8, 11))
    kinds = {(n.dataset, n.kind) for n in sent}
    # Dossiers: the report's 3 held rows (the warning is not held), every period received.
    # Health records: never sent a file (in this workspace's manifest).
    assert ("admin_procedure_dossiers", "quarantine") in kinds
    assert ("admin_procedure_dossiers", "missed") not in kinds
    assert ("electronic_health_records", "missed") in kinds
    first = inbox.take()
    # One mail per steward, holding every new notice of their department.
    (pasc,) = _texts(first, "pasc@example.org")
    (health,) = _texts(first, "health@example.org")
    assert "3 dòng mới cần sửa" in pasc and "3 new rows to fix" in pasc
    assert "Sở Y tế" not in pasc and "health" not in pasc.lower()
    assert "admin_procedure_dossiers" not in health and "Tuyên Quang" not in health
    # The same statuses again: nothing.
    assert _send(env, date(2022, 8, 11)) == [] and inbox.take() == []


def test_a_new_run_with_new_rows_is_a_new_status(env, inbox):
    _send(env, date(2022, 8, 11))
    inbox.take()
    rows = [
        report_row("ho_so_2022-07.csv", 41, "channel", "Fax", "dung"),
        report_row("ho_so_2022-08.csv", 5, "channel", "Telex", "dung"),
    ]
    write_report(
        env.cfg, "scheduled__2022-09-11", "tuyen_quang_pasc", "admin_procedure_dossiers", rows
    )
    _send(env, date(2022, 8, 11))
    (mail,) = [m for rcpt, m in inbox.take() if "pasc@example.org" in rcpt]
    assert "1 dòng mới cần sửa" in str(mail["Subject"])  # only row 5 of August is new
    # A run with fewer rows (some fixed) brings no mail.
    write_report(
        env.cfg, "scheduled__2022-10-11", "tuyen_quang_pasc", "admin_procedure_dossiers", rows[:1]
    )
    assert _send(env, date(2022, 8, 11)) == []


def test_deadline_in_three_days_then_missed(env, inbox):
    _send(env, date(2022, 8, 11))
    inbox.take()
    _send(env, date(2022, 9, 7))  # August is due on 10 September: 3 days left
    (soon,) = _texts(inbox.take(), "pasc@example.org")
    assert "Còn 3 ngày để nộp kỳ 2022-08" in soon and "3 days left to send 2022-08" in soon
    assert _send(env, date(2022, 9, 8)) == []  # 2 days left: the same status
    _send(env, date(2022, 9, 11))
    (missed,) = _texts(inbox.take(), "pasc@example.org")
    assert "Quá hạn nộp kỳ 2022-08" in missed and "Deadline missed for 2022-08" in missed
    assert _send(env, date(2022, 9, 20)) == []


def rejected_event(env, file_name="ho_so_2022-08.csv", sha256="b" * 64, run="run-2"):
    """The loader's rejection as the copy of the warehouse's file events holds it."""
    steward = load_steward_settings(env.cfg)
    path = events_path(steward)
    path.parent.mkdir(parents=True, exist_ok=True)
    events = json.loads(path.read_text("utf-8"))["events"] if path.exists() else []
    events.append(
        {
            "run_id": run,
            "dataset": "admin_procedure_dossiers",
            "department": "tuyen_quang_pasc",
            "file_name": file_name,
            "sha256": sha256,
            "rows": None,
            "status": "rejected",
            "message_vi": f"Thiếu cột. Giá trị {HEALTH_SECRET}",
            "message_en": f"Missing columns. Value {HEALTH_SECRET}",
            "recorded_at": "2022-09-11 00:00:00",
        }
    )
    path.write_text(json.dumps({"events": events}), "utf-8")


def test_a_rejected_file_is_mailed_once(env, inbox):
    rejected_event(env)
    _send(env, date(2022, 8, 11))
    (mail,) = _texts(inbox.take(), "pasc@example.org")
    assert (
        "Tệp bị từ chối: ho_so_2022-08.csv" in mail and "File rejected: ho_so_2022-08.csv" in mail
    )
    assert HEALTH_SECRET not in mail  # the loader's message can quote a cell: never mailed
    assert "https://steward.example.gov.vn/submissions" in mail
    # A later run rejecting the same bytes again is not a new status; other bytes are.
    rejected_event(env, run="run-3")
    _send(env, date(2022, 8, 11))
    assert inbox.take() == []
    rejected_event(env, sha256="c" * 64, run="run-4")
    _send(env, date(2022, 8, 11))
    (again,) = _texts(inbox.take(), "pasc@example.org")
    assert "Tệp bị từ chối: ho_so_2022-08.csv" in again


def test_mails_are_bilingual_link_to_the_page_and_hold_no_row_values(env, inbox):
    _send(env, date(2022, 8, 11))
    messages = inbox.take()
    assert messages
    for _, message in messages:
        body = message.get_content()
        assert body.index("Xem chi tiết") < body.index("Details")
        assert "https://steward.example.gov.vn/" in body
        for value in (SCRIPT, HEALTH_SECRET, "99999", "Fax", "00070"):
            assert value not in body and value not in str(message["Subject"])
        assert message["From"] == "ddss@so-ttt.example"


def test_without_smtp_nothing_is_recorded(env):
    steward = load_steward_settings(env.cfg)
    assert steward.smtp_host is None
    assert notify(env.cfg, steward, date(2022, 8, 11)) == []
    assert not steward.notifications_log.exists()


def test_an_upload_the_loader_rejects_is_mailed_once(env, inbox):
    env.app.state.ws.steward = load_steward_settings(env.cfg)
    # DDSS_STEWARD_URL is https here: the cookies are Secure, the client must use https.
    client, csrf = env.sign_in("pasc", base_url="https://testserver")
    for _ in range(2):
        client.post(
            "/datasets/admin_procedure_dossiers/upload",
            data={"csrf_token": csrf, "period": ""},
            files={"file": ("ho_so_2022-08.csv", b"Cot A\n1\n", "text/csv")},
        )
    (mail,) = [m for rcpt, m in inbox.take() if "pasc@example.org" in rcpt]
    assert "Tệp bị từ chối: ho_so_2022-08.csv" in str(mail["Subject"])
    assert "https://steward.example.gov.vn/uploads/" in mail.get_content()


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        (None, "none"),
        ("false", "none"),
        ("true", "starttls"),
        ("STARTTLS", "starttls"),
        ("ssl", "ssl"),
    ],
)
def test_smtp_tls_setting(monkeypatch, given, meant):
    if given is None:
        monkeypatch.delenv("DDSS_SMTP_TLS", raising=False)
    else:
        monkeypatch.setenv("DDSS_SMTP_TLS", given)
    assert load_steward_settings().smtp_tls == meant
