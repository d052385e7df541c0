"""``ddss users …`` (accounts, for the data office) and ``ddss steward`` (the workspace).

Passwords are prompted (hidden, twice) or generated and printed once; they are never
taken as a command-line argument, where shell history and process lists would keep them.
"""

from __future__ import annotations

from datetime import date

import typer

from ddss.settings import load_settings
from ddss.steward.accounts import AccountError, AccountStore, generate_password
from ddss.steward.settings import load_steward_settings

users_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Tài khoản cán bộ dữ liệu / stewards' accounts of the workspace.",
)


def _store() -> AccountStore:
    return AccountStore(load_steward_settings().accounts_db)


def _department(department: str) -> str:
    from ddss.steward.pipeline_files import departments

    known = departments(load_settings())
    if department not in known:
        raise typer.BadParameter(
            f"không có đơn vị / unknown department '{department}'. "
            f"Các đơn vị / departments: {', '.join(sorted(known))}"
        )
    return department


def _password(generate: bool) -> tuple[str, bool]:
    if generate:
        return generate_password(), True
    return typer.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True), False


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="Tên đăng nhập / username (a-z, 0-9, . _ -)."),
    department: str = typer.Option(..., "--department", help="Department id (departments.yml)."),
    email: str = typer.Option(None, help="Where notifications go (optional)."),
    generate: bool = typer.Option(
        False, "--generate", help="Generate the password and print it once instead of prompting."
    ),
) -> None:
    """Add a steward account of one department."""
    password, generated = _password(generate)
    try:
        account = _store().add(username, _department(department), password, email)
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã tạo / created: {account.username} ({account.department})")
    if generated:
        typer.echo(f"Mật khẩu (chỉ hiện một lần) / password (shown once): {password}")


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable an account; its open sessions end at once."""
    try:
        _store().disable(username)
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã khoá / disabled: {username}")


@users_app.command("reset-password")
def reset_password(
    username: str,
    generate: bool = typer.Option(
        False, "--generate", help="Generate the password and print it once instead of prompting."
    ),
) -> None:
    """Set a new password (and enable the account); its open sessions end."""
    password, generated = _password(generate)
    try:
        _store().reset_password(username, password)
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã đặt lại mật khẩu / password reset: {username}")
    if generated:
        typer.echo(f"Mật khẩu (chỉ hiện một lần) / password (shown once): {password}")


@users_app.command("list")
def list_accounts(department: str = typer.Option(None, "--department")) -> None:
    """Accounts (never their passwords)."""
    for account in _store().list(department):
        state = "active" if account.active else "disabled"
        typer.echo(f"{account.username}\t{account.department}\t{state}")


def demo_accounts(store: AccountStore) -> list[tuple[str, str, str]]:
    """One account per department (``<department>.demo``), created or given a new password;
    (department, username, password) to print once."""
    from ddss.steward.pipeline_files import departments

    out = []
    for department in sorted(departments(load_settings())):
        username = f"{department}.demo"
        password = generate_password()
        if store.get(username):
            store.reset_password(username, password)
        else:
            store.add(username, department, password)
        out.append((department, username, password))
    return out


def serve(
    port: int = typer.Option(8001, help="Port on 127.0.0.1."),
    demo: bool = typer.Option(
        False,
        "--demo-accounts",
        help="Create (or reset) one account per department and print its password.",
    ),
    notify_every: int = typer.Option(
        0,
        help="Send due e-mail notifications every N minutes (0: only with `ddss steward-notify`).",
    ),
) -> None:
    """Không gian cán bộ dữ liệu / the steward workspace on http://127.0.0.1:PORT."""
    import uvicorn

    from ddss.steward.app import create_app

    cfg = load_settings()
    steward = load_steward_settings(cfg)
    app = create_app(cfg, steward)
    if demo:
        typer.echo(
            "Tài khoản thử / demo accounts (mật khẩu chỉ hiện lần này / passwords shown once):"
        )
        for department, username, password in demo_accounts(app.state.ws.accounts):
            typer.echo(f"  {department:<20} {username:<28} {password}")
    if notify_every > 0:
        _notify_periodically(notify_every * 60)
    typer.echo(f"Không gian cán bộ dữ liệu / steward workspace: http://127.0.0.1:{port}/")
    # 127.0.0.1 only: a reverse proxy terminates HTTPS in front of it in production.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=True)


def _notify_periodically(seconds: int) -> None:
    import threading

    from ddss.steward.notify import notify as send_notifications

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(seconds):
            cfg = load_settings()
            try:
                send_notifications(cfg, load_steward_settings(cfg))
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                typer.echo(f"notifications: {type(exc).__name__}", err=True)

    threading.Thread(target=loop, daemon=True, name="steward-notify").start()


def notify(
    as_of: str = typer.Option(None, help="Judge deadlines as of YYYY-MM-DD (default today)."),
) -> None:
    """E-mail stewards what is new: rejected files, new quarantined rows, deadlines (run it
    after `ddss run`; under Airflow the steward_notify DAG does it after each publication)."""
    from ddss.steward.notify import after_run

    cfg = load_settings()
    sent = after_run(cfg, load_steward_settings(cfg), date.fromisoformat(as_of) if as_of else None)
    typer.echo(f"Đã gửi / sent: {len(sent)} thông báo / notices")
