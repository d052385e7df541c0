"""Hà Nội department of health: e-health records opened and linked per ward and month, in
Windows-1258 with free-text notes; one ward's June row comes late, in July's file."""

from __future__ import annotations

import random

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Found, Spec, emit
from ddss_demo.feeds.synthetic import HANOI, MONTHS_2022, period_label, person


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["electronic_health_records"]
    rng = draw.rng
    wards = [w.code for w in wards_of(HANOI)]
    whole = max(1, round(draw.scale))  # counts per ward grow by whole multiples
    files: dict[str, list[dict]] = {}
    for month in MONTHS_2022:
        files[f"ho_so_suc_khoe_{month}.csv"] = [
            {
                "ward_code": w,
                "period": period_label(month),
                "records_opened": (opened := rng.randint(40, 400) * whole),
                "records_linked": int(opened * rng.uniform(0.55, 0.95)),
                "note": rng.choice(["", "", "", "Đã rà soát"]),
            }
            for w in wards
        ]
    # A record that arrives late: June's row for one ward comes in July's file (clean data).
    june, july = list(files.values())[-2:]
    late = june.pop(rng.randrange(len(june)))
    july.append(late)
    # It is late wherever it (or a copy made from it) is written: same ward, its own period.
    came_late = Found(
        "late_record",
        "period",
        "song",
        lambda r: (r["ward_code"], r["period"]) == (late["ward_code"], late["period"]),
    )
    emit(draw, contract, files, HEALTH_DEFECTS, "ward_code", found=[came_late])
    opened = sum(r["records_opened"] for rows in files.values() for r in rows)
    return {"health_records_opened": opened}


def _note(r: dict, rng: random.Random, s: int) -> dict:
    p = person(rng)
    return {**r, "note": f"Liên hệ anh {p['name']} {p['phone']} để bổ sung"}


HEALTH_DEFECTS = [
    Spec("personal_data_in_free_text", "note", "sach", _note, in_place=True),
    Spec(
        "linked_exceeds_opened",
        "records_linked",
        "dung",
        lambda r, rng, s: {**r, "records_linked": r["records_opened"] + 7},
    ),
    Spec(
        "near_duplicate",
        "ward_code",
        "sach",
        lambda r, rng, s: {**r, "ward_code": f" {r['ward_code']}"},
    ),
]
