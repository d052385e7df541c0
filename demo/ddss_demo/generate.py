"""Deterministic departmental feeds, with injected defects and a truth manifest.

``generate(out, seed, scale)`` writes the files a department would drop into its landing
folder. Clean rows reproduce the published figures of SEED-FACTS.md exactly at scale 1
(counts are multiplied by ``scale`` and rounded otherwise). Defective rows are *extra*
rows, each listed in ``truth-manifest.json`` with file, spreadsheet row number (header = 1),
column, kind and the criterion it breaks, so every later stage can be checked against it.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from ddss.data_contracts import SourceContract, load_contracts
from ddss.reference.wards import wards_of
from ddss.settings import Settings

# Seed 004: Tuyên Quang public administration service centre, 1 Jan – 31 Jul 2022.
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
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ma", "Hà", "Nông"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Linh", "Nam", "Phương", "Tú"]

# The defects every dossier file carries (per month, ``max(1, round(scale))`` of each kind).
DEFECT_KINDS = {
    # kind: (column, criterion)
    "duplicate_row": ("dossier_id", "sach"),
    "unknown_service_code": ("service_code", "dung"),
    "unknown_commune_code": ("commune_code", "dung"),
    "impossible_date": ("received_date", "dung"),
    "resolved_before_received": ("resolved_date", "dung"),
    "missing_required": ("channel", "du"),
    "invalid_channel": ("channel", "dung"),
    "ragged_row": (None, "dung"),
}


@dataclass(frozen=True)
class Defect:
    file: str  # relative to the output folder
    source_row: int  # spreadsheet row number, header = 1
    column: str | None
    kind: str
    criterion: str
    key: str | None


def _fmt(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _scaled(counts: dict, scale: float) -> dict:
    return {k: int(round(v * scale)) for k, v in counts.items()}


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


def _person(rng: random.Random) -> tuple[str, str, str]:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    year = rng.randint(1950, 2004)
    century_sex = (0 if year < 2000 else 2) + rng.randint(0, 1)
    # Citizen ID: old 63-province code of Tuyên Quang (008), century/sex, year, 6 digits.
    citizen_id = f"008{century_sex}{year % 100:02d}{rng.randint(0, 999_999):06d}"
    phone = f"0{rng.choice('3789')}{rng.randint(0, 99_999_999):08d}"
    return name, citizen_id, phone


def _dossiers(rng: random.Random, scale: float, services: list[dict]) -> list[dict]:
    received = _scaled(RECEIVED, scale)
    resolved = _scaled(RESOLVED, scale)
    total = sum(received.values())
    pending = total - sum(resolved.values())
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

    span = (PERIOD_END - PERIOD_START).days
    rows = []
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
        days = rng.randint(2, 15)
        if outcome is None:
            received_on = PERIOD_END - timedelta(days=rng.randint(0, 40))
            resolved_on = None
        else:
            latest = span - days - 6
            received_on = PERIOD_START + timedelta(days=rng.randint(0, latest))
        due_on = received_on + timedelta(days=days)
        if outcome == "early":
            resolved_on = received_on + timedelta(days=rng.randint(0, days - 1))
        elif outcome == "on_time":
            resolved_on = due_on
        elif outcome == "late":
            resolved_on = due_on + timedelta(days=rng.randint(1, 5))
        name, citizen_id, phone = _person(rng)
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


# What each kind of defect writes over the clean template row (duplicates copy it whole).
DOSSIER_OVERRIDES = {
    "unknown_service_code": {"service_code": "1.999999"},
    "unknown_commune_code": {"commune_code": "99999"},
    "impossible_date": {"received_date": "30/02/2022"},
    "missing_required": {"channel": ""},
    "invalid_channel": {"channel": "Thư điện tử"},
}
TEAM_OVERRIDES = {
    "unknown_ward_code": {"ward_code": "99999"},
    "member_count_not_a_number": {"member_count": "năm"},
    "missing_required": {"ward_code": None},
    "impossible_date": {"established_date": "31/04/2022"},
}


def _defective(kind: str, template: dict, new_key: dict, overrides: dict) -> dict:
    """A defective row from a clean one: a new key (but for a duplicate) and the overrides."""
    if kind == "duplicate_row":
        return dict(template)
    return {**template, **new_key, **overrides.get(kind, {})}


def _defective_row(kind: str, template: dict, rng: random.Random, serial: int) -> dict:
    key = {"dossier_id": f"000.00.15.H61-{template['received_date']:%y%m%d}-9{serial:04d}"}
    row = _defective(kind, template, key, DOSSIER_OVERRIDES)
    if kind == "resolved_before_received":
        row["resolved_date"] = template["received_date"] - timedelta(days=rng.randint(1, 9))
    return row


def _insert_after(lines: list, rng: random.Random, key: str, cells: list, defect: tuple) -> None:
    """Insert a defective row somewhere after its clean template (the row whose first cell is
    ``key``), so that a duplicate always comes after its original."""
    after = next(i for i, (c, d) in enumerate(lines) if d is None and c[0] == key)
    lines.insert(rng.randint(after + 1, len(lines)), (cells, defect))


def _cells(row: dict, contract: SourceContract) -> list[str]:
    out = []
    for column in contract.columns:
        value = row[column.name]
        out.append(
            _fmt(value) if isinstance(value, date) else ("" if value is None else str(value))
        )
    return out


def _write_csv(path: Path, contract: SourceContract, rows: list[list[str]], encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([c.header for c in contract.columns])
        writer.writerows(rows)


# Seeds 000-003: Hà Nội's community digital technology teams, 4 districts (before 2025).
TEAMS = 545
TEAM_MEMBERS = 2_396
TEAM_DISTRICTS = {  # former district: (teams, wards after the 2025 reform)
    "Hoàn Kiếm": (126, ["00070", "00073", "00097"]),
    "Ba Đình": (133, ["00004", "00008", "00025"]),
    "Đông Anh": (152, ["00454", "00466", "00493", "00484", "00508"]),
    "Sóc Sơn": (134, ["00376", "00424", "00433", "00385", "00382"]),
}
TEAM_DEFECTS = {
    "duplicate_row": ("team_id", "sach"),
    "unknown_ward_code": ("ward_code", "dung"),
    "member_count_not_a_number": ("member_count", "dung"),
    "missing_required": ("ward_code", "du"),
    "impossible_date": ("established_date", "dung"),
}


def _teams(rng: random.Random, scale: float) -> list[dict]:
    total = int(round(TEAMS * scale))
    members_total = int(round(TEAM_MEMBERS * scale))
    districts = [d for d, (n, _) in TEAM_DISTRICTS.items() for _ in range(n)]
    districts = (districts * (total // len(districts) + 1))[:total] if scale != 1 else districts
    counts = [rng.randint(3, 6) for _ in districts]
    while sum(counts) != members_total:  # nudge to the exact published total
        i = rng.randrange(len(counts))
        if sum(counts) < members_total and counts[i] < 9:
            counts[i] += 1
        elif sum(counts) > members_total and counts[i] > 2:
            counts[i] -= 1
    teams = []
    for n, (district, members) in enumerate(zip(districts, counts, strict=True), start=1):
        name, _, phone = _person(rng)
        teams.append(
            {
                "team_id": f"TCNS-{n:05d}",
                "team_name": f"Tổ công nghệ số cộng đồng tổ dân phố số {rng.randint(1, 40)}",
                "ward_code": rng.choice(TEAM_DISTRICTS[district][1]),
                "former_district": district,
                "member_count": members,
                "established_date": date(2022, 1, 1) + timedelta(days=rng.randint(0, 200)),
                "leader_name": name,
                "leader_phone": phone,
            }
        )
    return teams


def _write_teams_xlsx(path: Path, contract: SourceContract, rows: list[list]) -> int:
    """As the department's spreadsheet looks: a title, a date line, a blank row, the header.
    Returns the Excel row number of the header."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(["DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG TRÊN ĐỊA BÀN THÀNH PHỐ HÀ NỘI"])
    sheet.append([f"(Số liệu đến ngày {PERIOD_END:%d/%m/%Y})"])
    sheet.append([])
    sheet.append([c.header for c in contract.columns])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return 4


