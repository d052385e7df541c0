# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""E-mail notifications through a real SMTP server (aiosmtpd on 127.0.0.1): each new
status once, never again; bilingual, with a link, without a value from any row."""

import email
import socket
from datetime import date
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from steward_env import HEALTH_SECRET, SCRIPT, env, report_row, write_report  # noqa: F401

from ddss.steward.notify import notify
from ddss.steward.settings import load_steward_settings


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def take(self):
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture
def inbox(env, monkeypatch):
    handler = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd connects to itself on start)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("DDSS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DDSS_SMTP_PORT", str(port))
    monkeypatch.setenv("DDSS_SMTP_SENDER", "ddss@so-ttt.example")
    monkeypatch.setenv("DDSS_STEWARD_URL", "https://steward.example.gov.vn")
    yield handler
    controller.stop()


def _send(env, day):
    return notify(env.cfg, load_steward_settings(env.cfg), day)


def _subjects(messages, to):
    return sorted(str(m["Subject"]) for rcpt, m in messages if to in rcpt)


def test_each_status_is_mailed_once(env, inbox):
    sent = _send(env, date(2022, 8, 11))
    kinds = {(n.dataset, n.kind) for n in sent}
    # Dossiers: the report's 3 held rows (the warning is not held), every period received.
    # Health records: never sent a file (in this workspace's manifest).
    assert ("admin_procedure_dossiers", "quarantine") in kinds
    assert ("admin_procedure_dossiers", "missed") not in kinds
    assert ("electronic_health_records", "missed") in kinds
    first = inbox.take()
    pasc = _subjects(first, "pasc@example.org")
    assert any("3 dòng mới cần sửa" in s and "3 new rows to fix" in s for s in pasc)
    assert not any("Sở Y tế" in s or "health" in s.lower() for s in pasc)
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
    soon = _subjects(inbox.take(), "pasc@example.org")
    assert any(
        "Còn 3 ngày để nộp kỳ 2022-08" in s and "3 days left to send 2022-08" in s for s in soon
    )
    assert _send(env, date(2022, 9, 8)) == []  # 2 days left: the same status
    _send(env, date(2022, 9, 11))
    missed = _subjects(inbox.take(), "pasc@example.org")
    assert any("Quá hạn nộp kỳ 2022-08" in s and "Deadline missed for 2022-08" in s for s in missed)
    assert _send(env, date(2022, 9, 20)) == []


REJECTED_PAGE = """<div class="bad"><h2>Tệp bị từ chối <span class="en">/ Rejected files</span></h2>
<p>Các tệp sau không nạp được. <span class="en">These files could not be loaded.</span></p>
<ul><li><strong>ho_so_2022-08.csv</strong>: Thiếu cột. <span class="en">Missing columns.</span></li></ul></div>"""


def rejected_report(env, run="scheduled__2022-09-11"):
    """A newer report whose page lists a rejected file, as the steward report renders it."""
    rows = [report_row("ho_so_2022-07.csv", 41, "channel", "Fax", "dung")]
    path = write_report(env.cfg, run, "tuyen_quang_pasc", "admin_procedure_dossiers", rows)
    (path.parent / "index.html").write_text(f"<html><body>{REJECTED_PAGE}</body></html>")


def test_a_rejected_file_is_mailed_once(env, inbox):
    rejected_report(env)
    _send(env, date(2022, 8, 11))
    subjects = _subjects(inbox.take(), "pasc@example.org")
    assert "[ddss] Tệp bị từ chối: ho_so_2022-08.csv / File rejected: ho_so_2022-08.csv" in subjects
    _send(env, date(2022, 8, 11))
    assert not [m for rcpt, m in inbox.take() if "Tệp bị từ chối" in str(m["Subject"])]


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
