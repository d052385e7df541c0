"""``ddss steward --demo-accounts`` (the function the CLI registers): one account per
department printed once, served on 127.0.0.1 only."""

import os
import re
import socket
import subprocess
import sys
import time

import httpx

from conftest import REPO
from ddss.data_contracts import source_contracts

LAUNCH = (
    "import typer\n"
    "from ddss.steward.commands import serve\n"
    "app = typer.Typer()\n"
    "app.command()(serve)\n"
    "app()\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _other_address() -> str | None:
    """An address of this machine that is not loopback (None when there is none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_serve_prints_demo_accounts_and_listens_on_loopback_only(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DDSS_HOME": str(REPO),
        "DDSS_DATA_DIR": str(tmp_path / "data"),
        "DDSS_PUBLIC_DIR": str(tmp_path / "public"),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--port", str(port), "--demo-accounts"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "steward workspace:" in line:
                break
        accounts = [line.split() for line in lines if ".demo" in line]
        assert {a[0] for a in accounts} == {c.department.id for c in source_contracts()}
        for _ in range(100):
            try:
                login = httpx.get(f"http://127.0.0.1:{port}/login")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert login.status_code == 200 and "Đăng nhập" in login.text
        department, username, password = accounts[0]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            signed_in = client.post(
                "/login",
                data={"username": username, "password": password, "csrf_token": token},
                follow_redirects=True,
            )
            assert signed_in.status_code == 200 and "/dashboard" in str(signed_in.url)
        other = _other_address()
        if other:
            with socket.socket() as probe:
                probe.settimeout(1)
                assert probe.connect_ex((other, port)) != 0, "listening beyond loopback"
        # The passwords are shown at start only: the accounts file holds hashes.
        stored = (tmp_path / "data" / "steward" / "accounts.sqlite3").read_bytes()
        assert password.encode() not in stored
    finally:
        process.terminate()
        process.wait(10)