def _generate_teams(
    out: Path, rng: random.Random, scale: float, contracts: dict
) -> tuple[Path, list[Defect]]:
    contract = contracts["community_digital_teams"]
    teams = _teams(rng, scale)
    lines: list[tuple[list, tuple | None]] = [
        ([t[c.name] for c in contract.columns], None) for t in teams
    ]
    serial = 0
    for kind, (column, criterion) in TEAM_DEFECTS.items():
        for _ in range(max(1, round(scale))):
            serial += 1
            template = rng.choice(teams)
            row = _defective(kind, template, {"team_id": f"TCNS-9{serial:04d}"}, TEAM_OVERRIDES)
            _insert_after(
                lines,
                rng,
                template["team_id"],
                [row[c.name] for c in contract.columns],
                (kind, column, criterion),
            )
    path = out / contract.department.landing_folder / f"to_cong_nghe_so_{PERIOD_END:%Y-%m}.xlsx"
    header_row = _write_teams_xlsx(path, contract, [cells for cells, _ in lines])
    defects = [
        Defect(str(path.relative_to(out)), header_row + 1 + i, d[1], d[0], d[2], cells[0])
        for i, (cells, d) in enumerate(lines)
        if d
    ]
    return path, defects


# When departments drop their files: the 5th after the period (monthly) or 20 January
# (yearly), 09:00 in Hà Nội — before the deadline. One file comes late on purpose.
LATE_FILES = {"hanoi_labour/chi_tra_khong_tien_mat_2022-05.xlsx": date(2022, 6, 25)}


