"""Hà Nội city police: VNeID activations, one CSV row per person and month (person-level:
kept in the warehouse, only its aggregates are published)."""

from __future__ import annotations

import random

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Make, NewKey, Spec, copied, emit, rewritten
from ddss_demo.feeds.synthetic import HANOI, MONTHS_2022, days_of, person

ACTIVATIONS_PER_MONTH = 2_000


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["vneid_activations"]
    rng = draw.rng
    wards = [w.code for w in wards_of(HANOI)]
    files: dict[str, list[dict]] = {}
    serial = 0
    for month in MONTHS_2022:
        rows = []
        for _ in range(int(round(ACTIVATIONS_PER_MONTH * draw.scale))):
            serial += 1
            p = person(rng)
            rows.append(
                {
                    "citizen_id": p["citizen_id"][:6] + f"{serial:06d}",
                    "full_name": p["name"],
                    "birth_date": p["birth_date"],
                    "sex": "Nữ" if p["female"] else "Nam",
                    "phone": p["phone"],
                    "ward_code": rng.choice(wards),
                    "activated_on": rng.choice(days_of(month)),
                    "account_level": rng.choice("1222"),
                }
            )
        files[f"kich_hoat_vneid_{month}.csv"] = rows
    emit(draw, contract, files, VNEID_DEFECTS, "citizen_id")
    return {"vneid_activations": sum(len(v) for v in files.values())}


def _new_id(digit: str) -> NewKey:
    """Another citizen ID of the same province, century and year (never a clean row's)."""
    return lambda r, rng, s: r["citizen_id"][:6] + f"{digit}{s:05d}"


def _other_sex(r: dict, rng: random.Random, s: int) -> dict:
    """The sex digit of the ID no longer agrees with the sex column."""
    return {**r, "sex": "Nam" if r["sex"] == "Nữ" else "Nữ", "citizen_id": _new_id("9")(r, rng, s)}


def _rewrite(digit: str, column: str, value: object) -> Make:
    return rewritten("citizen_id", _new_id(digit), column, value)


VNEID_DEFECTS = [
    Spec("duplicate_row", "citizen_id", "sach", copied),
    Spec(
        "citizen_id_wrong_length",
        "citizen_id",
        "dung",
        lambda r, rng, s: {**r, "citizen_id": r["citizen_id"][:11]},
    ),
    Spec("citizen_id_inconsistent", "citizen_id", "dung", _other_sex),
    Spec("invalid_phone", "phone", "dung", _rewrite("8", "phone", "0123 456")),
    Spec("impossible_date", "activated_on", "dung", _rewrite("7", "activated_on", "31/06/2022")),
    Spec("unknown_ward_code", "ward_code", "dung", _rewrite("6", "ward_code", "99999")),
]
