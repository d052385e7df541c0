"""What the departments' rows are made of: people, tax codes, totals split into parts,
keys as a person mistypes them, the days of a month.

There is one set of name lists. The two ways of drawing a person (the centre's applicants,
drawn first, and the Hà Nội departments' residents) draw in a different order and from
different lengths of those lists; both are kept because a seed must keep giving the same
bytes (tests/demo/golden-feeds.sha256 holds them to it).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

# The nine most common family names nationwide, then those more common in each province:
# Tày and Dao families (Ma, Hà, Nông) in Tuyên Quang, Ngô, Dương and Lý in Hà Nội.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"]
FAMILY_BY_PROVINCE = {"08": ["Ma", "Hà", "Nông"], "01": ["Ngô", "Dương", "Lý"]}
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu", "Thanh", "Xuân"]
GIVEN = [
    *("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Linh", "Nam", "Phương", "Tú"),
    *("Hải", "Hằng", "Khoa", "Mai", "Quân", "Sơn", "Trang", "Yến"),
]
MOBILE_PREFIXES = ["32", "35", "36", "38", "70", "77", "86", "90", "91", "94", "96", "98"]
HANOI = "01"  # province codes after the 2025 reform
MONTHS_2022 = [f"2022-{m:02d}" for m in range(1, 8)]  # the feeds' months, January to July
STREETS = ["Hàng Bạc", "Kim Mã", "Láng Hạ", "Giải Phóng", "Hàng Gai", "Thụy Khuê", "Tràng Thi"]


@dataclass(frozen=True)
class Names:
    """The lists a province's names are drawn from."""

    family: list[str]
    middle: list[str]
    given: list[str]


# The centre's applicants were first drawn from the shorter middle and given-name lists.
TUYEN_QUANG_NAMES = Names(FAMILY + FAMILY_BY_PROVINCE["08"], MIDDLE[:8], GIVEN[:12])
HANOI_NAMES = Names(FAMILY + FAMILY_BY_PROVINCE["01"], MIDDLE, GIVEN)


def applicant(rng: random.Random) -> tuple[str, str, str]:
    """A Tuyên Quang applicant: name, citizen ID, phone."""
    names = TUYEN_QUANG_NAMES
    name = f"{rng.choice(names.family)} {rng.choice(names.middle)} {rng.choice(names.given)}"
    year = rng.randint(1950, 2004)
    century_sex = (0 if year < 2000 else 2) + rng.randint(0, 1)
    # Citizen ID: old 63-province code of Tuyên Quang (008), century/sex, year, 6 digits.
    citizen_id = f"008{century_sex}{year % 100:02d}{rng.randint(0, 999_999):06d}"
    phone = f"0{rng.choice('3789')}{rng.randint(0, 99_999_999):08d}"
    return name, citizen_id, phone


def person(rng: random.Random) -> dict:
    """A Hà Nội resident: name, citizen ID (province 001), birth date, sex, mobile phone."""
    names = HANOI_NAMES
    year = rng.randint(1950, 2006)
    female = rng.random() < 0.5
    born = date(year, rng.randint(1, 12), rng.randint(1, 28))
    century = 0 if year < 2000 else 2
    family = rng.choice(names.family)
    middle = "Thị" if female else rng.choice(names.middle)
    return {
        "name": f"{family} {middle} {rng.choice(names.given)}",
        "citizen_id": f"001{century + female}{year % 100:02d}{rng.randint(0, 999_999):06d}",
        "birth_date": born,
        "female": female,
        "phone": f"0{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}",
    }


def tax_code(rng: random.Random, prefix: str, used: set[str] | None = None) -> str:
    """A valid 10-digit tax code (check digit as python-stdnum computes it), not in ``used``."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(9 - len(prefix)))
        check = 10 - sum(w * int(d) for w, d in zip(weights, body, strict=False)) % 11
        code = body + str(check)
        if check < 10 and body[2:9] != "0000000" and (used is None or code not in used):
            if used is not None:
                used.add(code)
            return code


def split_total(rng: random.Random, total: int, parts: int, low: int = 1) -> list[int]:
    """``parts`` integers of at least ``low`` summing exactly to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = (total - low * parts) / sum(weights)
    counts = [low + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def near(value: str, how: int) -> str:
    """The same key as a person would mistype it: spacing, case or decomposed accents."""
    if how % 3 == 0:
        return f" {value.lower()} "
    if how % 3 == 1:
        return unicodedata.normalize("NFD", value).replace(" ", "  ")
    return value.upper() if value != value.upper() else f"{value}\u00a0"


@cache
def days_of(month: str) -> tuple[date, ...]:
    """Every day of ``YYYY-MM`` (asked once a row: kept)."""
    year, m = map(int, month.split("-"))
    first = date(year, m, 1)
    following = date(year + (m == 12), m % 12 + 1, 1)
    return tuple(first + timedelta(days=i) for i in range((following - first).days))


def period_label(month: str) -> str:
    """``YYYY-MM`` as departments write a reporting period: ``MM/YYYY``."""
    year, m = month.split("-")
    return f"{m}/{year}"


def scaled(counts: dict[str, int], scale: float) -> dict[str, int]:
    return {k: int(round(v * scale)) for k, v in counts.items()}
