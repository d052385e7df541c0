"""Accounts: argon2 hashes, never the password; the data office's CLI."""

import sqlite3

import pytest
from typer.testing import CliRunner

from ddss.steward.accounts import AccountError, AccountStore

PASSWORD = "a long enough password"


def test_the_store_keeps_an_argon2_hash_never_the_password(tmp_path):
    store = AccountStore(tmp_path / "accounts.sqlite3")
    store.add("clerk", "hanoi_health", PASSWORD)
    with sqlite3.connect(tmp_path / "accounts.sqlite3") as con:
        (stored,) = con.execute("select password_hash from accounts").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in (tmp_path / "accounts.sqlite3").read_bytes().decode("latin-1")
    assert store.authenticate("clerk", PASSWORD).department == "hanoi_health"
    assert store.authenticate("CLERK ", PASSWORD) is not None
    assert store.authenticate("clerk", PASSWORD + "x") is None
    assert store.authenticate("nobody", PASSWORD) is None
    assert oct((tmp_path / "accounts.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_disable_and_reset_change_the_generation_that_sessions_carry(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite3")
    store.add("clerk", "hanoi_health", PASSWORD)
    store.disable("clerk")
    assert store.authenticate("clerk", PASSWORD) is None
    assert store.get("clerk").generation == 2
    store.reset_password("clerk", "another long password")
    assert store.authenticate("clerk", PASSWORD) is None
    assert store.authenticate("clerk", "another long password").generation == 3


@pytest.mark.parametrize("name", ["", "Ông Ba", "a/b", "x" * 65, "../etc"])
def test_usernames_are_plain_ascii(tmp_path, name):
    with pytest.raises(AccountError):
        AccountStore(tmp_path / "a.sqlite3").add(name, "hanoi_health", PASSWORD)


def test_short_passwords_and_duplicates_are_refused(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite3")
    with pytest.raises(AccountError):
        store.add("clerk", "hanoi_health", "short")
    store.add("clerk", "hanoi_health", PASSWORD)
    with pytest.raises(AccountError):
        store.add("clerk", "hanoi_tax", PASSWORD)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DDSS_STEWARD_ACCOUNTS", str(tmp_path / "accounts.sqlite3"))
    monkeypatch.setenv("DDSS_STEWARD_DIR", str(tmp_path / "steward"))
    return tmp_path / "accounts.sqlite3"


def test_users_add_prompts_twice_and_never_echoes(cli_env):
    from ddss.steward.commands import users_app

    result = CliRunner().invoke(
        users_app,
        ["add", "--department", "hanoi_health", "clerk"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert AccountStore(cli_env).authenticate("clerk", PASSWORD) is not None


def test_users_add_generate_prints_the_password_once_and_it_works(cli_env):
    from ddss.steward.commands import users_app

    result = CliRunner().invoke(
        users_app, ["add", "--department", "hanoi_health", "--generate", "clerk"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert AccountStore(cli_env).authenticate("clerk", password) is not None


def test_users_add_refuses_an_unknown_department(cli_env):
    from ddss.steward.commands import users_app

    result = CliRunner().invoke(
        users_app, ["add", "--department", "nowhere", "--generate", "clerk"]
    )
    assert result.exit_code != 0
    assert AccountStore(cli_env).get("clerk") is None


def test_users_disable_and_reset_password(cli_env):
    from ddss.steward.commands import users_app

    AccountStore(cli_env).add("clerk", "hanoi_health", PASSWORD)
    assert CliRunner().invoke(users_app, ["disable", "clerk"]).exit_code == 0
    assert AccountStore(cli_env).authenticate("clerk", PASSWORD) is None
    result = CliRunner().invoke(users_app, ["reset-password", "--generate", "clerk"])
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert AccountStore(cli_env).authenticate("clerk", password) is not None
    assert CliRunner().invoke(users_app, ["disable", "ghost"]).exit_code == 1


def test_demo_accounts_one_per_department(cli_env):
    from ddss.data_contracts import source_contracts
    from ddss.steward.commands import demo_accounts

    store = AccountStore(cli_env)
    made = demo_accounts(store)
    assert {d for d, _, _ in made} == {c.department.id for c in source_contracts()}
    for department, username, password in made:
        assert store.authenticate(username, password).department == department
