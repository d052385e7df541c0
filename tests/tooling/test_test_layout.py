"""The test tree collects in CI as it does on a laptop (pytest's default "prepend" import
mode): a folder with its own conftest.py is a package, or its conftest is imported as the
top-level ``conftest`` and hides the root one; and two test files outside packages never
share a basename (the second "does not match" and the whole run stops at collection)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_folder_with_a_conftest_is_a_package():
    folders = {p.parent for p in TESTS.rglob("conftest.py") if p.parent != TESTS}
    assert [f for f in folders if not (f / "__init__.py").exists()] == []


def test_test_files_outside_packages_have_unique_names():
    loose = [p for p in TESTS.rglob("test_*.py") if not (p.parent / "__init__.py").exists()]
    twice = [name for name, n in Counter(p.name for p in loose).items() if n > 1]
    assert twice == []
