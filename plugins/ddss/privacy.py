"""The personal-data scanner: nothing that looks like a citizen's data leaves the warehouse.

Runs on every file of a publication before ``latest`` moves; any hit blocks the publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Citizen ID (CCCD): 12 digits starting with a 0-prefixed province code; old 9-digit CMND.
CITIZEN_ID = re.compile(r"(?<![\w.\-/])0\d{2}[0-3]\d{8}(?![\w.\-/])")
# Vietnamese mobile numbers: 0 or +84, then a 3/5/7/8/9 prefix and 8 digits.
PHONE = re.compile(r"(?<![\w.\-/])(?:\+84|84|0)[35789]\d{8}(?![\w.\-/])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PATTERNS = {"citizen_id": CITIZEN_ID, "phone": PHONE, "email": EMAIL}
TOKEN = re.compile(r"\+?\w+")
SCANNED_SUFFIXES = {".csv", ".json", ".jsonld", ".html", ".txt"}


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    kind: str
    excerpt: str  # masked: the value itself never goes to a log

    def __str__(self) -> str:
        return (f"{self.file}:{self.line}: có thể là dữ liệu cá nhân ({self.kind}) / "
                f"possible personal data ({self.kind}): {self.excerpt}")


def _masked(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:]


def scan_text(text: str, file: str) -> list[Hit]:
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(line):
                hits.append(Hit(file, number, kind, _masked(match.group(0))))
    return hits


def scan_tree(root: Path, extra_values: set[str] | None = None) -> list[Hit]:
    """Scan every text file under ``root``; ``extra_values`` are known personal values."""
    hits: list[Hit] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in SCANNED_SUFFIXES:
            continue
        text = path.read_text("utf-8-sig", errors="replace")
        relative = str(path.relative_to(root))
        hits.extend(scan_text(text, relative))
        if extra_values:
            # Known personal values (IDs, phones from the raw zone) as whole tokens.
            for token in set(TOKEN.findall(text)) & extra_values:
                hits.append(Hit(relative, 0, "known_personal_value", _masked(token)))
    return hits
