"""Reference lists: administrative units after the 1 July 2025 reform (vietnam-provinces)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import vietnam_provinces


@dataclass(frozen=True)
class Ward:
    code: str  # 5 digits, zero-padded, as in the national list
    name: str
    province_code: str  # 2 digits
    province_name: str


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


def load_reference_tables(con) -> None:
    """(Re)write ``raw.ref_wards`` from the installed vietnam-provinces release."""
    import pyarrow as pa

    table = pa.table(
        {
            "ward_code": [w.code for w in wards()],
            "ward_name": [w.name for w in wards()],
            "province_code": [w.province_code for w in wards()],
            "province_name": [w.province_name for w in wards()],
        }
    )
    con.register("ref_wards_incoming", table)
    con.execute("create or replace table raw.ref_wards as select * from ref_wards_incoming")
    con.unregister("ref_wards_incoming")
    # Split wards carry their candidates as "code name, code name" for the steward's message.
    names = {w.code: w.name for w in wards()}
    legacy = legacy_wards()
    table = pa.table(
        {
            **{column: [row[column] for row in legacy] for column in LEGACY_COLUMNS},
            "candidate_names": [
                ", ".join(f"{code} {names.get(code, '?')}" for code in row["candidates"].split())
                for row in legacy
            ],
        }
    )
    con.register("ref_legacy_incoming", table)
    con.execute("create or replace table raw.ref_legacy_wards as select * from ref_legacy_incoming")
    con.unregister("ref_legacy_incoming")


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


def legacy_wards() -> list[dict]:
    import csv

    with LEGACY_WARDS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
