"""Hà Nội department of natural resources and environment: land registration dossiers and
what was paid through the national portal, one CSV per month (with a byte-order mark) and
the control totals the department sends beside each."""

from __future__ import annotations

import random
from functools import partial

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Spec, emit, mistyped, rewritten
from ddss_demo.feeds.formats import CsvWriter
from ddss_demo.feeds.synthetic import (
    HANOI,
    MONTHS_2022,
    STREETS,
    days_of,
    person,
    split_total,
)

LAND = {"dossiers": 5_000, "paid_via_portal": 4_053, "amount_via_portal": 46_218_500_000}
PROCEDURES = [
    "Đăng ký biến động quyền sử dụng đất",
    "Cấp đổi Giấy chứng nhận",
    "Chuyển nhượng quyền sử dụng đất",
    "Tặng cho quyền sử dụng đất",
    "Thừa kế quyền sử dụng đất",
]
STEP = 500_000  # amounts are whole multiples of this


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["land_registration_payments"]
    rng = draw.rng
    wards = [w.code for w in wards_of(HANOI)]
    total = int(round(LAND["dossiers"] * draw.scale))
    portal = int(round(LAND["paid_via_portal"] * draw.scale))
    amount = int(round(LAND["amount_via_portal"] * draw.scale / STEP)) * STEP
    paid = [True] * portal + [False] * (total - portal)
    rng.shuffle(paid)
    amounts = iter([a * STEP for a in split_total(rng, amount // STEP, portal, low=2)])
    files: dict[str, list[dict]] = {}
    for i, via_portal in enumerate(paid):
        month = MONTHS_2022[i * len(MONTHS_2022) // total]
        p = person(rng)
        received = rng.choice(days_of(month))
        value = next(amounts) if via_portal else rng.randint(2, 40) * STEP
        row = {
            "dossier_id": f"HS-TNMT-{received:%y%m%d}-{i + 1:05d}",
            "ward_code": rng.choice(wards),
            "received_date": received,
            "procedure": rng.choice(PROCEDURES),
            "paid_via_portal": "Có" if via_portal else "Không",
            "amount_vnd": value,
            "applicant_name": p["name"],
            "applicant_id_number": p["citizen_id"],
            "parcel_address": f"Số {rng.randint(1, 200)} phố {rng.choice(STREETS)}",
        }
        files.setdefault(f"dang_ky_dat_dai_{received:%Y-%m}.csv", []).append(row)
    emit(draw, contract, files, LAND_DEFECTS, "dossier_id", writer=CsvWriter(bom=True))
    return {"land": {"dossiers": total, "paid_via_portal": portal, "amount_via_portal": amount}}


def _new_id(dossier: dict, rng: random.Random, serial: int) -> str:
    return f"{dossier['dossier_id']}-X{serial}"


_rewrite = partial(rewritten, "dossier_id", _new_id)


LAND_DEFECTS = [
    Spec("near_duplicate", "dossier_id", "sach", mistyped("dossier_id")),
    Spec("unknown_ward_code", "ward_code", "dung", _rewrite("ward_code", "99999")),
    Spec("pre_2025_ward_code_split", "ward_code", "dung", _rewrite("ward_code", "00079")),
    Spec("impossible_date", "received_date", "dung", _rewrite("received_date", "31/06/2022")),
    Spec("amount_not_a_number", "amount_vnd", "dung", _rewrite("amount_vnd", "12,5 triệu")),
    Spec("missing_required", "paid_via_portal", "du", _rewrite("paid_via_portal", "")),
]
