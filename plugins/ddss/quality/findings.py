"""What a steward reads first: hints for the mistakes spreadsheets make, and a summary of
repeated errors before the full list (one Excel re-save can produce thousands of identical
rows; the steward needs the one sentence that explains them).

Used by ``ddss check`` and by the steward report, on the same failure dictionaries (keys
``rule``, ``criterion``, ``field`` or ``column``, ``value``, ``source_row``, both messages).
"""

from __future__ import annotations

import os
import re
from collections import Counter

from ddss.data_contracts import Contract

EXAMPLES = 3

# A month (MM/YYYY) that Excel turned into a date: 2022-07-01, 2022-07-01 00:00:00,
# 01/07/2022 or 7/1/2022, Jul-22.
_EXCEL_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}( 00:00:00)?|\d{1,2}/\d{1,2}/\d{4}|[A-Za-z]{3}-\d{2})$"
)
_DIGITS = re.compile(r"^\d+$")

EXCEL_DATE_VI = (
    "Có vẻ Excel đã tự đổi kỳ báo cáo thành ngày tháng ({value}). Hãy định dạng cột này là "
    "Văn bản (Format Cells > Text) rồi gõ lại kỳ theo dạng MM/YYYY, ví dụ 07/2022, hoặc gõ "
    "dấu ' trước giá trị ('07/2022)."
)
EXCEL_DATE_EN = (
    "Excel seems to have turned the period into a date ({value}). Format the column as Text "
    "(Format Cells > Text) and type the period again as MM/YYYY, e.g. 07/2022, or type ' "
    "before it ('07/2022)."
)
LEADING_ZEROS_VI = (
    "Excel đã xoá các số 0 ở đầu mã: hãy định dạng cột là Văn bản (Text) rồi nhập lại mã "
    "đủ chữ số (ví dụ 00070, không phải 70)."
)
LEADING_ZEROS_EN = (
    "Excel removed the leading zeros: format the column as Text and type the codes again "
    "with all their digits (e.g. 00070, not 70)."
)


def _column(contract: Contract, failure: dict):
    name = failure.get("field") or failure.get("column")
    for column in contract.columns:
        if name in (column.name, column.header):
            return column
    return None


def _is_period(contract: Contract, name: str) -> bool:
    coverage_period = contract.coverage.period_column if contract.coverage else None
    return name == coverage_period or name == "period" or name.endswith("_period")


def excel_date_in_period(contract: Contract, failure: dict) -> bool:
    column = _column(contract, failure)
    value = str(failure.get("value") or "")
    return bool(column and _is_period(contract, column.name) and _EXCEL_DATE.match(value))


def lost_leading_zeros(contract: Contract, failure: dict) -> bool:
    """A code of fixed width (the contract's ``code_width``: ward 00070 of the national
    list), shorter than that and all digits: what Excel leaves of ``00070`` when it reads
    the column as numbers."""
    column = _column(contract, failure)
    value = str(failure.get("value") or "")
    length = column.code_width if column else None
    return bool(length and _DIGITS.match(value) and len(value) < length)


def hint(contract: Contract, failure: dict) -> tuple[str, str] | None:
    """(Vietnamese, English) advice for a failure a spreadsheet probably caused."""
    if excel_date_in_period(contract, failure):
        value = failure.get("value")
        return EXCEL_DATE_VI.format(value=value), EXCEL_DATE_EN.format(value=value)
    if lost_leading_zeros(contract, failure):
        return LEADING_ZEROS_VI, LEADING_ZEROS_EN
    return None


def annotate(failures: list[dict], contract: Contract) -> list[dict]:
    """Add ``hint_vi`` / ``hint_en`` to the failures a spreadsheet probably caused, and
    end their messages with the hint (the steward reads one message, not two fields)."""
    for failure in failures:
        found = hint(contract, failure)
        failure["hint_vi"], failure["hint_en"] = found or (None, None)
        if found:
            failure["message_vi"] = f"{failure['message_vi']} {found[0]}"
            failure["message_en"] = f"{failure['message_en']} {found[1]}"
    return failures


def _common_message(items: list[dict], key: str) -> str:
    """The rule's message: what the group's messages share, to the end of a sentence (rows
    add their own details, such as the earlier row a duplicate repeats), without the hint."""
    own_hint = "hint_vi" if key == "message_vi" else "hint_en"
    messages = [str(f[key]).removesuffix(f" {f.get(own_hint)}") for f in items]
    message = os.path.commonprefix(messages)
    if any(m != message for m in messages):
        cut = message.rfind(". ")
        message = message[: cut + 1] if cut > 0 else messages[0]
    return message


def summarise(failures: list[dict], examples: int = EXAMPLES) -> list[dict]:
    """One entry per rule, most frequent first: how many rows, a few examples (row and
    value), the rule's message and the hint most of its failures share."""
    groups: dict[str, list[dict]] = {}
    for failure in failures:
        groups.setdefault(failure["rule"], []).append(failure)
    summary = []
    for rule, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        first = items[0]
        hints = Counter((f.get("hint_vi"), f.get("hint_en")) for f in items if f.get("hint_vi"))
        hint_vi, hint_en = hints.most_common(1)[0][0] if hints else (None, None)
        summary.append(
            {
                "rule": rule,
                "criterion": first["criterion"],
                "column": first.get("column_header") or first.get("column"),
                "count": len(items),
                "examples": [
                    {"source_row": f.get("source_row"), "value": f.get("value")}
                    for f in items[:examples]
                ],
                "message_vi": _common_message(items, "message_vi"),
                "message_en": _common_message(items, "message_en"),
                "hint_vi": hint_vi,
                "hint_en": hint_en,
            }
        )
    return summary
