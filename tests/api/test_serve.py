"""`ddss serve`: one server on 127.0.0.1 with the portal at / and the API at /api/v1/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DDSS = Path(sys.executable).with_name("ddss")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ddss_serve_answers_the_portal_and_the_api(published):
    port = _free_port()
    env = {**os.environ, "DDSS_PUBLIC_DIR": str(published.public_dir)}
    process = subprocess.Popen(
        [str(DDSS), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                portal = httpx.get(f"{base}/")
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.communicate()[0]
                time.sleep(0.1)
        assert portal.status_code == 200
        assert portal.text == (published.public_dir / "index.html").read_text("utf-8")
        listing = httpx.get(f"{base}/api/v1/datasets").json()
        assert listing["current"] is True and len(listing["datasets"]) >= 10
        rows = httpx.get(f"{base}/api/v1/datasets/dossier_indicators/rows?_format=csv")
        assert rows.status_code == 200 and rows.headers["content-type"].startswith("text/csv")
        # Loopback only: the listening socket is bound to 127.0.0.1, not to every address.
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
        if listening:  # State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
            assert {line.split()[3] for line in listening.splitlines()} == {f"127.0.0.1:{port}"}
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}/" in output and "/api/v1/" in output
