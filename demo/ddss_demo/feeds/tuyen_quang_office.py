"""Tuyên Quang provincial people's committee office: the electronic documents of 2021 (sent
documents and paperless meeting documents), one CSV for the year."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ddss.data_contracts import SourceContract
from ddss_demo.feeds.defects import Draw, Make, Spec, copied, emit, rewritten
from ddss_demo.feeds.synthetic import split_total

OFFICE = {
    "outgoing": 11_952,
    "digitally_signed": 11_833,
    "meeting_documents": 1_712,
    "agenda_items": 245,
    "sessions": 23,
}
YEAR_DAYS = [date(2021, 1, 1) + timedelta(days=i) for i in range(365)]
KINDS = ["UBND-TH", "UBND-KT", "UBND-NC", "UBND-VX", "QĐ-UBND", "KH-UBND", "BC-UBND"]
ACTIONS = ["triển khai", "báo cáo", "đôn đốc", "hướng dẫn"]
TOPICS = ["chuyển đổi số", "cải cách hành chính", "Đề án 06", "ngân sách"]


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["e_documents"]
    n = {k: max(1, int(round(v * draw.scale))) for k, v in OFFICE.items()}
    rows = _outgoing(draw.rng, n) + _meeting_documents(draw.rng, n)
    rows.sort(key=lambda r: r["issued_on"])
    emit(draw, contract, {"van_ban_2021.csv": rows}, OFFICE_DEFECTS, "doc_number")
    return {"office": n}


def _outgoing(rng: random.Random, n: dict[str, int]) -> list[dict]:
    signed = [True] * n["digitally_signed"] + [False] * (n["outgoing"] - n["digitally_signed"])
    rng.shuffle(signed)
    return [
        {
            "doc_number": f"{i + 1}/{rng.choice(KINDS)}",
            "issued_on": rng.choice(YEAR_DAYS),
            "category": "Văn bản đi",
            "signing": "Ký số" if is_signed else "Ký tay",
            "session": None,
            "agenda_item": None,
            "summary": f"V/v {rng.choice(ACTIONS)} {rng.choice(TOPICS)}",
        }
        for i, is_signed in enumerate(signed)
    ]


def _session_days(rng: random.Random, sessions: int) -> list[date]:
    """One day a session; above 365 sessions (scale 16 and up) some days hold several."""
    if sessions <= len(YEAR_DAYS):
        return sorted(rng.sample(YEAR_DAYS, sessions))
    return sorted(rng.choices(YEAR_DAYS, k=sessions))


def _meeting_documents(rng: random.Random, n: dict[str, int]) -> list[dict]:
    session_days = _session_days(rng, n["sessions"])
    items_per_session = split_total(rng, n["agenda_items"], n["sessions"])
    docs_per_item = iter(split_total(rng, n["meeting_documents"], n["agenda_items"]))
    rows = []
    item = 0
    for s, (day, count) in enumerate(zip(session_days, items_per_session, strict=True), start=1):
        for _ in range(count):
            item += 1
            rows += [
                {
                    "doc_number": f"TLH-{s:02d}-{item:03d}-{d + 1:02d}",
                    "issued_on": day,
                    "category": "Tài liệu họp",
                    "signing": "Ký số",
                    "session": s,
                    "agenda_item": item,
                    "summary": f"Tài liệu phiên họp {s}, nội dung {item}",
                }
                for d in range(next(docs_per_item))
            ]
    return rows


def _rewrite(mark: str, column: str, value: object) -> Make:
    """The template under another number (its own, ``-<mark><serial>``), ``column`` = ``value``."""
    return rewritten("doc_number", lambda r, rng, s: f"{r['doc_number']}-{mark}{s}", column, value)


OFFICE_DEFECTS = [
    Spec("duplicate_row", "doc_number", "sach", copied),
    Spec("impossible_date", "issued_on", "dung", _rewrite("X", "issued_on", "29/02/2021")),
    Spec(
        "date_outside_period", "issued_on", "dung", _rewrite("Y", "issued_on", date(2020, 12, 30))
    ),
    Spec("missing_required", "signing", "du", _rewrite("Z", "signing", "")),
]
