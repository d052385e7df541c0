"""Hà Nội department of transport: cashless parking (pilot in Tây Hồ and Hoàn Kiếm), one
semicolon-separated CSV per month; the feed stops after May (June's and July's never came)."""

from __future__ import annotations

from ddss.data_contracts import SourceContract
from ddss_demo.feeds.defects import Draw, Make, Spec, copied, emit, rewritten
from ddss_demo.feeds.synthetic import STREETS, days_of

PARKING_WARDS = {
    "00103": "Tây Hồ",
    "00091": "Phú Thượng",
    "00070": "Hoàn Kiếm",
    "00073": "Cửa Nam",
    "00097": "Hồng Hà",
}
PARKING_MONTHS = [f"2022-{m:02d}" for m in range(1, 6)]
LOTS = 24
FEE_VND = 5_000


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["cashless_parking_payments"]
    rng = draw.rng
    lots = [
        (f"BDX-{i + 1:03d}", f"Điểm trông giữ xe {rng.choice(STREETS)} số {i + 1}", ward)
        for i, ward in enumerate(
            rng.choice(list(PARKING_WARDS)) for _ in range(max(1, round(LOTS * draw.scale)))
        )
    ]
    files: dict[str, list[dict]] = {}
    for month in PARKING_MONTHS:
        rows = []
        for day in days_of(month):
            for lot_id, name, ward in lots:
                trips = rng.randint(80, 600)
                cashless = int(trips * rng.uniform(0.2, 0.6))
                rows.append(
                    {
                        "lot_id": lot_id,
                        "lot_name": name,
                        "ward_code": ward,
                        "day": day,
                        "transactions": trips,
                        "cashless_transactions": cashless,
                        "revenue_vnd": trips * FEE_VND,
                        "cashless_revenue_vnd": cashless * FEE_VND,
                    }
                )
        files[f"trong_giu_xe_{month}.csv"] = rows
    emit(draw, contract, files, PARKING_DEFECTS, "lot_id")
    return {"parking_rows": sum(len(v) for v in files.values())}


def _rewrite(suffix: str, column: str, value: object) -> Make:
    """The template under another lot id (its own plus ``suffix``) with ``column`` = ``value``."""
    return rewritten("lot_id", lambda r, rng, s: r["lot_id"] + suffix, column, value)


PARKING_DEFECTS = [
    Spec("duplicate_row", "lot_id", "sach", copied),
    Spec(
        "cashless_exceeds_total",
        "cashless_transactions",
        "dung",
        lambda r, rng, s: {
            **r,
            "lot_id": r["lot_id"] + "A",
            "cashless_transactions": r["transactions"] + 5,
        },
    ),
    Spec("impossible_date", "day", "dung", _rewrite("B", "day", "30/02/2022")),
    Spec("revenue_not_a_number", "revenue_vnd", "dung", _rewrite("C", "revenue_vnd", "N/A")),
]
