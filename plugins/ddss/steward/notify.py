"""E-mail to a department's stewards when something needs them: a rejected file, new rows
in quarantine after a run, a deadline in 3 days, a missed deadline.

Each mail is sent once per new status: its key (kind, dataset, period or run or file hash)
goes into an append-only sent-log, and a key already there is never mailed again. Mails say
what happened and link to the workspace page; they carry counts, periods and file names,
never a value from a row (no personal data), in Vietnamese then English.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage

from ddss.durable import append_line
from ddss.settings import Settings
from ddss.steward import pipeline_files as files
from ddss.steward.accounts import AccountStore
from ddss.steward.file_events import rejected as rejected_events
from ddss.steward.settings import StewardSettings
from ddss.steward.uploads import Upload

log = logging.getLogger(__name__)
DUE_SOON_DAYS = 3
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    department: str
    dataset: str
    subject_vi: str
    subject_en: str
    body_vi: str
    body_en: str
    path: str  # the workspace page, relative to its base URL


def sent_keys(steward: StewardSettings) -> set[str]:
    return {str(e.get("key")) for e in files.read_jsonl(steward.notifications_log)}


def _record(steward: StewardSettings, notice: Notice, recipients: int) -> None:
    steward.notifications_log.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "key": notice.key,
            "kind": notice.kind,
            "department": notice.department,
            "dataset": notice.dataset,
            "recipients": recipients,
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        ensure_ascii=False,
    )
    append_line(steward.notifications_log, line)


def _message(steward: StewardSettings, notices: list[Notice], to: str) -> EmailMessage:
    """One mail with every new notice of the round: a clerk gets one mail after a run, not
    one per dataset and status. Vietnamese first (all of it), then English."""

    def link(notice: Notice) -> str:
        return steward.base_url + notice.path.lstrip("/")

    message = EmailMessage()
    message["From"] = steward.smtp_sender
    message["To"] = to
    if len(notices) == 1:
        (only,) = notices
        message["Subject"] = f"[ddss] {only.subject_vi} / {only.subject_en}"
        vi = f"{only.body_vi}\n\nXem chi tiết: {link(only)}"
        en = f"{only.body_en}\n\nDetails: {link(only)}"
    else:
        count = len(notices)
        message["Subject"] = (
            f"[ddss] {count} thông báo mới về dữ liệu của đơn vị / "
            f"{count} new notices about your department's data"
        )
        vi = "\n\n".join(
            f"{i}. {n.subject_vi}\n{n.body_vi}\nXem chi tiết: {link(n)}"
            for i, n in enumerate(notices, 1)
        )
        en = "\n\n".join(
            f"{i}. {n.subject_en}\n{n.body_en}\nDetails: {link(n)}"
            for i, n in enumerate(notices, 1)
        )
    message.set_content(
        f"{vi}\n\n— — —\n\n{en}\n\n"
        "Thư tự động từ hệ thống ddss, không trả lời thư này. / "
        "An automatic message from ddss; do not reply.\n"
    )
    return message


def _smtp(steward: StewardSettings) -> smtplib.SMTP:
    host = str(steward.smtp_host)
    if steward.smtp_tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, steward.smtp_port, timeout=30, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, steward.smtp_port, timeout=30)
        if steward.smtp_tls == "starttls":
            client.starttls(context=ssl.create_default_context())
    if steward.smtp_user and steward.smtp_password:
        client.login(steward.smtp_user, steward.smtp_password)
    return client


def send(steward: StewardSettings, notices: list[Notice]) -> list[Notice]:
    """Mail the notices not sent before to their department's active stewards, one mail
    per steward with all of their department's new notices; return the notices sent.
    Without an SMTP host nothing is sent (and nothing recorded, so a later configuration
    still sends what is current)."""
    if not steward.smtp_host or not notices:
        return []
    accounts = AccountStore(steward.accounts_db)
    sent: list[Notice] = []
    with _LOCK:
        done = sent_keys(steward)
        fresh: dict[str, Notice] = {}
        for notice in notices:
            if notice.key not in done:
                fresh.setdefault(notice.key, notice)
        if not fresh:
            return []
        by_department: dict[str, list[Notice]] = {}
        for notice in fresh.values():
            by_department.setdefault(notice.department, []).append(notice)
        with _smtp(steward) as client:
            for department, items in by_department.items():
                recipients = [a.email for a in accounts.list(department) if a.active and a.email]
                for to in recipients:
                    client.send_message(_message(steward, items, str(to)))
                # Recorded once its mails are handed over: a failure half-way sends the
                # rest (and only the rest) next time.
                for notice in items:
                    _record(steward, notice, len(recipients))
                    sent.append(notice)
    log.info("steward notifications sent: %s", ", ".join(n.kind for n in sent))
    return sent


def rejected_upload_notice(upload: Upload) -> Notice:
    return Notice(
        key=f"rejected:{upload.dataset}:{upload.sha256}",
        kind="rejected",
        department=upload.department,
        dataset=upload.dataset,
        subject_vi=f"Tệp bị từ chối: {upload.landing_name}",
        subject_en=f"File rejected: {upload.landing_name}",
        body_vi=f"Tệp {upload.landing_name} của bộ dữ liệu {upload.dataset} không thể nhận. "
        "Trang kết quả kiểm tra cho biết lý do và cách sửa.",
        body_en=f"The file {upload.landing_name} of dataset {upload.dataset} cannot be accepted. "
        "The check result page says why and how to fix it.",
        path=f"/uploads/{upload.id}",
    )


def notify_rejected_upload(cfg: Settings, steward: StewardSettings, upload: Upload) -> None:
    """Mail a rejected upload; a mail server that is down never fails the upload."""
    try:
        send(steward, [rejected_upload_notice(upload)])
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("steward notification not sent: %s", type(exc).__name__)


def _rejected_key(event: dict, department: str) -> str:
    """A rejection is one status per file content: the same bytes rejected again by a later
    run (or already refused in the workspace, where the key is the same) are not news."""
    if event.get("sha256") and event.get("dataset"):
        return f"rejected:{event['dataset']}:{event['sha256']}"
    digest = hashlib.sha256(str(event.get("message_en") or "").encode("utf-8")).hexdigest()
    return f"rejected:{department}:{event.get('file_name')}:{digest[:16]}"


def _rejected_files(steward: StewardSettings, department: str) -> list[Notice]:
    """A notice per file the pipeline's loader rejected (from the file events' copy). The
    loader's message can quote a cell, so the mail names the file only."""
    out: dict[str, Notice] = {}
    for event in rejected_events(steward, department):
        name = str(event.get("file_name") or "").replace("\\", "/").rsplit("/", 1)[-1]
        key = _rejected_key(event, department)
        out[key] = Notice(
            key=key,
            kind="rejected",
            department=department,
            dataset=str(event.get("dataset") or ""),
            subject_vi=f"Tệp bị từ chối: {name}",
            subject_en=f"File rejected: {name}",
            body_vi=f"Đường ống không nạp được tệp {name}. Trang các tệp đã nộp cho biết lý do; "
            "hãy sửa và gửi lại tệp.",
            body_en=f"The pipeline could not load the file {name}. The page of submitted files "
            "says why; fix the file and send it again.",
            path="/submissions",
        )
    return list(out.values())


