"""What citizens read instead of machine codes: Vietnamese column and value labels, local
time (Asia/Ho_Chi_Minh) instead of UTC, versions as dates, topics and datasets by name.

The portal's templates reach these through ``ctx.labels`` (a property of
``metadata.Context``), so they need nothing more from the renderer; ``register`` also
offers them as Jinja filters for an environment that wants them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ddss.publish.catalog_vocabularies import TOPICS

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# "code = label" pairs in a column's Vietnamese description, e.g.
# "Kết quả: early = trước hạn, on_time = đúng hạn, late = trễ hạn; trống nếu chưa giải quyết"
_PAIR = re.compile(r"([A-Za-z0-9_]+) = ([^,;]+)")


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif re.fullmatch(r"\d{8}T\d{6}Z", value):
        moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ")
    else:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(value: datetime | str | None) -> str:
    """A UTC time (datetime, ISO text, or a version id) as Hà Nội time, ``25/11/2026 03:29``."""
    if value is None or value == "":
        return ""
    return _as_datetime(value).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def version_date(version: str | None) -> str:
    """A version id (``20261124T202910Z``) as the local date and time it was published."""
    return local_time(version) if version else ""


def topic(slug: str | None) -> str:
    """A contract topic as the citizen reads it (Vietnamese)."""
    return TOPICS[slug][0] if slug in TOPICS else (slug or "").replace("-", " ")


def topic_en(slug: str | None) -> str:
    return TOPICS[slug][1] if slug in TOPICS else (slug or "").replace("-", " ")


def value_labels(column: Any) -> dict[str, str]:
    """The codes a column's description explains, mapped to their Vietnamese words."""
    return {code: label.strip() for code, label in _PAIR.findall(column.description_vi or "")}


def column_label(column: Any) -> str:
    """A column's Vietnamese header: its description, without the code list it explains."""
    text = column.description_vi or column.name
    if value_labels(column) and ":" in text:
        text = text.split(":", 1)[0]
    return text.strip()


def preview_columns(contract: Any) -> list[Any]:
    """The columns the preview shows: all published ones, except an indicator's code when
    its Vietnamese name is there to read (the code stays in the data dictionary and files)."""
    names = {c.name for c in contract.publish_columns}
    hidden = {"indicator"} if "label_vi" in names else set()
    return [c for c in contract.publish_columns if c.name not in hidden]


def cell(column: Any, value: object) -> str:
    """A value as shown in the preview: codes in words, booleans as Có/Không."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float):  # Vietnamese: 1.234,56
        return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return value_labels(column).get(str(value), str(value))


TYPES = {
    "string": "văn bản / text",
    "integer": "số nguyên / integer",
    "number": "số / number",
    "date": "ngày / date",
    "datetime": "ngày giờ / date and time",
    "boolean": "có hoặc không / yes or no",
}


def type_label(column_type: str) -> str:
    """A column's type in words, with the Table Schema type it stands for."""
    return f"{TYPES[column_type]} ({column_type})" if column_type in TYPES else column_type


def file_size(size: int) -> str:
    """Bytes as people read them, with a decimal comma: ``1,2 MB``."""
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= step:
            return f"{size / step:.1f} {unit}".replace(".", ",")
    return f"{size} B"


@lru_cache(maxsize=1)
def _titles() -> dict[str, tuple[str, str]]:
    from ddss.data_contracts import load_contracts

    return {k: (c.title_vi, c.title_en) for k, c in load_contracts().items()}


def dataset_title(dataset_id: str, contracts: dict | None = None) -> str:
    """A dataset's Vietnamese title, never its id, in sentences."""
    if contracts and dataset_id in contracts:
        return contracts[dataset_id].title_vi
    return _titles().get(dataset_id, (dataset_id.replace("_", " "), ""))[0]


def register(env: Any) -> None:
    """Offer the labels as Jinja filters (``{{ ctx.published_at|local_time }}``)."""
    for function in (local_time, version_date, topic, topic_en, file_size, dataset_title):
        env.filters[function.__name__] = function
