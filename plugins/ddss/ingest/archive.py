"""The raw archive: landing files copied under their sha256, read-only, and recorded in
``raw/manifest.jsonl`` (one JSON object a line, append only).

A file whose bytes were archived before is recognised by its sha256 and not copied again;
a symlink leading out of the landing folder is refused.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ddss.checksums import sha256_of
from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.manifest import append_manifest, read_manifest
from ddss.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ArchivedFile:
    dataset: str
    department: str
    file_name: str
    sha256: str
    bytes: int
    raw_path: str
    landing_path: str
    status: str  # archived | duplicate
    archived_at: str = ""
    # When the department dropped the file (its modification time in the landing folder):
    # sống judges whether each period arrived before its deadline from this.
    arrived_at: str = ""


@dataclass
class LandingScan:
    """What one pass over the landing folders found."""

    archived: list[ArchivedFile] = field(default_factory=list)
    duplicates: list[ArchivedFile] = field(default_factory=list)
    controls: list[ArchivedFile] = field(default_factory=list)  # control-totals files
    rejected: list[Problem] = field(default_factory=list)
    # Files not taken yet (still being written): reported, neither archived nor rejected.
    deferred: list[Problem] = field(default_factory=list)
    # What was repaired in the archive's own state (a torn manifest line).
    repairs: list[Problem] = field(default_factory=list)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def contract_for(
    file_name: str, department_folder: str, contracts: list[SourceContract]
) -> SourceContract | None:
    for contract in contracts:
        if contract.department.landing_folder == department_folder and contract.source.matches(
            file_name
        ):
            return contract
    return None


def control_for(
    file_name: str, department_folder: str, contracts: list[SourceContract]
) -> SourceContract | None:
    """The contract whose control-totals file this is: ``<data file stem><suffix>``."""
    for contract in contracts:
        if (
            contract.department.landing_folder == department_folder
            and contract.source.data_file_for(file_name)
        ):
            return contract
    return None


def data_file_for_control(control_name: str, contract: SourceContract) -> str:
    data_file = contract.source.data_file_for(control_name)
    if data_file is None:
        raise ValueError(f"{control_name} is not a control-totals file of {contract.id}")
    return data_file


def _refuse_unsafe(path: Path, cfg: Settings) -> int:
    """The file's size, or FileRejected when it is outside the landing folder or too large."""
    if not _inside(path, cfg.landing_dir):
        raise FileRejected(
            Problem(
                str(path),
                None,
                None,
                None,
                "outside_landing",
                "Tệp nằm ngoài thư mục tiếp nhận, không được xử lý.",
                "The path is outside the landing folder and is refused.",
            )
        )
    size = path.stat().st_size
    if size > cfg.max_file_bytes:
        raise FileRejected(
            Problem(
                path.name,
                None,
                None,
                str(size),
                "file_too_large",
                f"Tệp quá lớn ({size} byte, tối đa {cfg.max_file_bytes}). Hãy chia tệp theo tháng.",
                f"File too large ({size} bytes, limit {cfg.max_file_bytes}). Split it by month.",
            )
        )
    return size


def archive_file(
    path: Path, contract: SourceContract, cfg: Settings, known: set[str]
) -> ArchivedFile:
    """Copy one landing file into the raw archive (or recognise it as already there)."""
    size = _refuse_unsafe(path, cfg)
    digest = sha256_of(path)
    target_dir = cfg.raw_dir / contract.department.id / contract.id
    target = target_dir / f"{digest}__{path.name}"
    entry = ArchivedFile(
        dataset=contract.id,
        department=contract.department.id,
        file_name=path.name,
        sha256=digest,
        bytes=size,
        raw_path=str(target.relative_to(cfg.raw_dir)),
        landing_path=str(path.relative_to(cfg.landing_dir)),
        status="archived",
        archived_at=datetime.now(UTC).isoformat(timespec="seconds"),
        arrived_at=datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds"),
    )
    if digest in known:
        entry.status = "duplicate"
        return entry
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(path, partial)
    if sha256_of(partial) != digest:  # the file changed while we copied it
        partial.unlink()
        raise FileRejected(
            Problem(
                path.name,
                None,
                None,
                None,
                "changed_while_copying",
                "Tệp thay đổi trong khi sao chép; sẽ thử lại ở lần chạy sau.",
                "The file changed while it was being copied; it will be retried next run.",
            )
        )
    os.chmod(partial, 0o444)
    os.replace(partial, target)
    append_manifest(cfg, asdict(entry))
    known.add(digest)
    return entry


def landing_files(cfg: Settings, contracts: list[SourceContract]) -> list[tuple[str, Path]]:
    """(department folder, path) of every visible regular file in the contracts' folders."""
    found = []
    for folder in sorted({c.department.landing_folder for c in contracts}):
        base = cfg.landing_dir / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                found.append((folder, path))
    return found


def _archive_one(
    folder: str,
    path: Path,
    cfg: Settings,
    contracts: list[SourceContract],
    known: set[str],
    scan: LandingScan,
) -> None:
    contract = contract_for(path.name, folder, contracts)
    control = None if contract else control_for(path.name, folder, contracts)
    owner = contract or control
    if owner is None:
        log.warning("landing file %s matches no dataset contract; left in place", path)
        return
    try:
        entry = archive_file(path, owner, cfg, known)
    except FileRejected as exc:
        scan.rejected.append(exc.problem)
        log.error("%s", exc)
        return
    if control is not None:
        scan.controls.append(entry)
    else:
        (scan.duplicates if entry.status == "duplicate" else scan.archived).append(entry)


def archive_landing(cfg: Settings, contracts: list[SourceContract]) -> LandingScan:
    """Archive every landing file of ``contracts`` that is not in the archive yet."""
    scan = LandingScan()
    known = {e["sha256"] for e in read_manifest(cfg)}
    for folder, path in landing_files(cfg, contracts):
        _archive_one(folder, path, cfg, contracts, known, scan)
    return scan
