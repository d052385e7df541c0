"""Hà Nội department of labour, invalids and social affairs: pensions and allowances paid
without cash, per ward, payment type and month, one spreadsheet with a title per month."""

from __future__ import annotations

from datetime import datetime

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Spec, emit, mistyped, pre_2025_ward_code
from ddss_demo.feeds.formats import XlsxWriter
from ddss_demo.feeds.synthetic import HANOI, MONTHS_2022, period_label

PAYMENT_TYPES = ["Lương hưu", "Trợ cấp bảo hiểm xã hội", "Trợ cấp xã hội"]
SPREADSHEET = XlsxWriter(
    sheet="Số liệu",
    title="BÁO CÁO CHI TRẢ LƯƠNG HƯU, TRỢ CẤP KHÔNG DÙNG TIỀN MẶT",
    subtitle="(Kỳ báo cáo: {period})",
    made=datetime(2022, 8, 1),
)


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["cashless_social_payments"]
    rng = draw.rng
    wards = [w.code for w in wards_of(HANOI)]
    whole = max(1, round(draw.scale))  # counts per ward grow by whole multiples
    files: dict[str, list[dict]] = {}
    for number, month in enumerate(MONTHS_2022):
        rows = []
        for w in wards:
            for kind in PAYMENT_TYPES:
                people = rng.randint(80, 900) * whole
                share = min(1.0, 0.55 + number * 0.05 + rng.uniform(-0.05, 0.05))
                rows.append(
                    {
                        "ward_code": w,
                        "period": period_label(month),
                        "payment_type": kind,
                        "beneficiaries": people,
                        "paid_cashless": int(people * share),
                        "amount_vnd": people * rng.randint(15, 60) * 100_000,
                    }
                )
        files[f"chi_tra_khong_tien_mat_{month}.xlsx"] = rows
    emit(draw, contract, files, PAYMENT_DEFECTS, "ward_code", writer=SPREADSHEET)
    return {"payments_rows": sum(len(v) for v in files.values())}


PAYMENT_DEFECTS = [
    Spec("near_duplicate", "payment_type", "sach", mistyped("payment_type")),
    Spec(
        "cashless_exceeds_beneficiaries",
        "paid_cashless",
        "dung",
        lambda r, rng, s: {**r, "paid_cashless": r["beneficiaries"] + 12},
    ),
    # Written over one of Hoàn Kiếm's three rows a month: at scales above 3, three a month.
    pre_2025_ward_code("00043", "00070"),
    Spec(
        "unknown_payment_type",
        "payment_type",
        "dung",
        lambda r, rng, s: {**r, "payment_type": "Trợ cấp thất nghiệp"},
    ),
]
