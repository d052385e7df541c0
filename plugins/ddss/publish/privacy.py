"""The personal-data scanner: nothing that looks like a citizen's data leaves the warehouse.

Runs on every file of a publication before ``latest`` moves; any hit blocks the publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Citizen ID (CCCD): 12 digits starting with a 0-prefixed province code.
CITIZEN_ID = re.compile(r"0\d{2}[0-3]\d{8}")
# Vietnamese mobile numbers: 0 or +84/84, then a 3/5/7/8/9 prefix and 8 digits.
PHONE = re.compile(r"(?:\+84|84|0)[35789]\d{8}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Fast first pass: runs of 8+ digits (with an optional +); each is then checked whole.
DIGITS = re.compile(r"\+?\d{8,}")
EDGE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
SCANNED_SUFFIXES = {".csv", ".json", ".jsonld", ".html", ".txt"}
# Personal names in free text: a common family name followed by one to three capitalised
# syllables ("Nguyễn Văn An"), unless a place word comes just before ("đường Lê Duẩn").
# Ambiguous family names that start common place names (Hà Nội, Hà Giang) are left out.
FAMILY_NAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh "
    "Đoàn Lâm Mai Trương Tạ Lưu Cao Lương Chu Nông Triệu Quách Vương Thái Lò Hứa Tô"
).split()
NAME_CANDIDATE = re.compile(r"(?<!\w)(" + "|".join(FAMILY_NAMES) + r")((?:[ \t]+\w+){1,3})")
PLACE_WORDS = {
    "phố",
    "đường",
    "phường",
    "xã",
    "quận",
    "huyện",
    "tỉnh",
    "thị",
    "trấn",
    "trường",
    "viện",
    "cầu",
    "chợ",
    "ngõ",
    "ngách",
    "hẻm",
    "số",
    "sông",
    "hồ",
    "núi",
    "đền",
    "chùa",
    "street",
    "road",
    "ward",
    "district",
}
SCAN_NAMES_IN = {".csv", ".json"}


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    kind: str
    excerpt: str  # masked: the value itself never goes to a log

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: có thể là dữ liệu cá nhân ({self.kind}) / "
            f"possible personal data ({self.kind}): {self.excerpt}"
        )


def _masked(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:]


def _standalone(text: str, start: int, end: int) -> bool:
    """A code like 000.00.15.H61-220101 or a checksum is not a phone number."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before not in EDGE and after not in EDGE


MAX_HITS = 1000  # enough to block and to show; do not drown the log


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _digit_hits(text: str, file: str, known: set[str] | None) -> list[Hit]:
    """Runs of digits: a value seen in the raw zone anywhere; a citizen ID or a phone
    number when it stands alone (not inside a code or a checksum)."""
    hits = []
    for match in DIGITS.finditer(text):
        value = match.group(0)
        kinds = ["known_personal_value"] if known and value in known else []
        if _standalone(text, match.start(), match.end()):
            if CITIZEN_ID.fullmatch(value):
                kinds.append("citizen_id")
            elif PHONE.fullmatch(value):
                kinds.append("phone")
        hits += [Hit(file, _line_of(text, match.start()), k, _masked(value)) for k in kinds]
        if len(hits) >= MAX_HITS:
            break
    return hits


def _capitalised(words: list[str]) -> list[str]:
    """The leading words that start with a capital: the rest of a name."""
    taken = []
    for word in words:
        if not word[0].isupper():
            break
        taken.append(word)
    return taken


def _after_place_word(text: str, start: int) -> bool:
    """The word just before ``start``, whatever separates it (a space, or a CSV comma), is
    a place word: "đường Lê Duẩn" is a street, not a person."""
    before = [w for w in re.split(r"[\s,;\"'(]+", text[max(0, start - 24) : start]) if w]
    return bool(before) and before[-1].casefold() in PLACE_WORDS


def _name_hits(text: str, file: str) -> list[Hit]:
    hits = []
    for match in NAME_CANDIDATE.finditer(text):
        words = _capitalised(match.group(2).split())
        if not words or _after_place_word(text, match.start()):
            continue
        name = " ".join([match.group(1), *words])
        hits.append(Hit(file, _line_of(text, match.start()), "personal_name", _masked(name)))
    return hits


def _email_hits(text: str, file: str, room: int) -> list[Hit]:
    hits: list[Hit] = []
    position = text.find("@")
    while position != -1 and len(hits) < room:
        found = EMAIL.search(text[max(0, position - 64) : position + 256])
        if found:
            hits.append(Hit(file, _line_of(text, position), "email", _masked(found.group(0))))
        position = text.find("@", position + 1)
    return hits


def scan_text(text: str, file: str, known: set[str] | None = None, names: bool = True) -> list[Hit]:
    hits = _digit_hits(text, file, known)
    if len(hits) >= MAX_HITS:
        return hits
    if names:
        hits += _name_hits(text, file)
    return hits + _email_hits(text, file, MAX_HITS - len(hits))


def scan_tree(root: Path, known: set[str] | None = None) -> list[Hit]:
    """Scan every text file under ``root``; ``known`` are personal values seen in raw data."""
    hits: list[Hit] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SCANNED_SUFFIXES:
            text = path.read_text("utf-8-sig", errors="replace")
            hits.extend(
                scan_text(
                    text, str(path.relative_to(root)), known, names=path.suffix in SCAN_NAMES_IN
                )
            )
    return hits
