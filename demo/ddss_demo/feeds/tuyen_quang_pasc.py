"""Tuyên Quang public administration service centre (seed 004), 1 Jan – 31 Jul 2022: the
service catalogue and the dossiers it received, one CSV per month."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import partial

from ddss.data_contracts import SourceContract
from ddss.reference.wards import wards_of
from ddss_demo.feeds.defects import Draw, Spec, copied, emit, rewritten
from ddss_demo.feeds.formats import EXTRA_CELLS
from ddss_demo.feeds.synthetic import applicant, scaled

PERIOD_START = date(2022, 1, 1)
PERIOD_END = date(2022, 7, 31)
RECEIVED = {"direct": 27_067, "online": 14_424, "postal": 1_049}
RESOLVED = {"early": 24_711, "on_time": 16_107, "late": 10}
SERVICES_BY_LEVEL = {2: 444, 3: 66, 4: 917}
SERVICES_WITH_DOSSIERS = {3: 21, 4: 192}
TUYEN_QUANG = "08"

CHANNEL_LABELS = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính công ích"}
FIELDS = [
    ("Đất đai", "Sở Tài nguyên và Môi trường"),
    ("Xây dựng", "Sở Xây dựng"),
    ("Hộ tịch", "Sở Tư pháp"),
    ("Lý lịch tư pháp", "Sở Tư pháp"),
    ("Đăng ký kinh doanh", "Sở Kế hoạch và Đầu tư"),
    ("Giáo dục và Đào tạo", "Sở Giáo dục và Đào tạo"),
    ("Khám bệnh, chữa bệnh", "Sở Y tế"),
    ("Việc làm", "Sở Lao động - Thương binh và Xã hội"),
    ("Đường bộ", "Sở Giao thông vận tải"),
    ("Lưu thông hàng hoá", "Sở Công Thương"),
    ("Trồng trọt", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("Văn hoá cơ sở", "Sở Văn hoá, Thể thao và Du lịch"),
    ("Công chức, viên chức", "Sở Nội vụ"),
]
ACTIONS = ["Cấp", "Cấp lại", "Gia hạn", "Điều chỉnh", "Đăng ký", "Thẩm định", "Xác nhận"]
OBJECTS = [
    "giấy phép",
    "giấy chứng nhận",
    "chứng chỉ hành nghề",
    "hồ sơ",
    "văn bản chấp thuận",
    "quyết định",
    "thông báo",
]


def figures(scale: float) -> dict:
    return {
        "received": scaled(RECEIVED, scale),
        "resolved": scaled(RESOLVED, scale),
        "services_by_level": SERVICES_BY_LEVEL,
    }


def clean_rows(scale: float) -> dict[str, int]:
    return {
        "admin_procedure_dossiers": sum(scaled(RECEIVED, scale).values()),
        "online_public_services": sum(SERVICES_BY_LEVEL.values()),
    }


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    """The catalogue, then the dossiers from the same random stream."""
    services = _services(draw.rng)
    catalogue = contracts["online_public_services"]
    emit(draw, catalogue, {f"dich_vu_cong_{PERIOD_END:%Y-%m}.csv": services}, [], "service_code")
    dossiers = _dossiers(draw.rng, draw.scale, services)
    months = {
        f"ho_so_{PERIOD_START.year}-{month:02d}.csv": [
            r for r in dossiers if r["received_date"].month == month
        ]
        for month in range(PERIOD_START.month, PERIOD_END.month + 1)
    }
    contract = contracts["admin_procedure_dossiers"]
    # Serial numbers run on across the months: they are part of the defective rows' ids.
    emit(draw, contract, months, DOSSIER_DEFECTS, "dossier_id", serial_per_file=False)
    return figures(draw.scale)


def _services(rng: random.Random) -> list[dict]:
    services = []
    number = 0
    for level, count in SERVICES_BY_LEVEL.items():
        for _ in range(count):
            number += 1
            field, agency = FIELDS[number % len(FIELDS)]
            services.append(
                {
                    "service_code": f"1.{number * 7 + 1000:06d}",
                    "service_name": f"{rng.choice(ACTIONS)} {rng.choice(OBJECTS)} "
                    f"lĩnh vực {field.lower()} (thủ tục số {number})",
                    "service_level": level,
                    "field": field,
                    "agency": agency,
                }
            )
    return services


def _dossiers(rng: random.Random, scale: float, services: list[dict]) -> list[dict]:
    received = scaled(RECEIVED, scale)
    resolved = scaled(RESOLVED, scale)
    pending = sum(received.values()) - sum(resolved.values())
    channels = [c for c, n in received.items() for _ in range(n)]
    outcomes = [o for o, n in resolved.items() for _ in range(n)] + [None] * pending
    rng.shuffle(channels)
    rng.shuffle(outcomes)

    by_level: dict[int, list[str]] = {2: [], 3: [], 4: []}
    for s in services:
        by_level[s["service_level"]].append(s["service_code"])
    active = {lvl: rng.sample(by_level[lvl], n) for lvl, n in SERVICES_WITH_DOSSIERS.items()}
    online_services = active[3] + active[4]
    offline_services = by_level[2] + online_services
    communes = [w.code for w in wards_of(TUYEN_QUANG)]

    rows: list[dict] = []
    online_seen = 0
    for i, (channel, outcome) in enumerate(zip(channels, outcomes, strict=True)):
        if channel == "online":
            # Every active level-3/4 service gets at least one dossier, then at random.
            if online_seen < len(online_services):
                service = online_services[online_seen]
            else:
                service = rng.choice(online_services)
            online_seen += 1
        else:
            service = rng.choice(offline_services)
        received_on, due_on, resolved_on = _dates(rng, outcome)
        name, citizen_id, phone = applicant(rng)
        rows.append(
            {
                "seq": i,
                "dossier_id": None,
                "service_code": service,
                "channel": CHANNEL_LABELS[channel],
                "commune_code": rng.choice(communes),
                "applicant_name": name,
                "applicant_id_number": citizen_id,
                "applicant_phone": phone,
                "received_date": received_on,
                "due_date": due_on,
                "resolved_date": resolved_on,
                "note": "",
            }
        )
    rows.sort(key=lambda r: (r["received_date"], r["seq"]))
    day_counter: dict[date, int] = {}
    for r in rows:
        n = day_counter[r["received_date"]] = day_counter.get(r["received_date"], 0) + 1
        r["dossier_id"] = f"000.00.15.H61-{r['received_date']:%y%m%d}-{n:04d}"
    return rows


def _dates(rng: random.Random, outcome: str | None) -> tuple[date, date, date | None]:
    """Received, due and resolved dates of a dossier with that outcome (None: pending)."""
    days = rng.randint(2, 15)
    if outcome is None:
        received_on = PERIOD_END - timedelta(days=rng.randint(0, 40))
    else:
        latest = (PERIOD_END - PERIOD_START).days - days - 6
        received_on = PERIOD_START + timedelta(days=rng.randint(0, latest))
    due_on = received_on + timedelta(days=days)
    resolved_on = None
    if outcome == "early":
        resolved_on = received_on + timedelta(days=rng.randint(0, days - 1))
    elif outcome == "on_time":
        resolved_on = due_on
    elif outcome == "late":
        resolved_on = due_on + timedelta(days=rng.randint(1, 5))
    return received_on, due_on, resolved_on


def _new_id(row: dict, rng: random.Random, serial: int) -> str:
    """A defective row's own dossier id (9xxxx: never a clean row's)."""
    return f"000.00.15.H61-{row['received_date']:%y%m%d}-9{serial:04d}"


_rewrite = partial(rewritten, "dossier_id", _new_id)


def _resolved_before_received(r: dict, rng: random.Random, s: int) -> dict:
    before = r["received_date"] - timedelta(days=rng.randint(1, 9))
    return {**r, "dossier_id": _new_id(r, rng, s), "resolved_date": before}


# Every month's file carries ``per_kind`` of each.
DOSSIER_DEFECTS = [
    Spec("duplicate_row", "dossier_id", "sach", copied),
    Spec("unknown_service_code", "service_code", "dung", _rewrite("service_code", "1.999999")),
    Spec("unknown_commune_code", "commune_code", "dung", _rewrite("commune_code", "99999")),
    Spec("impossible_date", "received_date", "dung", _rewrite("received_date", "30/02/2022")),
    Spec("resolved_before_received", "resolved_date", "dung", _resolved_before_received),
    Spec("missing_required", "channel", "du", _rewrite("channel", "")),
    Spec("invalid_channel", "channel", "dung", _rewrite("channel", "Thư điện tử")),
    Spec("ragged_row", None, "dung", _rewrite(EXTRA_CELLS, ["cột thừa"])),
]
