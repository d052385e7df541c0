"""The steward workspace's settings, read from the environment once (``load_steward_settings``).

Paths default under the data folder (``data/steward/``, beside ``data/landing/``), so the
workspace runs from a fresh clone. Secrets (the session key, SMTP and Airflow passwords)
come from the environment only; when no session key is given one is generated once and
kept in ``data/steward/session.key`` (readable by its owner only), so sessions survive a
restart without a secret ever being typed on a command line.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ddss.settings import Settings, load_settings


@dataclass(frozen=True)
class StewardSettings:
    folder: Path
    accounts_db: Path
    submissions_log: Path
    notifications_log: Path
    uploads_dir: Path
    secret_file: Path
    # The address stewards reach the workspace at; e-mails link to it, and an https://
    # address marks the session cookie Secure.
    base_url: str
    # Largest upload accepted (the pipeline's own limit unless lowered for the web).
    max_upload_bytes: int
    smtp_host: str | None
    smtp_port: int
    smtp_tls: str  # "none", "starttls" or "ssl"
    smtp_user: str | None
    smtp_password: str | None
    smtp_sender: str
    airflow_url: str | None
    airflow_username: str | None
    airflow_password: str | None
    # Deadlines are judged as of this date (default: today); the demo's data is from 2022.
    as_of: date | None = None
    login_attempts: int = 5
    # Uploads (copies of the department's files, personal data included) are kept this long.
    upload_days: int = 7
    login_window_seconds: int = 900
    session_seconds: int = 8 * 3600

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def airflow_configured(self) -> bool:
        return bool(self.airflow_url and self.airflow_username and self.airflow_password)

    def secret_key(self) -> str:
        """DDSS_STEWARD_SECRET, or the key generated once into ``secret_file``."""
        given = os.environ.get("DDSS_STEWARD_SECRET")
        if given:
            return given
        if self.secret_file.exists():
            return self.secret_file.read_text("utf-8").strip()
        self.secret_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _smtp_tls(value: str | None) -> str:
    """none, starttls or ssl; true/false as a yes/no answer (true: STARTTLS)."""
    word = (value or "none").strip().lower()
    if word in ("ssl", "smtps", "implicit"):
        return "ssl"
    if word in ("starttls", "true", "yes", "1", "on"):
        return "starttls"
    return "none"


def load_steward_settings(cfg: Settings | None = None) -> StewardSettings:
    """Read the environment now (tests call this after changing it)."""
    cfg = cfg or load_settings()
    folder = Path(_env("DDSS_STEWARD_DIR") or cfg.landing_dir.parent / "steward").resolve()
    as_of = _env("DDSS_STEWARD_AS_OF")
    return StewardSettings(
        folder=folder,
        accounts_db=Path(_env("DDSS_STEWARD_ACCOUNTS") or folder / "accounts.sqlite3"),
        submissions_log=folder / "submissions.jsonl",
        notifications_log=folder / "notifications.jsonl",
        uploads_dir=folder / "uploads",
        secret_file=folder / "session.key",
        base_url=(_env("DDSS_STEWARD_URL") or "http://127.0.0.1:8001/").rstrip("/") + "/",
        max_upload_bytes=int(_env("DDSS_STEWARD_MAX_UPLOAD_BYTES") or cfg.max_file_bytes),
        smtp_host=_env("DDSS_SMTP_HOST"),
        smtp_port=int(_env("DDSS_SMTP_PORT") or 25),
        smtp_tls=_smtp_tls(_env("DDSS_SMTP_TLS")),
        smtp_user=_env("DDSS_SMTP_USER"),
        smtp_password=_env("DDSS_SMTP_PASSWORD"),
        smtp_sender=_env("DDSS_SMTP_SENDER") or "ddss@localhost",
        airflow_url=_env("DDSS_AIRFLOW_URL"),
        airflow_username=_env("DDSS_AIRFLOW_USERNAME"),
        airflow_password=_env("DDSS_AIRFLOW_PASSWORD"),
        as_of=date.fromisoformat(as_of) if as_of else None,
        login_attempts=int(_env("DDSS_STEWARD_LOGIN_ATTEMPTS") or 5),
        upload_days=int(_env("DDSS_STEWARD_UPLOAD_DAYS") or 7),
    )
