"""Rút lại tệp / withdrawing a submitted file from the workspace: the same code as
``ddss withdraw FILE`` (``ddss.ingest.withdraw``), for the steward's own submissions only.

What it does is what the command does: the file's rows leave the data, the landing file
moves to ``<department>/.withdrawn/``, the raw copy stays in the archive, and a
``withdrawn`` file event and a line in ``raw/withdrawals.jsonl`` keep the trail. The
workspace adds who asked (the steward's account, in the reason the trail records, and a line
in ``data/steward/withdrawals.jsonl`` with the receipt).

Only the latest submission of a file name can be withdrawn, and only while the landing
file is still the one submitted (same sha256): ``ddss withdraw`` takes a file by name, and a
later submission (or a file dropped by other means) under that name must not be taken
back in its place.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from ddss.durable import append_line
from ddss.settings import Settings
from ddss.steward import pipeline_files as files
from ddss.steward.settings import StewardSettings
from ddss.steward.uploads import now_iso
from ddss.warehouse import WarehouseBusy

__all__ = ["NotWithdrawable", "WarehouseBusy", "submissions", "withdraw_submission"]

RECEIPT_ID = re.compile(r"^[0-9a-f]{16}$")
# Landing a submission and withdrawing one never interleave in this process.
LANDING_LOCK = threading.Lock()


class NotWithdrawable(Exception):
    """Why this submission cannot be withdrawn, in both languages."""


@dataclass(frozen=True)
class Submission:
    receipt: dict
    outcome: str
    withdrawable: bool
    why_not: str  # bilingual, when not withdrawable
    pipeline_message: tuple[str, str] | None

    @property
    def id(self) -> str:
        return str(self.receipt.get("receipt"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def workspace_withdrawals(steward: StewardSettings) -> list[dict]:
    return files.read_jsonl(steward.folder / "withdrawals.jsonl")


def receipts(steward: StewardSettings, department: str) -> list[dict]:
    """The department's receipts, oldest first."""
    return [
        r
        for r in files.read_jsonl(steward.submissions_log)
        if r.get("department") == department and RECEIPT_ID.match(str(r.get("receipt") or ""))
    ]


def _why_not(cfg: Settings, receipt: dict, outcome: str, newer: bool, withdrawn: bool) -> str:
    if withdrawn:
        return "Tệp này đã được rút lại. / This file was withdrawn already."
    if outcome == "waiting":
        return (
            "Đường ống chưa nạp tệp này nên chưa thể rút lại. Nếu gửi nhầm, hãy nộp tệp đúng "
            "cho cùng kỳ: tệp mới sẽ thay tệp này. / The pipeline has not loaded this file yet, "
            "so it cannot be withdrawn. If it was sent by mistake, submit the right file for "
            "the same period: it replaces this one."
        )
    if outcome == "rejected":
        return (
            "Đường ống đã từ chối tệp này, không có dòng nào để rút lại. / The pipeline "
            "rejected this file: it has no rows to withdraw."
        )
    if newer:
        return (
            "Đã có lần nộp mới hơn cho tệp này; chỉ rút lại được lần nộp mới nhất. / "
            "A later submission replaced this file; only the latest can be withdrawn."
        )
    landing = cfg.landing_dir / str(receipt.get("landing_path") or "")
    if not landing.is_file():
        return (
            "Tệp không còn trong thư mục nhận của đơn vị. / "
            "The file is no longer in the department's landing folder."
        )
    if _sha256(landing) != receipt.get("sha256"):
        return (
            "Tệp trong thư mục nhận không còn là tệp đã nộp (đã được thay). / "
            "The file in the landing folder is no longer the one submitted (it was replaced)."
        )
    return ""


def submissions(cfg: Settings, steward: StewardSettings, department: str) -> list[Submission]:
    """The department's submissions, newest first, each with what became of it and whether
    it can be withdrawn."""
    from ddss.steward.file_events import file_events

    own = receipts(steward, department)
    events = file_events(steward, department)
    entries = files.manifest_entries(cfg, department)
    taken_back = {w.get("receipt") for w in workspace_withdrawals(steward)}
    latest: dict[tuple, str] = {}
    for receipt in own:
        latest[(receipt.get("dataset"), receipt.get("file"))] = str(receipt.get("receipt"))
    out = []
    for receipt in reversed(own):
        outcome = files.submission_outcome(receipt, entries, events)
        withdrawn = receipt.get("receipt") in taken_back or outcome == "withdrawn"
        newer = latest[(receipt.get("dataset"), receipt.get("file"))] != receipt.get("receipt")
        why = _why_not(cfg, receipt, outcome, newer, withdrawn)
        out.append(
            Submission(
                receipt=receipt,
                outcome="withdrawn" if withdrawn else outcome,
                withdrawable=not why,
                why_not=why,
                pipeline_message=files.pipeline_message(receipt, events),
            )
        )
    return out


def find(cfg: Settings, steward: StewardSettings, department: str, receipt_id: str) -> Submission:
    """One of the department's submissions; KeyError for any other id (or none)."""
    if not RECEIPT_ID.match(receipt_id):
        raise KeyError(receipt_id)
    for submission in submissions(cfg, steward, department):
        if submission.id == receipt_id:
            return submission
    raise KeyError(receipt_id)


def _record(steward: StewardSettings, line: dict) -> None:
    steward.folder.mkdir(parents=True, exist_ok=True)
    append_line(
        steward.folder / "withdrawals.jsonl", json.dumps(line, ensure_ascii=False, sort_keys=True)
    )


def withdraw_submission(
    cfg: Settings,
    steward: StewardSettings,
    department: str,
    receipt_id: str,
    username: str,
    reason: str,
) -> dict:
    """Withdraw one of the department's submissions with ``ddss withdraw``'s own code;
    the workspace's record of it. NotWithdrawable (with the reason) or WarehouseBusy."""
    from ddss.ingest.withdraw import WithdrawError, withdraw

    reason = " ".join(reason.split())[:500]
    with LANDING_LOCK:
        submission = find(cfg, steward, department, receipt_id)
        if not submission.withdrawable:
            raise NotWithdrawable(submission.why_not)
        receipt = submission.receipt
        said = f"{reason} " if reason else ""
        trail = f"{said}(cán bộ / steward {username}, biên nhận / receipt {receipt_id})"
        try:
            done = withdraw(
                str(cfg.landing_dir / str(receipt["landing_path"])),
                cfg,
                dataset=str(receipt["dataset"]),
                reason=trail,
            )
        except WithdrawError as exc:
            raise NotWithdrawable(str(exc)) from exc
    line = {
        "receipt": receipt_id,
        "department": department,
        "withdrawn_by": username,
        "withdrawn_at": now_iso(),
        "reason": reason,
        "withdrawal": asdict(done),
    }
    _record(steward, line)
    return line
