"""Hà Nội department of information and communications (seeds 000–003): the community
digital technology teams of four former districts, one spreadsheet with a title."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import partial

from ddss.data_contracts import SourceContract
from ddss_demo.feeds.defects import Draw, Spec, copied, emit, rewritten
from ddss_demo.feeds.formats import XlsxWriter
from ddss_demo.feeds.synthetic import applicant

AS_OF = date(2022, 7, 31)
TEAMS = 545
TEAM_MEMBERS = 2_396
TEAM_DISTRICTS = {  # former district: (teams, wards after the 2025 reform)
    "Hoàn Kiếm": (126, ["00070", "00073", "00097"]),
    "Ba Đình": (133, ["00004", "00008", "00025"]),
    "Đông Anh": (152, ["00454", "00466", "00493", "00484", "00508"]),
    "Sóc Sơn": (134, ["00376", "00424", "00433", "00385", "00382"]),
}
SPREADSHEET = XlsxWriter(
    sheet="Danh sách",
    title="DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG TRÊN ĐỊA BÀN THÀNH PHỐ HÀ NỘI",
    subtitle=f"(Số liệu đến ngày {AS_OF:%d/%m/%Y})",
    made=datetime(AS_OF.year, AS_OF.month, AS_OF.day),
    style="native",  # member counts as numbers, dates as dates
)


def figures(scale: float) -> dict:
    return {"teams": int(round(TEAMS * scale)), "team_members": int(round(TEAM_MEMBERS * scale))}


def build(draw: Draw, contracts: dict[str, SourceContract]) -> dict:
    contract = contracts["community_digital_teams"]
    name = f"to_cong_nghe_so_{AS_OF:%Y-%m}.xlsx"
    teams = _teams(draw.rng, draw.scale)
    emit(draw, contract, {name: teams}, TEAM_DEFECTS, "team_id", writer=SPREADSHEET)
    return figures(draw.scale)


def _member_counts(rng: random.Random, teams: int, members: int) -> list[int]:
    counts = [rng.randint(3, 6) for _ in range(teams)]
    total = sum(counts)
    while total != members:  # nudge to the exact published total
        i = rng.randrange(len(counts))
        if total < members and counts[i] < 9:
            counts[i] += 1
            total += 1
        elif total > members and counts[i] > 2:
            counts[i] -= 1
            total -= 1
    return counts


def _teams(rng: random.Random, scale: float) -> list[dict]:
    total = int(round(TEAMS * scale))
    districts = [d for d, (n, _) in TEAM_DISTRICTS.items() for _ in range(n)]
    if scale != 1:
        districts = (districts * (total // len(districts) + 1))[:total]
    counts = _member_counts(rng, len(districts), int(round(TEAM_MEMBERS * scale)))
    teams = []
    for n, (district, members) in enumerate(zip(districts, counts, strict=True), start=1):
        name, _, phone = applicant(rng)
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


def _new_id(team: dict, rng: random.Random, serial: int) -> str:
    return f"TCNS-9{serial:04d}"  # 9xxxx: never a clean team's


_rewrite = partial(rewritten, "team_id", _new_id)


TEAM_DEFECTS = [
    Spec("duplicate_row", "team_id", "sach", copied),
    Spec("unknown_ward_code", "ward_code", "dung", _rewrite("ward_code", "99999")),
    Spec("member_count_not_a_number", "member_count", "dung", _rewrite("member_count", "năm")),
    Spec("missing_required", "ward_code", "du", _rewrite("ward_code", None)),
    Spec("impossible_date", "established_date", "dung", _rewrite("established_date", "31/04/2022")),
]
