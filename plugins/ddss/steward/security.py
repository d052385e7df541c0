"""Sessions, CSRF tokens and the login rate limit.

The session is a cookie signed with itsdangerous (HttpOnly, SameSite=Lax, Secure when the
workspace is served over HTTPS) holding the username, the account's generation and the
session's CSRF token; the account is looked up on every request, so disabling it or
resetting its password ends its sessions at once. Before sign-in the login form carries a
token of its own (double-submit cookie), so a form on another site cannot sign a clerk in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "ddss_steward"
LOGIN_COOKIE = "ddss_login"


@dataclass(frozen=True)
class Session:
    username: str
    generation: int
    csrf: str


class Sessions:
    def __init__(self, secret: str, max_age: int):
        self._signer = URLSafeTimedSerializer(secret, salt="ddss-steward-session")
        self._login_signer = URLSafeTimedSerializer(secret, salt="ddss-steward-login")
        self.max_age = max_age

    def issue(self, username: str, generation: int) -> tuple[str, Session]:
        session = Session(username, generation, secrets.token_urlsafe(32))
        value = self._signer.dumps(
            {"u": session.username, "g": session.generation, "c": session.csrf}
        )
        return value, session

    def read(self, value: str | None) -> Session | None:
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        return Session(str(data.get("u")), int(data.get("g", -1)), str(data.get("c")))

    def login_token(self) -> tuple[str, str]:
        """(cookie value, form token) for the sign-in form."""
        token = secrets.token_urlsafe(32)
        return self._login_signer.dumps(token), token

    def login_token_ok(self, cookie: str | None, form_token: str | None) -> bool:
        if not cookie or not form_token:
            return False
        try:
            token = self._login_signer.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return hmac.compare_digest(str(token), form_token)


def csrf_ok(expected: str, form_token: str | None) -> bool:
    """The form's token is the session's (compared in constant time)."""
    return bool(form_token) and hmac.compare_digest(expected, str(form_token))


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per (username, client address) in ``window``
    seconds; then that pair waits. Kept in memory: the workspace runs as one process."""

    def __init__(self, attempts: int, window: int):
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, username: str, address: str) -> int:
        """Seconds to wait before the next attempt (0: may try now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent((username.lower(), address), now)
            if len(failures) < self.attempts:
                return 0
            return int(failures[0] + self.window - now) + 1

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address), time.monotonic()).append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
