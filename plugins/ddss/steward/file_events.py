"""What the pipeline did with each file (``meta.file_events``: rejected, loaded, withdrawn,
sent twice), copied for the workspace into ``data/steward/file_events.json``.

The web application never opens the warehouse (DuckDB gives one process the file, and a
reader can make a running pipeline's next write fail). The copy is written by the step
that runs after each publication, where nothing else writes: the ``steward_notify`` DAG
(in the writers' one-slot pool) or ``ddss steward-notify`` after ``ddss run``. It is
replaced in one ``rename(2)``: a reader sees the previous copy or the new one.

A rejection's message can quote a value of the file (the row the loader stopped at): the
copy stays on the server, is shown only to the department's own stewards, and the e-mails
built from it carry file names only.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from ddss.data_contracts import SourceContract, source_contracts
from ddss.settings import Settings
from ddss.steward.settings import StewardSettings
from ddss.warehouse import WarehouseBusy

__all__ = ["WarehouseBusy", "events_path", "export", "file_events", "read_warehouse_events"]

log = logging.getLogger(__name__)
# The statuses a steward's pages and mails need; notes and repairs are the engineers'.
STATUSES = ("rejected", "loaded", "withdrawn", "duplicate")
FIELDS = (
    "run_id",
    "dataset",
    "department",
    "file_name",
    "sha256",
    "rows",
    "status",
    "message_vi",
    "message_en",
    "recorded_at",
)


def events_path(steward: StewardSettings) -> Path:
    return steward.folder / "file_events.json"


def _owner(name: str, contracts: list[SourceContract]) -> SourceContract | None:
    """The dataset a file name belongs to (an event recorded before the file was matched,
    such as an archive-level rejection, names no dataset)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    found = [c for c in contracts if c.source.matches(base)]
    return found[0] if len(found) == 1 else None


def read_warehouse_events(cfg: Settings) -> list[dict]:
    """The events, read-only, oldest first; dataset and department filled in from the
    contracts where the pipeline could not name them. WarehouseBusy when a writer holds it."""
    from ddss.warehouse import connect, table_exists

    if not cfg.warehouse_path.exists():
        return []
    placeholders = ", ".join("?" for _ in STATUSES)
    with connect(cfg, read_only=True) as con:  # waits for a writer, then WarehouseBusy
        if not table_exists(con, "meta", "file_events"):
            return []
        rows = con.execute(
            f"select {', '.join(FIELDS)} from meta.file_events "
            f"where status in ({placeholders}) order by recorded_at, file_name",
            list(STATUSES),
        ).fetchall()
    contracts = source_contracts(cfg)
    events = []
    for row in rows:
        event = dict(zip(FIELDS, row, strict=True))
        event["recorded_at"] = str(event["recorded_at"] or "")
        if not event["dataset"] or not event["department"]:
            owner = _owner(event["file_name"] or "", contracts)
            if owner is not None:
                event["dataset"] = event["dataset"] or owner.id
                event["department"] = event["department"] or owner.department.id
        events.append(event)
    return events


def export(cfg: Settings, steward: StewardSettings) -> Path:
    """Replace the workspace's copy of the file events (raises WarehouseBusy)."""
    events = read_warehouse_events(cfg)
    target = events_path(steward)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"events": events}, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    log.info("steward workspace: %d file events copied to %s", len(events), target)
    return target


def file_events(steward: StewardSettings, department: str) -> list[dict]:
    """The department's events from the last copy ([] before the first)."""
    try:
        data = json.loads(events_path(steward).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    events = data.get("events") if isinstance(data, dict) else None
    return [e for e in events or [] if isinstance(e, dict) and e.get("department") == department]


def rejected(steward: StewardSettings, department: str) -> list[dict]:
    return [e for e in file_events(steward, department) if e.get("status") == "rejected"]
