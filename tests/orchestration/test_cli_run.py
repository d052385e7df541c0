"""`ddss run` as an engineer uses it: quiet by default, and an experimental run
(--no-publish) writes nothing public."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.slow
def test_a_quiet_experimental_run_reports_but_publishes_nothing(tmp_path, feeds):
    shutil.copytree(feeds, tmp_path / "data" / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDSS_", "AIRFLOW"))}
    env.update(DDSS_DATA_DIR=str(tmp_path / "data"), DDSS_PUBLIC_DIR=str(tmp_path / "public"))
    ddss = str(Path(sys.executable).with_name("ddss"))
    result = subprocess.run(
        [ddss, "run", "--run-id", "try-1", "--as-of", "2022-08-11", "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    lines = output.splitlines()
    # Was ~500 lines (GX INFO, dbt's progress with colour codes, a JSON dump).
    assert len(lines) <= 40, output
    assert not ANSI.search(output)
    assert not [line for line in lines if line.startswith("INFO")]
    assert "Lượt chạy / run try-1" in output and "--no-publish" in output
    assert re.search(r"Nhận / extract: 4[0-9] file\(s\), [0-9,]+ row\(s\) loaded", output), output
    # The first run of a workspace builds every dbt model, and says why.
    assert "dbt: dựng lại toàn bộ / full build (first run of the workspace" in output, output
    # Nothing public, no publication at all; the steward reports are written.
    assert not (tmp_path / "public").exists()
    assert len(list((tmp_path / "data" / "reports" / "try-1").glob("*/index.html"))) == 9
    logs = tmp_path / "data" / "warehouse" / "dbt_target" / "logs" / "dbt.log"
    assert logs.exists() and not ANSI.search(logs.read_text("utf-8", errors="replace"))

    # The same command again, nothing new: it says so, in a few lines, and writes nothing.
    again = subprocess.run(
        [ddss, "run", "--run-id", "try-2", "--as-of", "2022-08-11", "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "nothing new" in again.stdout and "try-1" in again.stdout, again.stdout
    assert len(again.stdout.splitlines()) <= 3
    assert not (tmp_path / "data" / "reports" / "try-2").exists()
