"""Submitting a checked file: into ``data/landing/<department>/`` atomically, a receipt in
the append-only submission log, and (when configured) a run of the department's extract DAG
through Airflow's REST API.

The landing file is written under a temporary name in the same folder, fsynced, renamed
over the final name in one ``rename(2)`` and the folder fsynced: the pipeline's landing
scan sees either the previous file or the whole new one, never half of it. The temporary
name starts with ``.`` and does not match any dataset's pattern, so a scan never picks it up.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx

from ddss.data_contracts import SourceContract
from ddss.durable import append_line, fsync_dir
from ddss.settings import Settings
from ddss.steward.settings import StewardSettings
from ddss.steward.uploads import Upload, now_iso

log = logging.getLogger(__name__)
_LOG_LOCK = threading.Lock()


def land(source: Path, contract: SourceContract, name: str, cfg: Settings) -> Path:
    """Copy ``source`` to the department's landing folder as ``name``, atomically."""
    ours = contract.source.matches(name) or contract.source.data_file_for(name) is not None
    if "/" in name or "\\" in name or name.startswith(".") or not ours:
        raise ValueError(f"not a landing name of {contract.id}: {name!r}")
    folder = cfg.landing_dir / contract.department.landing_folder
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temp = folder / f".{name}.{secrets.token_hex(6)}.partial"
    try:
        with source.open("rb") as reader, temp.open("xb") as writer:
            while chunk := reader.read(1024 * 1024):
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(folder)
    return target


def append_receipt(steward: StewardSettings, receipt: dict) -> None:
    """One JSON line, appended and fsynced; the log is never rewritten."""
    steward.submissions_log.parent.mkdir(parents=True, exist_ok=True)
    with _LOG_LOCK:
        append_line(
            steward.submissions_log, json.dumps(receipt, ensure_ascii=False, sort_keys=True)
        )


def receipt_for(upload: Upload, landing_path: Path, cfg: Settings) -> dict:
    return {
        "receipt": secrets.token_hex(8),
        "dataset": upload.dataset,
        "department": upload.department,
        "file": upload.landing_name,
        "landing_path": str(landing_path.relative_to(cfg.landing_dir)),
        "sha256": upload.sha256,
        "bytes": upload.bytes,
        "rows": upload.rows,
        "control_file": upload.control_name,
        "control_sha256": upload.control_sha256,
        "problems": len(upload.problems),
        "warnings": len(upload.warnings),
        "submitted_by": upload.username,
        "submitted_at": now_iso(),
    }


@dataclass(frozen=True)
class Trigger:
    triggered: bool
    dag_id: str
    run_id: str | None = None
    error: str | None = None


def trigger_extract(
    steward: StewardSettings, department: str, receipt: dict, why: str = "steward submission"
) -> Trigger:
    """A run of ``<department>__extract`` through Airflow 3's REST API (JWT from
    ``/auth/token``); its raw assets then start the department's validation and publication.
    Never raises: a failure is reported on the page, the file is landed."""
    dag_id = f"{department}__extract"
    if not steward.airflow_configured:
        return Trigger(False, dag_id)
    base = str(steward.airflow_url).rstrip("/")
    try:
        with httpx.Client(timeout=15) as client:
            token = client.post(
                f"{base}/auth/token",
                json={"username": steward.airflow_username, "password": steward.airflow_password},
            )
            token.raise_for_status()
            jwt = token.json()["access_token"]
            response = client.post(
                f"{base}/api/v2/dags/{dag_id}/dagRuns",
                headers={"Authorization": f"Bearer {jwt}"},
                json={
                    "logical_date": None,
                    "note": f"{why} {receipt['receipt']}",
                    "conf": {"receipt": receipt["receipt"], "dataset": receipt["dataset"]},
                },
            )
            response.raise_for_status()
            return Trigger(True, dag_id, str(response.json().get("dag_run_id")))
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        # The reason without the response body (it could echo the credentials' owner).
        reason = type(exc).__name__
        if isinstance(exc, httpx.HTTPStatusError):
            reason = f"HTTP {exc.response.status_code}"
        log.warning("Airflow trigger of %s failed: %s", dag_id, reason)
        return Trigger(False, dag_id, error=reason)
