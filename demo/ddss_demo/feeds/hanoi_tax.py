"""Hà Nội tax department (Cục Thuế): taxpayers' use of e-services and eTax Mobile accounts,
served from its paginated JSON API (not dropped as files)."""

from __future__ import annotations

import random

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Make, Spec, copied, emit, pre_2025_ward_code, rewritten
from ddss_demo.feeds.synthetic import HANOI, person, scaled, split_total, tax_code

PERIOD = "2022-07"
TAX = {
    "enterprises": 5_000,
    "enterprises_e_filing": 4_975,
    "enterprises_e_payment": 4_956,
    "enterprises_e_invoice": 4_958,
    "households": 5_000,
    "households_e_filing": 4_900,
    "households_e_payment": 4_850,
    "households_e_invoice": 4_999,
    "inactive": 300,
}
ETAX_MOBILE_ACCOUNTS = 61_917
PREFIXES = {"doanh_nghiep": "01", "ho_kinh_doanh": "80"}  # of a tax code: enterprise, household


def _flags(rng: random.Random, total: int, *trues: int) -> list[tuple]:
    """``total`` tuples of booleans, the i-th field true in exactly ``trues[i]`` of them."""
    columns = [[True] * t + [False] * (total - t) for t in trues]
    for c in columns:
        rng.shuffle(c)
    return list(zip(*columns, strict=True))


def _taxpayer(
    rng: random.Random, wards: list[str], used: set[str], kind: str, status: str, flags: tuple
) -> dict:
    p = person(rng)
    e_filing, e_payment, e_invoice = flags
    return {
        "tax_code": tax_code(rng, PREFIXES[kind], used),
        "taxpayer_type": kind,
        "ward_code": rng.choice(wards),
        "status": status,
        "e_filing": e_filing,
        "e_payment": e_payment,
        "e_invoice": e_invoice,
        "representative_name": p["name"],
        "representative_phone": p["phone"],
    }


def build_taxpayers(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["taxpayer_e_services"]
    rng = draw.rng
    wards = [w.code for w in wards_of(HANOI)]
    n = scaled(TAX, draw.scale)
    rows = []
    used: set[str] = set()
    for kind, group in (("doanh_nghiep", "enterprises"), ("ho_kinh_doanh", "households")):
        trues = (n[f"{group}_e_filing"], n[f"{group}_e_payment"], n[f"{group}_e_invoice"])
        for flags in _flags(rng, n[group], *trues):
            rows.append(_taxpayer(rng, wards, used, kind, "dang_hoat_dong", flags))
    for _ in range(n["inactive"]):
        no_services = (False, False, False)
        rows.append(_taxpayer(rng, wards, used, "doanh_nghiep", "ngung_hoat_dong", no_services))
    rng.shuffle(rows)
    name = f"{contract.source.file_prefix}_{PERIOD}.json"
    emit(draw, contract, {name: rows}, _taxpayer_defects(used), "tax_code")
    return {"taxpayers": n}


def _taxpayer_defects(used: set[str]) -> list[Spec]:
    """The new tax codes the defects take are valid and unused (drawn as the rows are made)."""

    def fresh(rng: random.Random) -> str:
        return tax_code(rng, "01", used)

    def bad_check_digit(r: dict, rng: random.Random, s: int) -> dict:
        code = fresh(rng)
        return {**r, "tax_code": code[:9] + str((int(code[9]) + 1 + s % 8) % 10)}

    def rewrite(column: str, value: object) -> Make:
        return rewritten("tax_code", lambda r, rng, s: fresh(rng), column, value)

    return [
        Spec("duplicate_row", "tax_code", "sach", copied),
        Spec("invalid_tax_code", "tax_code", "dung", bad_check_digit),
        Spec("unknown_ward_code", "ward_code", "dung", rewrite("ward_code", "99999")),
        Spec("not_a_boolean", "e_filing", "dung", rewrite("e_filing", "có")),
        Spec("missing_required", "taxpayer_type", "du", rewrite("taxpayer_type", None)),
        pre_2025_ward_code("00061", "00070"),  # Hàng Bạc, now in Phường Hoàn Kiếm
    ]


def build_etax_mobile(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["etax_mobile_accounts"]
    wards = [w.code for w in wards_of(HANOI)]
    total = int(round(ETAX_MOBILE_ACCOUNTS * draw.scale))
    counts = split_total(draw.rng, total, len(wards), low=50)
    rows = [
        {"ward_code": w, "period": PERIOD, "accounts": c}
        for w, c in zip(wards, counts, strict=True)
    ]
    specs = [
        Spec(
            "near_duplicate",
            "ward_code",
            "sach",
            lambda r, rng, s: {**r, "ward_code": str(int(r["ward_code"]))},
        ),
        # An extra correction line with a negative count (it is also a second row for its ward).
        Spec(
            "negative_count",
            "accounts",
            "dung",
            lambda r, rng, s: {**r, "accounts": -r["accounts"]},
        ),
    ]
    name = f"{contract.source.file_prefix}_{PERIOD}.json"
    emit(draw, contract, {name: rows}, specs, "ward_code")
    return {"etax_mobile_accounts": total}
