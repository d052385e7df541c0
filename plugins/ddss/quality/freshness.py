"""Sống (live): is every period the dataset owes by now in the warehouse?

Each contract declares its update period (ISO 8601, P1M or P1Y), the first period, and how
to read a file's period from its name. A period is due ``deadline_days`` after it ends.
The reference date is the pipeline run's logical date, never the wall clock, so a re-run
of an old interval gives the same answer.

A period arrived late when its first file reached the landing folder (the file's
modification time, kept in the archive manifest) after its due date. Score: a period on
time counts 1, a late one 0.5, a missing one 0. A file whose arrival is after the run's
logical date (a back-filled run) cannot be judged late by that run and counts as on time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ddss.data_contracts import Contract


@dataclass
class Freshness:
    as_of: date
    expected: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)  # {"period", "due"}
    late: list[dict] = field(default_factory=list)  # {"period", "due", "arrived", "days_late"}

    @property
    def score(self) -> float | None:
        if not self.expected:
            return None
        late = {m["period"] for m in self.late}
        points = sum(0.5 if p in late else 1.0 for p in self.expected if p in self.received)
        return round(100.0 * points / len(self.expected), 2)

    @property
    def stale(self) -> bool:
        return bool(self.expected) and self.expected[-1] not in self.received


def _period_end(period: str, update_period: str) -> date:
    if update_period == "P1M":
        year, month = map(int, period.split("-"))
        first_next = date(year + (month == 12), month % 12 + 1, 1)
        return first_next - timedelta(days=1)
    if update_period == "P1Y":
        return date(int(period), 12, 31)
    raise ValueError(f"update period {update_period} is not supported yet")


def _next(period: str, update_period: str) -> str:
    if update_period == "P1M":
        year, month = map(int, period.split("-"))
        return f"{year + (month == 12)}-{month % 12 + 1:02d}"
    return str(int(period) + 1)


def due_date(period: str, contract: Contract) -> date:
    return _period_end(period, contract.update_period) + timedelta(days=contract.deadline_days)


def expected_periods(contract: Contract, as_of: date) -> list[str]:
    if not contract.first_period:
        return []
    periods, period = [], contract.first_period
    while due_date(period, contract) <= as_of:
        periods.append(period)
        period = _next(period, contract.update_period)
    return periods


def file_period(contract: Contract, file_name: str) -> str | None:
    if not contract.source or not contract.source.period_regex:
        return None
    match = re.search(contract.source.period_regex, file_name)
    return match.group(1) if match else None


def freshness(con, contract: Contract, as_of: date) -> Freshness:
    files = con.execute(
        "select file_name, arrived_at from meta.loaded_files where dataset = ?", [contract.id]
    ).fetchall()
    arrived: dict[str, date | None] = {}
    for name, when in files:
        period = file_period(contract, name)
        if not period:
            continue
        day = date.fromisoformat(when[:10]) if when else None
        earlier = arrived.get(period)
        if period not in arrived or (day and (earlier is None or day < earlier)):
            arrived[period] = day
    received = sorted(arrived)
    result = Freshness(as_of=as_of, expected=expected_periods(contract, as_of), received=received)
    result.missing = [
        {"period": p, "due": due_date(p, contract).isoformat()}
        for p in result.expected
        if p not in received
    ]
    for period in result.expected:
        day, due = arrived.get(period), due_date(period, contract)
        if day and due < day <= as_of:
            result.late.append(
                {
                    "period": period,
                    "due": due.isoformat(),
                    "arrived": day.isoformat(),
                    "days_late": (day - due).days,
                }
            )
    return result
