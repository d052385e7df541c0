"""An uploaded file: checked by content (never by its name), kept under a name the server
chooses, checked with the pipeline's own engine, and turned into the steward's downloads.

The client's file name is only shown and searched for the period it covers; it never
becomes part of a path. The file the pipeline will see is named after the dataset's
pattern and the period (``ho_so_2022-07.csv``), which is what makes the pipeline pick it up
and replace that period's earlier file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import shutil
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ddss.data_contracts import SourceContract
from ddss.quality.freshness import file_period
from ddss.settings import Settings

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHUNK = 1024 * 1024
# Formats a "CSV" must not be: archives, images, documents and programs (by magic bytes).
NOT_TEXT = {
    b"PK\x03\x04": ("tệp nén ZIP hoặc bảng tính .xlsx", "a ZIP archive or an .xlsx workbook"),
    b"\x89PNG": ("ảnh PNG", "a PNG image"),
    b"\xff\xd8\xff": ("ảnh JPEG", "a JPEG image"),
    b"GIF8": ("ảnh GIF", "a GIF image"),
    b"%PDF": ("tài liệu PDF", "a PDF document"),
    b"\x7fELF": ("chương trình (ELF)", "a program (ELF executable)"),
    b"MZ": ("chương trình Windows (.exe)", "a Windows program (.exe)"),
    b"\xd0\xcf\x11\xe0": ("bảng tính Excel cũ (.xls)", "an old Excel workbook (.xls)"),
}
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx"}


class UploadRefused(ValueError):
    """The file cannot be checked or submitted; the message is bilingual."""


class TooLarge(UploadRefused):
    pass


@dataclass
class Upload:
    id: str
    department: str
    dataset: str
    username: str
    client_name: str  # for display only
    landing_name: str
    sha256: str
    bytes: int
    uploaded_at: str
    rows: int = 0
    rejected: bool = False
    refused: str | None = None
    failures: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    submitted: dict | None = None
    # The control-totals file sent with it (datasets whose contract asks for one).
    control_name: str | None = None
    control_sha256: str | None = None

    @property
    def problems(self) -> list[dict]:
        return [f for f in self.failures if (f.get("severity") or "") != "warning"]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.failures if (f.get("severity") or "") == "warning"]

    @property
    def submittable(self) -> bool:
        return not self.refused and not self.rejected and not self.submitted


def display_name(name: str | None) -> str:
    """The client's name for display: its last path part, printable, at most 120 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable())
    return base[:120] or "tep-tai-len"


def landing_name(contract: SourceContract, client_name: str, period: str | None) -> str:
    """The name the pipeline expects: the pattern with its ``*`` as the period."""
    pattern = contract.source.pattern
    wanted = period or file_period(contract, client_name)
    if "*" not in pattern:
        return pattern
    if not wanted:
        raise UploadRefused(
            "Không xác định được kỳ báo cáo của tệp: hãy chọn kỳ trong danh sách. / "
            "The period the file covers is not known: choose it in the list."
        )
    name = pattern.replace("*", wanted, 1).replace("*", "")
    if not contract.source.matches(name) or file_period(contract, name) != wanted:
        raise UploadRefused(
            f"Kỳ '{wanted}' không hợp lệ cho bộ dữ liệu này. / "
            f"'{wanted}' is not a valid period for this dataset."
        )
    return name


def _sniff_xlsx(path: Path, limit: int) -> None:
    if not zipfile.is_zipfile(path):
        raise UploadRefused(
            "Tệp không phải bảng tính .xlsx. Hãy mở bằng Excel và lưu lại dạng Excel Workbook "
            "(.xlsx). / Not an .xlsx workbook. Open it in Excel and save it as Excel Workbook "
            "(.xlsx)."
        )
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        expanded = sum(info.file_size for info in archive.infolist())
    if "xl/workbook.xml" not in names:
        raise UploadRefused(
            "Tệp là tệp nén nhưng không chứa bảng tính Excel. / "
            "The file is a ZIP archive but holds no Excel workbook."
        )
    if expanded > max(limit, 1) * 20:
        raise UploadRefused(
            "Bảng tính giải nén ra quá lớn. / The workbook expands to far more than the size limit."
        )