def _row_ids(rows: list[dict]) -> set[tuple[str, str, str]]:
    return {
        (r.get("source_file") or "", r.get("source_row") or "", r.get("rule") or "")
        for r in rows
        if not files.is_warning(r)
    }


def _new_quarantine(cfg: Settings, department: str) -> list[Notice]:
    out = []
    for contract in files.department_contracts(cfg, department):
        reports = files.report_files(cfg, contract)
        if not reports:
            continue
        current = _row_ids(files.read_report_csv(reports[-1].path))
        before = _row_ids(files.read_report_csv(reports[-2].path)) if len(reports) > 1 else set()
        new = len(current - before)
        if not new:
            continue
        run = reports[-1].run_id
        out.append(
            Notice(
                key=f"quarantine:{contract.id}:{run}",
                kind="quarantine",
                department=department,
                dataset=contract.id,
                subject_vi=f"{new} dòng mới cần sửa: {contract.title_vi}",
                subject_en=f"{new} new rows to fix: {contract.title_en}",
                body_vi=f"Lượt chạy {run} đã giữ lại {new} dòng mới của bộ dữ liệu "
                f"{contract.title_vi} ({len(current)} dòng đang chờ sửa).",
                body_en=f"Run {run} held back {new} new rows of {contract.title_en} "
                f"({len(current)} rows waiting to be fixed).",
                path=f"/quarantine?dataset={contract.id}",
            )
        )
    return out


