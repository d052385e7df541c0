"""The raw archive: landing files copied under their sha256, read-only, and recorded in
``raw/manifest.jsonl`` (one JSON object a line, append only).

A file whose bytes were archived before is recognised by its sha256 and not copied again;
a symlink leading out of the landing folder is refused, and so are a hard link (its bytes
can be changed from outside landing), a name with a control or bidirectional character
(a newline, a right-to-left override) and a name too long for its archived copy
(``<sha256>__<name>.partial`` must fit in 255 bytes). Such a file is refused before it is
read; the other files are still taken.

Landing files are not hashed again on every run: ``raw/landing_hashes.json`` keeps, for each
landing file taken, its sha256 with the ``stat`` it had then (size, mtime_ns, ctime_ns,
inode, device). The sha256 is trusted only while all five are unchanged. Writing new bytes
changes ctime_ns, which no program can set back (``touch`` and ``os.utime`` restore the
mtime, not the ctime), and replacing the file by another changes its inode: either way the
file is read and hashed again. A file whose stat is unchanged was taken whole before, so it
is neither settled (``still_changing``) nor checked for a cut end again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ddss.checksums import sha256_of
from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.landing import cut_short, still_changing
from ddss.ingest.manifest import (
    TornLine,
    append_manifest,
    locked_archive,
    read_manifest,
    repair_manifest,
)
from ddss.settings import Settings

log = logging.getLogger(__name__)

# The archived copy is ``<sha256>__<name>``, written first as ``<sha256>__<name>.partial``:
# that name must fit in NAME_MAX (255 bytes on ext4, xfs, btrfs, tmpfs).
NAME_MAX_BYTES = 255
PARTIAL_SUFFIX = ".partial"
MAX_NAME_BYTES = NAME_MAX_BYTES - 64 - len("__") - len(PARTIAL_SUFFIX)  # 181
# Control characters (a newline, a tab, DEL) and bidirectional marks, embeddings, overrides
# and isolates, which make a name read differently from what it is (ho_so_\u202evsc.exe).
UNSAFE_NAME_CHARS = re.compile("[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


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


def _stat_signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def hashes_path(cfg: Settings) -> Path:
    return cfg.raw_dir / "landing_hashes.json"


@dataclass
class HashCache:
    """{landing path: [size, mtime_ns, ctime_ns, inode, device, sha256]} of the files taken."""

    entries: dict[str, list] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def load(cls, cfg: Settings) -> HashCache:
        try:
            data = json.loads(hashes_path(cfg).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return cls()
        return cls(data if isinstance(data, dict) else {})

    @staticmethod
    def key(path: Path, cfg: Settings) -> str:
        return str(path.relative_to(cfg.landing_dir)) if _inside(path, cfg.landing_dir) else ""

    def known(self, path: Path, cfg: Settings) -> str | None:
        """The file's sha256 if its stat is exactly the one recorded with it, else None."""
        entry = self.entries.get(self.key(path, cfg))
        try:
            signature = _stat_signature(path)
        except FileNotFoundError:
            return None
        if entry and len(entry) == 6 and entry[:5] == signature:
            return str(entry[5])
        return None

    def sha256(self, path: Path, cfg: Settings) -> tuple[str, list[int]]:
        """(sha256, stat signature taken before reading): from the record when trusted."""
        signature = _stat_signature(path)
        known = self.known(path, cfg)
        return (known, signature) if known else (sha256_of(path), signature)

    def remember(self, path: Path, cfg: Settings, signature: list[int], digest: str) -> None:
        key = self.key(path, cfg)
        if key and self.entries.get(key) != [*signature, digest]:
            self.entries[key] = [*signature, digest]
            self.changed = True

    def save(self, cfg: Settings) -> None:
        """Merge into the record on disk (another department's extract may have written it)."""
        if not self.changed:
            return
        with locked_archive(cfg):
            on_disk = HashCache.load(cfg).entries
            on_disk.update(self.entries)
            target = hashes_path(cfg)
            partial = target.with_name(target.name + ".partial")
            partial.write_text(json.dumps(on_disk, ensure_ascii=False, sort_keys=True), "utf-8")
            os.replace(partial, target)
        self.changed = False


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


