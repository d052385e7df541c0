"""The campaign's summary: per group, cases tried / held / failed (a known defect waiting
for a change outside the ingest and check zones is an ``xfail`` and counts as failed), then
the totals. Printed by ``pytest_terminal_summary`` after pytest's own summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chaos.tally import GROUPS, TALLY
from ddss.settings import Settings


def _group(item: pytest.Item) -> str | None:
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module else ""
    return GROUPS.get(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    group = _group(item)
    if group is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):  # a known defect, reported; held if it passed
            TALLY.outcome(group, "held" if report.passed else "failed")
        elif report.skipped:
            TALLY.outcome(group, "skipped")
        elif report.passed:
            TALLY.outcome(group, "held")
        else:
            TALLY.outcome(group, "failed")


def pytest_terminal_summary(terminalreporter):
    if not TALLY.outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.section("chaos: reliability catalogue / danh mục độ tin cậy")
    write(f"{'group':<14} {'tried':>6} {'held':>6} {'failed':>7} {'skipped':>8}")
    total = {"tried": 0, "held": 0, "failed": 0, "skipped": 0}
    for group in sorted(TALLY.outcomes):
        counts = TALLY.outcomes[group]
        tried = sum(counts.values())
        total["tried"] += tried
        for key in ("held", "failed", "skipped"):
            total[key] += counts[key]
        write(
            f"{group:<14} {tried:>6} {counts['held']:>6} {counts['failed']:>7} "
            f"{counts['skipped']:>8}"
        )
    write(
        f"{'all':<14} {total['tried']:>6} {total['held']:>6} {total['failed']:>7} "
        f"{total['skipped']:>8}"
    )
    for line in TALLY.lines:
        write(line)
    write(f"runs: {TALLY.runs}")
    write(f"faults injected: {TALLY.faults}")
    write(f"rows lost: {TALLY.rows_lost}")
    write(f"rows doubled: {TALLY.rows_doubled}")
    write(f"publications changed by a failed run: {TALLY.publications_changed}")
    write(f"personal values reaching public/: {TALLY.personal_values_public}")


@pytest.fixture(scope="package")
def chaos_workspace(tmp_path_factory) -> Iterator[Settings]:
    """The campaign's pipeline workspace (``chaos.workspace``), attacks planted, run once,
    the tax department's API served on 127.0.0.1 while it lasts. Read-only for the cases:
    a case that changes things copies it first (``conftest.copy_workspace``)."""
    from chaos.attacks import SECRETS, plant
    from chaos.workspace import SCALE, SEED, build
    from ddss_demo.api_server import ApiServer
    from ddss_demo.generate import generate

    root = tmp_path_factory.mktemp("chaos")
    landing = root / "data" / "landing"
    generate(landing, seed=SEED, scale=SCALE)
    TALLY.runs += 1
    # Every run of the campaign sees the API and the planted secrets (no log or report may
    # show them) — the campaign's own fixtures too — until its package ends: a package
    # fixture, not a session one, or later tests would fetch the campaign's API.
    with ApiServer(landing / "_http") as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DDSS_API_URL", url)
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        yield build(root, url, plant)