def _deadlines(cfg: Settings, department: str, entries: list[dict], today: date) -> list[Notice]:
    out = []
    for contract in files.department_contracts(cfg, department):
        received = files.received_periods(contract, entries)
        missed = files.missed_periods(contract, received, today)
        if missed:
            # One mail for every period missing so far, keyed by the latest: a newly missed
            # period is a new status, the same ones again are not.
            out.append(_deadline_notice(contract, missed[-1], "missed", [m.period for m in missed]))
        upcoming = files.next_deadline(contract, received, today)
        if upcoming and 0 <= upcoming.days <= DUE_SOON_DAYS:
            out.append(_deadline_notice(contract, upcoming, "due_soon"))
    return out


def _deadline_notice(
    contract, deadline: files.Deadline, kind: str, periods: list[str] | None = None
) -> Notice:
    due = deadline.due.strftime("%d/%m/%Y")
    if kind == "missed":
        listed = ", ".join(periods or [deadline.period])
        vi = f"Quá hạn nộp kỳ {deadline.period}: {contract.title_vi}"
        en = f"Deadline missed for {deadline.period}: {contract.title_en}"
        body_vi = (
            f"Kỳ {deadline.period} của {contract.title_vi} đến hạn ngày {due} nhưng chưa nhận "
            f"được tệp. Các kỳ chưa nộp: {listed}."
        )
        body_en = (
            f"Period {deadline.period} of {contract.title_en} was due on "
            f"{deadline.due.isoformat()} and has not arrived. Periods missing: {listed}."
        )
    else:
        vi = f"Còn {deadline.days} ngày để nộp kỳ {deadline.period}: {contract.title_vi}"
        en = f"{deadline.days} days left to send {deadline.period}: {contract.title_en}"
        body_vi = f"Kỳ {deadline.period} của {contract.title_vi} đến hạn ngày {due}."
        body_en = (
            f"Period {deadline.period} of {contract.title_en} is due on {deadline.due.isoformat()}."
        )
    return Notice(
        key=f"{kind}:{contract.id}:{deadline.period}",
        kind=kind,
        department=contract.department.id,
        dataset=contract.id,
        subject_vi=vi,
        subject_en=en,
        body_vi=body_vi,
        body_en=body_en,
        path=f"/datasets/{contract.id}",
    )


def current_notices(cfg: Settings, steward: StewardSettings, today: date) -> list[Notice]:
    """What every department should be told about now (sent or not)."""
    notices = []
    for department in files.departments(cfg):
        entries = files.manifest_entries(cfg, department)
        notices += _rejected_files(steward, department)
        notices += _new_quarantine(cfg, department)
        notices += _deadlines(cfg, department, entries, today)
    return notices


def notify(cfg: Settings, steward: StewardSettings, today: date | None = None) -> list[Notice]:
    today = today or steward.as_of or datetime.now(UTC).date()
    return send(steward, current_notices(cfg, steward, today))


def after_run(cfg: Settings, steward: StewardSettings, today: date | None = None) -> list[Notice]:
    """What runs after a pipeline run (the ``steward_notify`` DAG, ``ddss steward-notify``):
    copy the warehouse's file events for the workspace, then mail what is new. A warehouse
    held by a writer keeps the previous copy; the mails are sent all the same."""
    from ddss.steward.file_events import WarehouseBusy, export

    try:
        export(cfg, steward)
    except WarehouseBusy as exc:
        log.warning("file events not copied (the warehouse is busy): %s", exc)
    return notify(cfg, steward, today)
