"""Stewards' accounts: one SQLite file, passwords hashed with argon2 (pwdlib).

A password is never stored, logged or echoed: only its hash. Each account belongs to one
department. ``generation`` changes when the password is reset or the account disabled, and
every session carries the generation it was opened with, so either ends open sessions.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_HASHER = PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a
    wrong password (no user enumeration by timing). Made on first use, not at import."""
    return _HASHER.hash(secrets.token_urlsafe(16))


USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
MIN_PASSWORD = 12

SCHEMA = """
create table if not exists accounts (
    username text primary key,
    department text not null,
    email text,
    password_hash text not null,
    active integer not null default 1,
    generation integer not null default 1,
    created_at text not null,
    updated_at text not null
)
"""


class AccountError(ValueError):
    """A bilingual message for the data office (unknown user, bad name, short password)."""


@dataclass(frozen=True)
class Account:
    username: str
    department: str
    email: str | None
    active: bool
    generation: int


def generate_password() -> str:
    """A password a clerk can type: 4 groups of 5 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 64 or not set(name) <= USERNAME_CHARS:
        raise AccountError(
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, '.', '_' hoặc '-' (tối đa 64). / "
            "A username is lowercase ASCII letters, digits, '.', '_' or '-' (at most 64)."
        )
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự. / "
            f"A password needs at least {MIN_PASSWORD} characters."
        )


class AccountStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(SCHEMA)
        path.chmod(0o600)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            with con:
                yield con
        finally:
            con.close()

    def get(self, username: str) -> Account | None:
        with self._connect() as con:
            row = con.execute(
                "select username, department, email, active, generation from accounts"
                " where username = ?",
                [username.strip().lower()],
            ).fetchone()
        return Account(row[0], row[1], row[2], bool(row[3]), row[4]) if row else None

    def list(self, department: str | None = None) -> list[Account]:
        with self._connect() as con:
            rows = con.execute(
                "select username, department, email, active, generation from accounts"
                " where ? is null or department = ? order by username",
                [department, department],
            ).fetchall()
        return [Account(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    def add(
        self, username: str, department: str, password: str, email: str | None = None
    ) -> Account:
        name = check_username(username)
        _check_password(password)
        if self.get(name):
            raise AccountError(f"Tài khoản '{name}' đã có. / Account '{name}' already exists.")
        now = _now()
        with self._connect() as con:
            con.execute(
                "insert into accounts (username, department, email, password_hash, created_at,"
                " updated_at) values (?, ?, ?, ?, ?, ?)",
                [name, department, email, _HASHER.hash(password), now, now],
            )
        return Account(name, department, email, True, 1)

    def _require(self, username: str) -> Account:
        account = self.get(username)
        if account is None:
            raise AccountError(f"Không có tài khoản '{username}'. / No account '{username}'.")
        return account

    def disable(self, username: str) -> None:
        account = self._require(username)
        with self._connect() as con:
            con.execute(
                "update accounts set active = 0, generation = generation + 1, updated_at = ?"
                " where username = ?",
                [_now(), account.username],
            )

    def reset_password(self, username: str, password: str) -> None:
        """A new password (and the account active again); open sessions end."""
        account = self._require(username)
        _check_password(password)
        with self._connect() as con:
            con.execute(
                "update accounts set password_hash = ?, active = 1, generation = generation + 1,"
                " updated_at = ? where username = ?",
                [_HASHER.hash(password), _now(), account.username],
            )

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password is right and the account active; None otherwise."""
        with self._connect() as con:
            row = con.execute(
                "select password_hash from accounts where username = ?", [username.strip().lower()]
            ).fetchone()
        if row is None:
            _HASHER.verify(password, _dummy_hash())
            return None
        if not _HASHER.verify(password, row[0]):
            return None
        account = self.get(username)
        return account if account and account.active else None
