"""Fixtures for the steward tests (a module, not conftest.py: the suite imports the root
conftest by name). A workspace whose pipeline files (reports, quality.json, raw manifest) are written here,
in the shapes the pipeline writes them, and two stewards of two departments.

Tests that need what a real run writes use the ``published`` fixture (slow)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import workspace
from ddss.settings import Settings

PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert('x')</script>"
# A value only the health department's report holds: no other department may see it.
HEALTH_SECRET = "HEALTH-ONLY-0987654321"
RUN = "scheduled__2022-08-11T00:00:00+00:00"
CSV_COLUMNS = [
    "source_file",
    "source_row",
    "column",
    "column_header",
    "value",
    "criterion",
    "severity",
    "rule",
    "message_vi",
    "message_en",
    "record_key",
]


def report_row(file: str, row: int, column: str, value: str, criterion: str, **extra) -> dict:
    return {
        "source_file": file,
        "source_row": row,
        "column": column,
        "column_header": column,
        "value": value,
        "criterion": criterion,
        "severity": extra.get("severity", "row"),
        "rule": extra.get("rule", f"rule_{column}"),
        "message_vi": extra.get("message_vi", "Sửa ô này."),
        "message_en": extra.get("message_en", "Fix this cell."),
        "record_key": "",
    }


def write_report(
    cfg: Settings, run: str, department: str, dataset: str, rows: list[dict], headers=None
) -> Path:
    folder = cfg.reports_dir / run / department
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset}_can_sua.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers or CSV_COLUMNS)
        for row in rows:
            writer.writerow([row[c] for c in CSV_COLUMNS])
    (folder / "index.html").write_text(
        f"<html><body>report {department} {dataset}</body></html>", "utf-8"
    )
    return path


def scores(value: float) -> dict:
    return {"dung": value, "du": value, "sach": value, "song": value, "overall": value}


@dataclass
class Env:
    cfg: Settings
    app: Any
    tmp: Path

    def client(self, base_url: str = "http://testserver") -> TestClient:
        return TestClient(self.app, base_url=base_url)

    def sign_in(self, username: str, base_url: str = "http://testserver") -> tuple[TestClient, str]:
        client = self.client(base_url)
        page = client.get("/login")
        token = csrf_of(page.text)
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 200, response.text
        return client, csrf_of(client.get("/dashboard").text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _pipeline_files(cfg: Settings) -> None:
    write_report(
        cfg,
        RUN,
        "tuyen_quang_pasc",
        "admin_procedure_dossiers",
        [
            report_row("ho_so_2022-06.csv", 12, "commune_code", "99999", "dung"),
            report_row("ho_so_2022-07.csv", 40, "note", SCRIPT, "sach"),
            report_row("ho_so_2022-07.csv", 41, "channel", "Fax", "dung"),
            report_row(
                "ho_so_2022-07.csv", 42, "commune_code", "00070", "song", severity="warning"
            ),
        ],
    )
    write_report(
        cfg,
        RUN,
        "hanoi_health",
        "electronic_health_records",
        [report_row("ho_so_suc_khoe_2022-07.csv", 7, "note", HEALTH_SECRET, "sach")],
    )
    quality = {
        "datasets": {
            "admin_procedure_dossiers": {
                "scores": scores(91.5),
                "history": [
                    {"run_id": "r1", "at": "2022-07-11 00:00", "scores": scores(80.25)},
                    {"run_id": "r2", "at": "2022-08-11 00:00", "scores": scores(91.5)},
                ],
            },
            "electronic_health_records": {"scores": scores(77.75), "history": []},
        },
        "departments": {},
    }
    cfg.public_dir.mkdir(parents=True, exist_ok=True)
    (cfg.public_dir / "quality.json").write_text(json.dumps(quality), "utf-8")
    cfg.raw_dir.mkdir(parents=True, exist_ok=True)
    entries = [
        {
            "dataset": "admin_procedure_dossiers",
            "department": "tuyen_quang_pasc",
            "file_name": f"ho_so_2022-{m:02d}.csv",
            "sha256": f"{m:064x}",
            "status": "archived",
            "archived_at": f"2022-{m + 1:02d}-05T00:00:00+00:00",
        }
        for m in range(1, 8)
    ]
    (cfg.raw_dir / "manifest.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in entries), "utf-8"
    )


@pytest.fixture
def env(tmp_path, monkeypatch) -> Env:
    cfg = workspace(tmp_path, monkeypatch)
    for name in ("DDSS_SMTP_HOST", "DDSS_AIRFLOW_URL", "DDSS_STEWARD_URL", "DDSS_STEWARD_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DDSS_STEWARD_AS_OF", "2022-08-11")
    _pipeline_files(cfg)
    from ddss.steward.app import create_app

    app = create_app(cfg)
    accounts = app.state.ws.accounts
    accounts.add("pasc", "tuyen_quang_pasc", PASSWORD, "pasc@example.org")
    accounts.add("health", "hanoi_health", PASSWORD, "health@example.org")
    return Env(cfg, app, tmp_path)


# One clean dossier of Tuyên Quang's PASC, as a steward's CSV row (fictitious person).
DOSSIER_ROW = [
    "HS-0001",
    "1.001",
    "Trực tuyến",
    "08194",
    "Nguyễn Văn A",
    "001099012345",
    "0912345678",
    "01/07/2022",
    "05/07/2022",
    "04/07/2022",
    "",
]


def dossiers_csv(rows: list[list[str]]) -> bytes:
    header = (
        "Mã hồ sơ,Mã thủ tục,Hình thức nộp,Mã xã,Họ tên người nộp,Số CCCD,Số điện thoại,"
        "Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả,Ghi chú"
    )
    out = [header] + [",".join(r) for r in rows]
    return ("\n".join(out) + "\n").encode("utf-8")


class Inbox:
    """What a real SMTP server (aiosmtpd) received: (recipients, message) pairs."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        import email
        from email.policy import default

        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def take(self):
        taken, self.messages = self.messages, []
        return taken


@contextmanager
def smtp_inbox(monkeypatch) -> Iterator[Inbox]:
    """aiosmtpd on 127.0.0.1 and the DDSS_SMTP_* settings that point at it."""
    import socket

    from aiosmtpd.controller import Controller

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
    try:
        yield handler
    finally:
        controller.stop()