def visible_name(name: str) -> str:
    """``name`` with its control and bidirectional characters written out (<U+202E>)."""
    return UNSAFE_NAME_CHARS.sub(lambda m: f"<U+{ord(m.group()):04X}>", name)


def shortened(name: str, keep: int = 60) -> str:
    """``name`` cut in the middle to at most about ``keep`` characters, for a message."""
    if len(name) <= keep:
        return name
    tail = keep // 3
    return f"{name[: keep - tail - 1]}…{name[-tail:]}"


def _refuse_name_or_link(path: Path, cfg: Settings) -> None:
    """FileRejected when the name is unsafe or too long, or the file is outside the landing
    folder or a hard link: checked before the file is read."""
    name = path.name
    if UNSAFE_NAME_CHARS.search(name):
        shown = shortened(visible_name(name), 120)
        raise FileRejected(
            Problem(
                name,
                None,
                None,
                shown,
                "unsafe_name",
                f"Tên tệp '{shown}' chứa ký tự điều khiển hoặc ký tự đổi chiều chữ (xuống dòng, "
                "đảo chiều phải-sang-trái), không được xử lý. Hãy đổi tên tệp chỉ dùng chữ, số, "
                "dấu gạch và dấu chấm.",
                f"The file name '{shown}' contains a control or bidirectional character (a "
                "newline, a right-to-left override) and is refused. Rename the file using only "
                "letters, digits, dashes, underscores and dots.",
            )
        )
    size = len(os.fsencode(name))
    if size > MAX_NAME_BYTES:
        shown = shortened(name)
        raise FileRejected(
            Problem(
                name,
                None,
                None,
                str(size),
                "name_too_long",
                f"Tên tệp '{shown}' quá dài ({size} byte, tối đa {MAX_NAME_BYTES}), không lưu "
                "trữ được. Hãy đặt tên ngắn hơn.",
                f"The file name '{shown}' is too long ({size} bytes, limit {MAX_NAME_BYTES}) "
                "to be archived. Give the file a shorter name.",
            )
        )
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
    links = path.lstat().st_nlink
    if links > 1:
        raise FileRejected(
            Problem(
                str(path),
                None,
                None,
                None,
                "hard_link",
                f"Tệp là một liên kết cứng ({links} tên cho cùng một nội dung): nội dung có thể "
                "bị thay đổi từ ngoài thư mục tiếp nhận, không được xử lý. Hãy chép tệp vào thay "
                "vì tạo liên kết.",
                f"The file is a hard link ({links} names for the same bytes): its bytes could be "
                "changed from outside the landing folder, so it is refused. Copy the file in "
                "instead of linking it.",
            )
        )


def _acceptable(path: Path, cfg: Settings) -> bool:
    """Whether ``_refuse_name_or_link`` lets the file through."""
    try:
        _refuse_name_or_link(path, cfg)
    except (FileRejected, FileNotFoundError):
        return False
    return True


