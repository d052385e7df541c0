"""The campaign's figures: cases tried / held / failed per group (filled in by the hooks of
``conftest``) and the totals the cases measure (filled in by the cases themselves)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

GROUPS = {
    "test_bad_inputs": "1 bad inputs",
    "test_faults": "2 faults",
    "test_airflow_kills": "2 faults",
    "test_attacks": "3 attacks",
    "test_load": "4 load",
}


@dataclass
class Tally:
    outcomes: dict[str, Counter] = field(default_factory=dict)
    # Pipeline or ``ddss`` processes started (checks, extracts, runs, fetches).
    runs: int = 0
    # Kills, full disks, concurrent runs, half-written files, misbehaving servers.
    faults: int = 0
    rows_lost: int = 0
    rows_doubled: int = 0
    publications_changed: int = 0  # by a failed or killed run
    personal_values_public: int = 0
    lines: list[str] = field(default_factory=list)  # measurements (latencies, ...)

    def outcome(self, group: str, result: str) -> None:
        self.outcomes.setdefault(group, Counter())[result] += 1


TALLY = Tally()