def _sniff_csv(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    for magic, (vi, en) in NOT_TEXT.items():
        if head.startswith(magic):
            raise UploadRefused(
                f"Tệp này là {vi}, không phải CSV. Hãy lưu dạng CSV (.csv) theo mẫu. / "
                f"This file is {en}, not a CSV. Save it as CSV (.csv) following the template."
            )
    text = head.lstrip(b"\xef\xbb\xbf")
    if b"\x00" in text and not text.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRefused(
            "Tệp chứa dữ liệu nhị phân, không phải văn bản CSV. / "
            "The file holds binary data, not CSV text."
        )


def sniff(path: Path, contract: SourceContract, limit: int) -> None:
    """Refuse a file whose content is not what the dataset is sent as."""
    if path.stat().st_size == 0:
        raise UploadRefused("Tệp rỗng. / The file is empty.")
    kind = contract.source.format
    if kind == "xlsx":
        _sniff_xlsx(path, limit)
    elif kind == "csv":
        _sniff_csv(path)
    else:
        raise UploadRefused(
            "Bộ dữ liệu này được lấy từ API của đơn vị, không nhận tệp tải lên. / "
            "This dataset is fetched from the department's API; it takes no uploads."
        )


def receive(stream: BinaryIO, target: Path, limit: int) -> tuple[int, str]:
    """Copy the upload to ``target`` in chunks, stopping past ``limit``; (bytes, sha256)."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink()
                raise TooLarge(
                    f"Tệp lớn hơn giới hạn {limit:,} byte. / The file is over the {limit:,}-byte limit."
                )
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


class UploadStore:
    """Uploads under ``<uploads>/<department>/<id>/``: ``file`` and ``upload.json``."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, department: str, upload_id: str) -> Path:
        if not UPLOAD_ID.match(upload_id) or not re.match(r"^[a-z0-9_]+$", department):
            raise KeyError(upload_id)
        return self.root / department / upload_id

    def new_folder(self, department: str) -> tuple[str, Path]:
        upload_id = secrets.token_urlsafe(18)
        folder = self.folder(department, upload_id)
        folder.mkdir(parents=True, mode=0o700)
        return upload_id, folder

    def save(self, upload: Upload) -> None:
        folder = self.folder(upload.department, upload.id)
        temp = folder / "upload.json.tmp"
        temp.write_text(json.dumps(asdict(upload), ensure_ascii=False, indent=1), "utf-8")
        temp.replace(folder / "upload.json")

    def load(self, department: str, upload_id: str) -> Upload:
        """The upload of this department; KeyError for any other (or none)."""
        try:
            path = self.folder(department, upload_id) / "upload.json"
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyError(upload_id) from exc
        if data.get("department") != department:
            raise KeyError(upload_id)
        return Upload(**data)

    def prune(self, days: int) -> int:
        """Remove uploads older than ``days`` (their files hold the department's personal
        data: applicants' names, ID numbers); the submitted ones live on in the landing
        folder, the archive and the receipt log. Returns how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - days * 86400
        removed = 0
        for folder in self.root.glob("*/*"):
            marker = folder / "upload.json"
            stamp = (marker if marker.exists() else folder).stat().st_mtime
            if folder.is_dir() and UPLOAD_ID.match(folder.name) and stamp < cutoff:
                shutil.rmtree(folder)
                removed += 1
        return removed

    def recent(self, department: str, dataset: str, limit: int = 10) -> list[Upload]:
        """The department's latest uploads of a dataset, newest first."""
        folder = self.root / department
        found = []
        for path in folder.glob("*/upload.json") if folder.is_dir() else []:
            try:
                upload = self.load(department, path.parent.name)
            except KeyError:
                continue
            if upload.dataset == dataset:
                found.append(upload)
        return sorted(found, key=lambda u: u.uploaded_at, reverse=True)[:limit]

    def file(self, upload: Upload) -> Path:
        return self.folder(upload.department, upload.id) / "file"

    def control(self, upload: Upload) -> Path | None:
        path = self.folder(upload.department, upload.id) / "control"
        return path if upload.control_name and path.is_file() else None


CONTROL_LIMIT = 1024 * 1024


def check_control(path: Path) -> None:
    """A control-totals file is a small JSON object (the loader reads its numbers)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise UploadRefused(
            "Tệp tổng kiểm soát phải là tệp JSON (số dòng và các tổng). / "
            "The control-totals file must be a JSON file (row count and totals)."
        )


def run_check(upload: Upload, path: Path, cfg: Settings, control: Path | None = None) -> None:
    """The pipeline's own check on a copy named as the pipeline will see it (with the
    control-totals file beside it, when one was sent)."""
    from ddss.quality.check import check_file

    with tempfile.TemporaryDirectory(prefix="ddss-steward-") as tmp:
        copy = Path(tmp) / upload.landing_name
        shutil.copyfile(path, copy)
        if control is not None and upload.control_name:
            shutil.copyfile(control, Path(tmp) / upload.control_name)
        try:
            result = check_file(copy, upload.dataset, cfg)
        except ValueError as exc:
            upload.refused = str(exc)
            return
    upload.rows = result.rows
    upload.failures = [dict(f) for f in result.failures]
    upload.notes = list(result.notes)
    # The loader refused the whole file: nothing was loaded, one file-level finding.
    upload.rejected = result.rows == 0 and bool(result.failures)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


PROBLEM_COLUMNS = [
    ("source_row", "Dòng / Row"),
    ("column", "Cột / Column"),
    ("value", "Giá trị / Value"),
    ("criterion", "Tiêu chí / Criterion"),
    ("rule", "Quy tắc / Rule"),
    ("message_vi", "Lỗi và cách sửa"),
    ("message_en", "Problem and fix"),
]


def spreadsheet_safe(value: object) -> str:
    """A cell Excel would run as a formula is prefixed with ' (as the portal's CSVs are)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def problems_csv(upload: Upload) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["File / Tệp", *(label for _, label in PROBLEM_COLUMNS)])
    for failure in upload.failures:
        writer.writerow(
            [upload.landing_name, *(spreadsheet_safe(failure.get(k)) for k, _ in PROBLEM_COLUMNS)]
        )
    return out.getvalue().encode("utf-8-sig")