def _refuse_unsafe(path: Path, cfg: Settings) -> int:
    """The file's size, or FileRejected when its name is unsafe or too long, it is outside
    the landing folder, a hard link, or too large."""
    _refuse_name_or_link(path, cfg)
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
    path: Path,
    contract: SourceContract,
    cfg: Settings,
    known: set[str],
    hashes: HashCache | None = None,
) -> ArchivedFile:
    """Copy one landing file into the raw archive (or recognise it as already there). With
    ``hashes``, a file unchanged since it was last taken is not read again."""
    size = _refuse_unsafe(path, cfg)
    if hashes is None:
        digest, signature = sha256_of(path), None
    else:
        digest, signature = hashes.sha256(path, cfg)
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
        if hashes is not None and signature is not None:
            hashes.remember(path, cfg, signature, digest)
        return entry
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    partial.unlink(missing_ok=True)  # left read-only by a crash before its rename
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
    if hashes is not None and signature is not None:
        hashes.remember(path, cfg, signature, digest)
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
    hashes: HashCache | None = None,
) -> None:
    contract = contract_for(path.name, folder, contracts)
    control = None if contract else control_for(path.name, folder, contracts)
    owner = contract or control
    if owner is None:
        log.warning(
            "landing file %s matches no dataset contract; left in place", visible_name(str(path))
        )
        return
    try:
        # Read nothing outside the landing folder, through a hard link or under an unsafe name.
        _refuse_name_or_link(path, cfg)
        taken_before = hashes is not None and hashes.known(path, cfg) is not None
        unfinished = cut_short(path, owner, control is not None) if not taken_before else None
        if unfinished:
            scan.deferred.append(unfinished)
            log.warning("%s", unfinished)
            return
        entry = archive_file(path, owner, cfg, known, hashes)
    except FileRejected as exc:
        scan.rejected.append(exc.problem)
        # The log shows the name with its control characters written out (no forged lines).
        log.error("%s", replace(exc.problem, file=visible_name(exc.problem.file)))
        return
    if control is not None:
        scan.controls.append(entry)
    else:
        (scan.duplicates if entry.status == "duplicate" else scan.archived).append(entry)


def _torn_problem(torn: TornLine) -> Problem:
    shown = torn.text if len(torn.text) <= 120 else torn.text[:120] + "…"
    aside = torn.set_aside.name
    return Problem(
        "raw/manifest.jsonl",
        torn.line,
        None,
        shown,
        "manifest_repaired",
        f"Dòng {torn.line} của sổ lưu trữ bị cắt dở (lần chạy trước dừng giữa chừng khi ghi); "
        f"đã chuyển sang {aside} và kiểm tra lại kho lưu trữ theo sha256. Không cần làm gì thêm.",
        f"Line {torn.line} of the archive manifest was torn (the previous run stopped while "
        f"writing it); it was moved to {aside} and the archive was re-verified by sha256. "
        "Nothing to do.",
    )


def _orphan_entry(
    cfg: Settings, raw: Path, contract: SourceContract, digest: str, name: str
) -> ArchivedFile:
    landing = cfg.landing_dir / contract.department.landing_folder / name
    arrived = (
        datetime.fromtimestamp(landing.stat().st_mtime, UTC).isoformat(timespec="seconds")
        if landing.is_file()
        else ""
    )
    return ArchivedFile(
        dataset=contract.id,
        department=contract.department.id,
        file_name=name,
        sha256=digest,
        bytes=raw.stat().st_size,
        raw_path=str(raw.relative_to(cfg.raw_dir)),
        landing_path=str(landing.relative_to(cfg.landing_dir)),
        status="archived",
        archived_at=datetime.fromtimestamp(raw.stat().st_mtime, UTC).isoformat(timespec="seconds"),
        arrived_at=arrived,
    )


def _unlisted_copies(cfg: Settings, contract: SourceContract, listed: set[str]) -> list[Path]:
    folder = cfg.raw_dir / contract.department.id / contract.id
    if not folder.is_dir():
        return []
    return [
        p
        for p in sorted(folder.iterdir())
        if p.is_file()
        and "__" in p.name
        and not p.name.endswith(".partial")
        and str(p.relative_to(cfg.raw_dir)) not in listed
    ]


def _relisted(cfg: Settings, raw: Path, contract: SourceContract) -> Problem | None:
    """List an archived copy the manifest lost, once its bytes match the sha256 in its name."""
    digest, name = raw.name.split("__", 1)
    if sha256_of(raw) != digest:
        log.error("archived copy %s does not match its sha256; left unlisted", raw)
        return None
    append_manifest(cfg, asdict(_orphan_entry(cfg, raw, contract, digest, name)))
    return Problem(
        str(raw.relative_to(cfg.raw_dir)),
        None,
        None,
        digest,
        "manifest_repaired",
        f"Bản lưu của tệp '{name}' có trong kho nhưng thiếu trong sổ lưu trữ; đã kiểm "
        "tra lại sha256 và ghi lại vào sổ.",
        f"The archived copy of '{name}' was missing from the manifest; its sha256 was "
        "verified and it was listed again.",
    )


