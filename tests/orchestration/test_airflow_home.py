"""The project's Airflow home: configured in full (plain `airflow` commands see the project's
DAGs, no examples, workers sized to the machine, loopback only), and `ddss airflow-ui`
stops everything it started on Ctrl-C."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, settings_for
from ddss.orchestration import airflow_env


def _config(home: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(home / "airflow.cfg")
    return parser


def test_the_home_is_configured_for_the_project_and_keeps_its_secrets(tmp_path):
    cfg = settings_for(tmp_path)
    env = airflow_env.environment(cfg, tmp_path / "airflow")
    first = _config(tmp_path / "airflow")
    assert first["core"]["dags_folder"] == str(REPO / "dags")
    assert first["core"]["load_examples"] == "False"
    assert first["core"]["parallelism"] == str(os.cpu_count())
    assert first["api"]["host"] == "127.0.0.1"
    secret = first["api_auth"]["jwt_secret"]
    airflow_env.environment(cfg, tmp_path / "airflow")  # rewritten: the secret is kept
    assert _config(tmp_path / "airflow")["api_auth"]["jwt_secret"] == secret
    assert oct((tmp_path / "airflow" / "airflow.cfg").stat().st_mode & 0o777) == "0o600"
    # A plain `airflow` command with only AIRFLOW_HOME set sees the same configuration.
    plain = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    plain["AIRFLOW_HOME"] = env["AIRFLOW_HOME"]
    airflow = str(Path(sys.executable).with_name("airflow"))
    for key, expected in (("dags_folder", str(REPO / "dags")), ("load_examples", "False")):
        out = subprocess.run(
            [airflow, "config", "get-value", "core", key],
            env=plain,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip().splitlines()[-1] == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(root: int) -> set[int]:
    """Every live process below ``root`` (from /proc's parent ids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _listening(pids: set[int]) -> list[str]:
    """Local addresses of the TCP sockets these processes listen on (from /proc)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in (Path("/proc") / str(pid) / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except (FileNotFoundError, PermissionError):
            pass
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.append(fields[1])
    return addresses


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


@pytest.mark.slow
def test_airflow_ui_listens_on_loopback_only_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        DDSS_DATA_DIR=str(tmp_path / "data"),
        DDSS_PUBLIC_DIR=str(tmp_path / "public"),
    )
    ddss = str(Path(sys.executable).with_name("ddss"))
    process = subprocess.Popen(
        [ddss, "airflow-ui", "--port", str(port)],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    pids: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=2):
                    break
            except OSError:
                time.sleep(2)
        else:
            pytest.fail("the API server did not answer within 180 s")
        time.sleep(5)  # let the scheduler start its workers
        pids = _descendants(process.pid)
        workers = [p for p in pids if b"LocalExecutor" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(workers) <= (os.cpu_count() or 1)
        addresses = _listening(pids)
        assert addresses and all(a.split(":")[0] in LOOPBACK for a in addresses), addresses
        pids = _descendants(process.pid)  # the scheduler's workers too, now that they run
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        process.wait(timeout=60)
        time.sleep(1)
        assert _alive(pids) == set()
    finally:
        leftovers = _alive(_descendants(process.pid) | pids)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
