"""Reference lists of administrative units, each unit with the dates it was in force.

Two lists, split by the 1 July 2025 reform (Resolution 1656/NQ-UBTVQH15 and its peers):

- the wards and communes after it (``wards()``), from the installed vietnam-provinces
  release: in force from 2025-07-01, with no end yet;
- the units in force until 30 June 2025 (``pre_reform_wards()``, ``pre_reform_wards.csv``),
  each with the new ward it moved into whole or the new wards it was split between.

A row is checked against the list in force at its own date (``valid_from <= date <
valid_to``), so a 2022 row carrying its 2022 code is correct, and coverage of a 2022 period
expects the units of 2022. What the pre-2025 list cannot know: it is the list as it stood
on 30 June 2025 (vietnamadminunits' ``admin_units_legacy``), so the commune mergers of
2019–2025 before it are not in it, and each of its units has no start date (``valid_from``
is null: "in force before the reform"). A row of 2022 naming a commune merged away in 2023
is therefore unknown, not correct.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import vietnam_provinces

# The day the two-tier reform's lists came into force.
REFORM_DATE = date(2025, 7, 1)


@dataclass(frozen=True)
class Ward:
    code: str  # 5 digits, zero-padded, as in the national list
    name: str
    province_code: str  # 2 digits
    province_name: str


@dataclass(frozen=True)
class WardUnit:
    """A unit of one of the lists, with the dates it was in force and what it became."""

    code: str
    name: str
    province_code: str  # the province after the reform (whose department reports it)
    province_name: str
    valid_from: date | None  # None: in force since before the list's source knows
    valid_to: date | None  # None: still in force; else the first day it no longer was
    district: str = ""  # pre-reform units only (districts were abolished)
    successor_mapping: str = ""  # pre-reform units: 'whole' or 'split'
    successors: tuple[str, ...] = ()  # pre-reform units: the new ward(s) it became

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )


@lru_cache(maxsize=1)
def wards() -> tuple[Ward, ...]:
    provinces = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    return tuple(
        Ward(
            code=f"{w['code']:05d}",
            name=w["name"],
            province_code=f"{p['code']:02d}",
            province_name=p["name"],
        )
        for p in provinces
        for w in p["wards"]
    )


def wards_of(province_code: str) -> tuple[Ward, ...]:
    return tuple(w for w in wards() if w.province_code == province_code)


@lru_cache(maxsize=1)
def ward_units() -> tuple[WardUnit, ...]:
    """Every unit of both lists with its validity: the pre-reform units, then today's."""
    provinces = {w.province_code: w.province_name for w in wards()}
    before = tuple(
        WardUnit(
            code=row["code"],
            name=row["name"],
            province_code=row["province_code"],
            province_name=provinces[row["province_code"]],
            valid_from=None,
            valid_to=REFORM_DATE,
            district=row["district"],
            successor_mapping=row["mapping"],
            successors=tuple(row["successors"].split()),
        )
        for row in pre_reform_wards()
    )
    after = tuple(
        WardUnit(w.code, w.name, w.province_code, w.province_name, REFORM_DATE, None)
        for w in wards()
    )
    return before + after


def wards_in_force(province_code: str, on: date) -> tuple[WardUnit, ...]:
    """The units of the province (as it is today) in force on ``on``."""
    return tuple(u for u in ward_units() if u.province_code == province_code and u.in_force(on))


def load_reference_tables(con) -> None:
    """(Re)write the reference tables: ``raw.ref_wards`` (today's wards, with their validity),
    ``raw.ref_ward_units`` (every unit of both lists, with validity and successors) and
    ``raw.ref_legacy_wards`` (the crosswalk of pre-2025 codes that are not current)."""
    import pyarrow as pa

    def write(table_name: str, table: pa.Table) -> None:
        con.register("ref_incoming", table)
        con.execute(f"create or replace table raw.{table_name} as select * from ref_incoming")
        con.unregister("ref_incoming")

    current = wards()
    write(
        "ref_wards",
        pa.table(
            {
                "ward_code": [w.code for w in current],
                "ward_name": [w.name for w in current],
                "province_code": [w.province_code for w in current],
                "province_name": [w.province_name for w in current],
                "valid_from": pa.array([REFORM_DATE] * len(current), pa.date32()),
                "valid_to": pa.array([None] * len(current), pa.date32()),
            }
        ),
    )
    # Successors and predecessors carry "code name, code name" for the steward's message.
    names = {w.code: w.name for w in current}

    def named(codes) -> str:
        return ", ".join(f"{code} {names.get(code, '?')}" for code in codes)

    units = ward_units()
    predecessors: dict[str, list[str]] = {}
    for u in units:
        for code in u.successors:
            predecessors.setdefault(code, []).append(f"{u.code} {u.name}")
    write(
        "ref_ward_units",
        pa.table(
            {
                "unit_code": [u.code for u in units],
                "unit_name": [u.name for u in units],
                "district_name": [u.district or None for u in units],
                "province_code": [u.province_code for u in units],
                "province_name": [u.province_name for u in units],
                "valid_from": pa.array([u.valid_from for u in units], pa.date32()),
                "valid_to": pa.array([u.valid_to for u in units], pa.date32()),
                "successor_mapping": [u.successor_mapping or None for u in units],
                "successor_codes": [" ".join(u.successors) or None for u in units],
                "successor_names": [named(u.successors) or None for u in units],
                "predecessor_names": [
                    ", ".join(predecessors.get(u.code, [])) or None
                    if u.valid_from is not None
                    else None
                    for u in units
                ],
            }
        ),
    )
    legacy = legacy_wards()
    write(
        "ref_legacy_wards",
        pa.table(
            {
                **{column: [row[column] for row in legacy] for column in LEGACY_COLUMNS},
                "candidate_names": [named(row["candidates"].split()) for row in legacy],
            }
        ),
    )


# Pre-2025 ward codes and where they went on 1 July 2025, for all 34 provinces: "whole"
# when the old ward moved entirely into one new ward (mapped), "split" when it was divided
# between several (the steward must choose; flagged, with the candidates listed). Built by
# ``ddss legacy-wards`` (ddss_demo.crosswalk, dev tools) from the crosswalk that the
# ``vietnamadminunits`` package publishes,
# joined to vietnam-provinces' new wards by name. Old codes that a new ward reuses are
# simply current and are left out.
LEGACY_WARDS = Path(__file__).resolve().parent / "legacy_wards.csv"
LEGACY_COLUMNS = (
    "old_code",
    "old_name",
    "old_district",
    "old_province",
    "province_code",
    "new_code",
    "mapping",
    "candidates",
)

# The whole list in force until 30 June 2025 (10,035 units of 63 provinces), reused codes
# included, each with the new ward(s) it became; built by ``ddss legacy-wards`` beside the
# crosswalk from the same source. province_code is the province after the reform (the
# department that reports the unit today); old_province_code the one before it.
PRE_REFORM_WARDS = Path(__file__).resolve().parent / "pre_reform_wards.csv"
PRE_REFORM_COLUMNS = (
    "code",
    "name",
    "district",
    "province",
    "old_province_code",
    "province_code",
    "mapping",
    "successors",
)


def _read_csv(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def legacy_wards() -> list[dict]:
    return _read_csv(LEGACY_WARDS)


@lru_cache(maxsize=1)
def _pre_reform_rows() -> tuple[dict, ...]:
    return tuple(_read_csv(PRE_REFORM_WARDS))


def pre_reform_wards() -> list[dict]:
    return [dict(row) for row in _pre_reform_rows()]