def _damaged(cfg: Settings, entries: list[dict], datasets: set[str]) -> list[Problem]:
    """Archived copies of ``datasets`` that are missing or no longer match their sha256."""
    problems = []
    for entry in entries:
        raw = cfg.raw_dir / entry["raw_path"]
        if entry.get("dataset") not in datasets or entry.get("status") != "archived":
            continue
        if raw.is_file() and sha256_of(raw) == entry["sha256"]:
            continue
        problems.append(
            Problem(
                entry["raw_path"],
                None,
                None,
                entry["sha256"],
                "archive_damaged",
                f"Bản lưu của tệp '{entry['file_name']}' bị mất hoặc không còn khớp sha256. Cần "
                "khôi phục từ bản sao lưu; hãy báo cho quản trị hệ thống.",
                f"The archived copy of '{entry['file_name']}' is missing or no longer matches "
                "its sha256. Restore it from backup; tell the system administrator.",
            )
        )
    return problems


def recover_archive(cfg: Settings, contracts: list[SourceContract]) -> list[Problem]:
    """Make the manifest whole again after a crash: move a torn line aside, list again every
    archived copy the manifest lost, and after a repair re-verify the datasets' archive."""
    problems = [_torn_problem(torn) for torn in repair_manifest(cfg)]
    entries = read_manifest(cfg)
    if problems:
        problems += _damaged(cfg, entries, {c.id for c in contracts})
    listed = {e["raw_path"] for e in entries}
    for contract in contracts:
        for raw in _unlisted_copies(cfg, contract, listed):
            relisted = _relisted(cfg, raw, contract)
            if relisted:
                problems.append(relisted)
    for problem in problems:
        log.warning("%s", problem)
    return problems


def _fetched(files: list[tuple[str, Path]], contracts: list[SourceContract]) -> frozenset[Path]:
    """The landing files this process fetched from an API (written whole, by one rename)."""
    fetched = set()
    for folder, path in files:
        contract = contract_for(path.name, folder, contracts)
        if contract is not None and contract.source.kind == "http":
            fetched.add(path)
    return frozenset(fetched)


def archive_landing(cfg: Settings, contracts: list[SourceContract]) -> LandingScan:
    """Archive every landing file of ``contracts`` that is not in the archive yet."""
    scan = LandingScan()
    scan.repairs.extend(recover_archive(cfg, contracts))
    known = {e["sha256"] for e in read_manifest(cfg)}
    files = landing_files(cfg, contracts)
    hashes = HashCache.load(cfg)
    # Only files new or changed since they were taken need to settle; a file refused on its
    # name or link is refused at once (it stays in landing), not deferred as still changing.
    unsettled = [
        path for _, path in files if _acceptable(path, cfg) and hashes.known(path, cfg) is None
    ]
    changing = still_changing(unsettled, _fetched(files, contracts))
    for folder, path in files:
        if path in changing:
            scan.deferred.append(changing[path])
            log.warning("%s", changing[path])
            continue
        _archive_one(folder, path, cfg, contracts, known, scan, hashes)
    hashes.save(cfg)
    return scan


def landing_snapshot(cfg: Settings, contracts: list[SourceContract]) -> dict[str, str]:
    """{landing path: sha256} of every landing file of ``contracts``, read only where the
    record of taken files does not vouch for it. Nothing is archived or recorded."""
    hashes = HashCache.load(cfg)
    snapshot = {}
    for _, path in landing_files(cfg, contracts):
        if not _inside(path, cfg.landing_dir):
            snapshot[path.name] = "outside the landing folder"  # never read
            continue
        try:
            digest = hashes.known(path, cfg) or sha256_of(path)
        except FileNotFoundError:
            continue  # taken back while we looked
        snapshot[str(path.relative_to(cfg.landing_dir))] = digest
    return snapshot
