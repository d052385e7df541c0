"""`make clean` removes everything the pipeline wrote, also the read-only published
versions and raw files, for an owner who is not root."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import REPO

NOBODY = 65534


def test_make_clean_removes_read_only_versions_as_their_non_root_owner(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    version = tmp_path / "public" / "versions" / "20260101T000000Z"
    version.mkdir(parents=True)
    (version / "index.html").write_text("x")
    raw = tmp_path / "data" / "raw" / "ab"
    raw.mkdir(parents=True)
    (raw / "abcdef.csv").write_text("x")
    for path in (version / "index.html", raw / "abcdef.csv"):
        path.chmod(0o444)
    for path in (version, raw):
        path.chmod(0o555)
    command = ["make", "--no-print-directory", "clean"]
    if os.geteuid() == 0:  # act as an ordinary owner: root would delete regardless
        tmp_path.chmod(0o755)
        for path in [tmp_path, *tmp_path.rglob("*")]:
            os.lchown(path, NOBODY, NOBODY)
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "public").exists() and not (tmp_path / "data" / "raw").exists()
