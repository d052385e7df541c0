"""A stand-in for Airflow 3's REST API on 127.0.0.1 (a real HTTP server, not a mock of the
client): ``POST /auth/token`` gives a JWT for the right credentials, ``POST
/api/v2/dags/<dag>/dagRuns`` needs it. Every request is recorded."""

from __future__ import annotations

import http.server
import json
import threading

from http_servers import JsonHandler

TOKEN = "jwt-for-tests"


class AirflowStub:
    def __init__(self, username: str, password: str):
        self.requests: list[dict] = []
        stub = self

        class Handler(JsonHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                if self.path == "/auth/token":
                    if body == {"username": username, "password": password}:
                        return self.send_json(201, {"access_token": TOKEN})
                    return self.send_json(401, {"detail": "Invalid credentials"})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.send_json(401, {"detail": "Not authenticated"})
                if self.path.startswith("/api/v2/dags/") and self.path.endswith("/dagRuns"):
                    return self.send_json(
                        200, {"dag_run_id": "manual__steward-1", "state": "queued"}
                    )
                return self.send_json(404, {"detail": "Not Found"})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> AirflowStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