def _set_arrival_times(out: Path, files: list[Path]) -> list[dict]:
    import os
    import re
    from datetime import datetime, timezone

    hanoi = timezone(timedelta(hours=7))
    late = []
    controls = [p for p in out.rglob("*.kiem_soat.json")]
    for path in [*files, *controls]:
        relative = str(path.relative_to(out))
        monthly = re.search(r"(\d{4})-(\d{2})", path.name)
        yearly = re.search(r"(\d{4})", path.name)
        if relative.replace(".kiem_soat.json", ".csv") in LATE_FILES or relative in LATE_FILES:
            day = (
                LATE_FILES.get(relative) or LATE_FILES[relative.replace(".kiem_soat.json", ".csv")]
            )
        elif monthly:
            year, month = int(monthly.group(1)), int(monthly.group(2))
            day = date(year + (month == 12), month % 12 + 1, 5)
        elif yearly:
            day = date(int(yearly.group(1)) + 1, 1, 20)
        else:
            continue
        moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=hanoi).timestamp()
        os.utime(path, (moment, moment))
        if relative in LATE_FILES:
            late.append({"file": relative, "arrived": day.isoformat()})
    return late


def generate(
    out: Path,
    seed: int = 2022,
    scale: float = 1.0,
    cfg: Settings | None = None,
    departments: set[str] | None = None,
) -> dict:
    """Write the feeds under ``out/<department>/`` and ``out/truth-manifest.json``
    (every department's, or only those in ``departments``; the centre's always)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    contracts = load_contracts(cfg)
    dossiers_contract = contracts["admin_procedure_dossiers"]
    services_contract = contracts["online_public_services"]
    folder = out / dossiers_contract.department.landing_folder
    rng = random.Random(seed)

    services = _services(rng)
    services_file = folder / f"dich_vu_cong_{PERIOD_END:%Y-%m}.csv"
    _write_csv(
        services_file,
        services_contract,
        [_cells(s, services_contract) for s in services],
        services_contract.source.encoding,
    )

    dossiers = _dossiers(rng, scale, services)
    defects: list[Defect] = []
    per_kind = max(1, round(scale))
    serial = 0
    files = [services_file]
    for month in range(PERIOD_START.month, PERIOD_END.month + 1):
        monthly = [r for r in dossiers if r["received_date"].month == month]
        lines: list[tuple[list[str], tuple[str, str | None, str] | None]] = [
            (_cells(r, dossiers_contract), None) for r in monthly
        ]
        for kind, (column, criterion) in DEFECT_KINDS.items():
            for _ in range(per_kind):
                serial += 1
                template = rng.choice(monthly)
                cells = _cells(_defective_row(kind, template, rng, serial), dossiers_contract)
                if kind == "ragged_row":
                    cells = cells + ["cột thừa"]
                _insert_after(lines, rng, template["dossier_id"], cells, (kind, column, criterion))
        path = folder / f"ho_so_{PERIOD_START.year}-{month:02d}.csv"
        _write_csv(path, dossiers_contract, [cells for cells, _ in lines], "utf-8")
        files.append(path)
        relative = str(path.relative_to(out))
        for index, (cells, defect) in enumerate(lines):
            if defect:
                kind, column, criterion = defect
                defects.append(Defect(relative, index + 2, column, kind, criterion, cells[0]))

    if departments is None or "hanoi_dict" in departments:
        teams_file, team_defects = _generate_teams(out, random.Random(seed + 1), scale, contracts)
        files.append(teams_file)
        defects.extend(team_defects)

    from ddss_demo.feeds import generate_all

    feed, other_expected = generate_all(out, seed, scale, contracts, departments)
    files.extend(feed.files)
    defects.extend(Defect(**asdict(d)) for d in feed.defects)

    late_files = _set_arrival_times(out, files)

    manifest = {
        "seed": seed,
        "scale": scale,
        "files": [str(p.relative_to(out)) for p in files],
        "clean_rows": {
            "admin_procedure_dossiers": len(dossiers),
            "online_public_services": len(services),
            "community_digital_teams": int(round(TEAMS * scale)),
        },
        "expected": {
            "received": _scaled(RECEIVED, scale),
            "resolved": _scaled(RESOLVED, scale),
            "services_by_level": SERVICES_BY_LEVEL,
            "teams": int(round(TEAMS * scale)),
            "team_members": int(round(TEAM_MEMBERS * scale)),
            **other_expected,
        },
        # Served by the departments' HTTP APIs (ddss_demo.api_server), fetched into the landing folder.
        "http": sorted(str(p.relative_to(out)) for p in (out / "_http").rglob("*.json")),
        "defects": [asdict(d) for d in defects],
        # File-level: sent after the period's deadline (sống), by the file's modification time.
        "late_files": late_files,
    }
    (out / "truth-manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest
