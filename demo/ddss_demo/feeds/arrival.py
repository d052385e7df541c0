"""When departments drop their files: the 5th after the period (monthly) or 20 January
(yearly), 09:00 in Hà Nội — before the deadline. One file comes late on purpose. The
pipeline judges lateness (sống) by a file's modification time, so that is what is set."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HANOI_TIME = timezone(timedelta(hours=7))
LATE_FILES = {"hanoi_labour/chi_tra_khong_tien_mat_2022-05.xlsx": date(2022, 6, 25)}
CONTROL_SUFFIX = ".kiem_soat.json"


def _arrival_day(relative: str, name: str) -> date | None:
    """The day a file (or the control file beside a data file) arrived; None: undated."""
    late = LATE_FILES.get(relative) or LATE_FILES.get(relative.replace(CONTROL_SUFFIX, ".csv"))
    monthly = re.search(r"(\d{4})-(\d{2})", name)
    yearly = re.search(r"(\d{4})", name)
    if late:
        return late
    if monthly:
        year, month = int(monthly.group(1)), int(monthly.group(2))
        return date(year + (month == 12), month % 12 + 1, 5)
    if yearly:
        return date(int(yearly.group(1)) + 1, 1, 20)
    return None


def set_arrival_times(out: Path, files: list[Path]) -> list[dict]:
    """Date each file by its arrival; return the files sent late (file, day it arrived)."""
    late = []
    for path in files:
        relative = str(path.relative_to(out))
        day = _arrival_day(relative, path.name)
        if day is None:
            continue
        moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=HANOI_TIME).timestamp()
        os.utime(path, (moment, moment))
        if relative in LATE_FILES:
            late.append({"file": relative, "arrived": day.isoformat()})
    return late
