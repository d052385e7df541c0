"""`ddss serve`: one server on 127.0.0.1 with the portal at / and the API at /api/v1/."""

from __future__ import annotations

import subprocess

import httpx

from .conftest import ddss_serve


def test_ddss_serve_answers_the_portal_and_the_api(published):
    with ddss_serve(published.public_dir) as served:
        base, port = served.base, served.base.rsplit(":", 1)[1]
        portal = httpx.get(f"{base}/")
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
    assert f"http://127.0.0.1:{port}/" in served.output and "/api/v1/" in served.output
