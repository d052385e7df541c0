"""Fetch a department's paginated JSON API into its landing folder.

Each period the API lists becomes one landing file ``<file_prefix>_<period>.json`` holding
``{"period", "total", "records"}``, and from there it follows the same road as a dropped
file: raw archive by sha256, manifest, load with record numbers. Fetching the same data
again writes the same bytes, so the archive recognises it and nothing is loaded twice.

The API's ``total`` is the department's control total: a fetch that does not add up to it
(a page lost, the data changing under the pager) is refused with a clear message.

A misbehaving server cannot hang the extract: every request has a time budget from its
first byte to its last (``DDSS_HTTP_REQUEST_SECONDS``, 30 s: a server that drips a byte at a
time runs out of it), the whole fetch of a source has one (``DDSS_HTTP_FETCH_SECONDS``,
600 s), and so have its size (``DDSS_HTTP_MAX_BYTES``, the largest file accepted) and the
pages of a period (``DDSS_HTTP_MAX_PAGES``, 10,000); a ``next`` that leads back to a page
already read, or to another server, ends the fetch. Connection errors, timeouts and 5xx
answers are retried (``DDSS_HTTP_ATTEMPTS``, 3) with backoff, within the fetch's budget.
Each failure ends with a message naming the endpoint, in Vietnamese and English, and the
data already loaded is kept.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import tenacity

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.ingest.limits import env_number
from ddss.settings import Settings

log = logging.getLogger(__name__)
PAGE_SIZE = 500
CHUNK = 1 << 20


@dataclass(frozen=True)
class HttpLimits:
    request_seconds: float
    fetch_seconds: float
    max_bytes: int
    max_pages: int
    attempts: int


def http_limits(cfg: Settings) -> HttpLimits:
    return HttpLimits(
        request_seconds=env_number("DDSS_HTTP_REQUEST_SECONDS", 30.0),
        fetch_seconds=env_number("DDSS_HTTP_FETCH_SECONDS", 600.0),
        max_bytes=int(env_number("DDSS_HTTP_MAX_BYTES", cfg.max_file_bytes)),
        max_pages=max(int(env_number("DDSS_HTTP_MAX_PAGES", 10_000)), 1),
        attempts=max(int(env_number("DDSS_HTTP_ATTEMPTS", 3)), 1),
    )


class SourceFailure(Exception):
    """Why a fetch was abandoned, in both languages."""

    def __init__(self, vi: str, en: str):
        super().__init__(en)
        self.vi, self.en = vi, en


class _ServerError(Exception):
    """A 5xx answer: worth another attempt."""

    def __init__(self, status: int):
        super().__init__(f"HTTP {status}")
        self.status = status


def _unavailable(contract: SourceContract, url: str, vi: str, en: str) -> FileRejected:
    return FileRejected(
        Problem(
            f"{contract.source.endpoint}",
            None,
            None,
            None,
            "source_unavailable",
            f"Không lấy được dữ liệu từ API của đơn vị ({url}): {vi}. Dữ liệu cũ được giữ nguyên.",
            f"Could not fetch from the department's API ({url}): {en}. Data already loaded is kept.",
        )
    )


class _Fetch:
    """One fetch of one source: its deadline and byte count span every request."""

    def __init__(self, cfg: Settings, limits: HttpLimits, client: httpx.Client):
        self.api_url = cfg.api_url or ""
        self.limits = limits
        self.client = client
        self.deadline = time.monotonic() + limits.fetch_seconds
        self.received = 0

    def _check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            seconds = self.limits.fetch_seconds
            raise SourceFailure(
                f"quá thời gian cho phép của một lần lấy dữ liệu ({seconds:g} giây)",
                f"the fetch took longer than its {seconds:g} s limit",
            )

    def _budget(self) -> float:
        self._check_deadline()
        return min(self.limits.request_seconds, self.deadline - time.monotonic())

    def _read(self, response: httpx.Response, url: str, budget: float, started: float) -> bytes:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            self.received += len(chunk)
            if self.received > self.limits.max_bytes:
                raise SourceFailure(
                    f"API gửi quá {self.limits.max_bytes} byte",
                    f"the API sent more than {self.limits.max_bytes} bytes",
                )
            if time.monotonic() - started > budget:
                self._check_deadline()  # the fetch's budget ran out, not the request's
                raise SourceFailure(
                    f"máy chủ trả lời quá chậm ({len(body)} byte trong {budget:g} giây, {url})",
                    f"the server answers too slowly ({len(body)} bytes in {budget:g} s, {url})",
                )
        return bytes(body)

    def _once(self, url: str) -> Any:
        budget = self._budget()
        started = time.monotonic()
        with self.client.stream("GET", url, timeout=httpx.Timeout(budget)) as response:
            if response.status_code >= 500:
                raise _ServerError(response.status_code)
            if response.is_redirect:  # not followed: the API's address is configured
                location = response.headers.get("location", "?")
                raise SourceFailure(
                    f"máy chủ chuyển hướng {url} sang {location}; không đi theo, hãy cấu hình "
                    "đúng địa chỉ API",
                    f"the server redirects {url} to {location}; not followed, configure the "
                    "API's real address",
                )
            if response.status_code >= 400:
                raise SourceFailure(
                    f"máy chủ trả về HTTP {response.status_code} cho {url}",
                    f"the server answered HTTP {response.status_code} for {url}",
                )
            body = self._read(response, url, budget, started)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceFailure(
                f"câu trả lời không phải JSON ({exc})", f"the answer is not JSON ({exc})"
            ) from exc

    def get(self, url: str) -> Any:
        """One JSON document; transient failures retried within the fetch's budget."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _ServerError)),
            stop=tenacity.stop_after_attempt(self.limits.attempts)
            | tenacity.stop_before_delay(max(self.deadline - time.monotonic(), 0.0)),
            wait=tenacity.wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        try:
            return retrying(self._once, url)
        except (httpx.TransportError, _ServerError) as exc:
            self._check_deadline()
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise SourceFailure(
                f"lỗi kết nối sau {self.limits.attempts} lần thử ({reason})",
                f"failed after {self.limits.attempts} attempts ({reason})",
            ) from exc

    def next_url(self, link: object, seen: set[str]) -> str | None:
        """The next page's address: on the same server, and not a page already read."""
        if not link:
            return None
        url = urljoin(self.api_url.rstrip("/") + "/", str(link))
        if urlsplit(url)[:2] != urlsplit(self.api_url)[:2]:
            raise SourceFailure(
                f"trang tiếp theo trỏ sang máy chủ khác ({url})",
                f"the next page points to another server ({url})",
            )
        if url in seen:
            raise SourceFailure(
                f"trang tiếp theo quay lại trang đã đọc ({url}): phân trang bị lặp",
                f"the next page leads back to a page already read ({url}): the pager loops",
            )
        return url

    def period(self, base: str, period: str, landing: _PeriodFile) -> object:
        """Every record of one period, page by page, into ``landing`` as each page arrives
        (only the count stays in memory); the total the API declared."""
        total: object = None
        url: str | None = f"{base}?" + urlencode(
            {"period": period, "page": 1, "page_size": PAGE_SIZE}
        )
        seen: set[str] = set()
        while url:
            if len(seen) >= self.limits.max_pages:
                raise SourceFailure(
                    f"kỳ {period} có hơn {self.limits.max_pages} trang (trang tiếp theo không dứt)",
                    f"period {period} has more than {self.limits.max_pages} pages (the next link never ends)",
                )
            seen.add(url)
            page = self.get(url)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise SourceFailure("trang không có danh sách 'data'", "a page has no 'data' list")
            landing.add(page["data"])
            total = page.get("total")
            if isinstance(total, int) and landing.count > total:
                raise SourceFailure(
                    f"API gửi nhiều hơn {total} bản ghi đã báo cho kỳ {period}",
                    f"the API sent more than the {total} records it declared for {period}",
                )
            url = self.next_url(page.get("next"), seen)
        return total


def _refuse_short(contract: SourceContract, name: str, period: str, got: int, total: object):
    return FileRejected(
        Problem(
            name,
            None,
            None,
            f"{got} / {total}",
            "control_total",
            f"API báo {total} bản ghi cho kỳ {period} nhưng chỉ nhận được {got}. "
            "Đơn vị cần kiểm tra lại API; sẽ lấy lại ở lần chạy sau.",
            f"The API declared {total} records for {period} but {got} arrived. "
            "The department must check its API; the next run fetches again.",
        )
    )


# What json.dumps(value, ensure_ascii=False, indent=0) makes, without a new encoder a call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, indent=0)


def _dumps(value: object) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def _same_bytes(new: Path, old: Path) -> bool:
    """Whether ``old`` exists with the bytes of ``new``, read a chunk at a time (filecmp
    would answer from its cache, keyed by size and modification time)."""
    if not old.exists() or old.stat().st_size != new.stat().st_size:
        return False
    with new.open("rb") as one, old.open("rb") as other:
        while chunk := one.read(CHUNK):
            if chunk != other.read(CHUNK):
                return False
    return True


class _PeriodFile:
    """One period's landing file, written as its pages arrive: the records go to a hidden
    file in the landing folder (never read by the extract) as the items of a JSON array,
    and ``finish`` puts the period and total before them. The bytes are exactly those of
    ``json.dumps({"period", "total", "records"}, ensure_ascii=False, indent=0)`` (with
    ``indent=0`` every level is unindented, so an item is written as it would be alone),
    so the archive recognises a file fetched again by its sha256. A whole fetch is never
    held in memory: at scale 100 the taxpayers' API gives 291 MB."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = folder, name
        self.count = 0
        # Named by process and a random token: two runs fetching the same source at once
        # (one waiting for the warehouse, say) never write or remove each other's files.
        self.tag = f"{os.getpid()}.{secrets.token_hex(4)}"
        self.records = folder / f".{name}.{self.tag}.records"
        self.handle = self.records.open("wb")

    def add(self, records: list) -> None:
        if records:
            self.handle.write(b",\n" if self.count else b"[\n")
            self.handle.write(",\n".join(map(_ENCODER.encode, records)).encode("utf-8"))
            self.count += len(records)

    def finish(self, period: str, total: object) -> Path:
        """The landing file, replaced only when its bytes change (an unchanged fetch leaves
        it untouched); written under a hidden name first, so never read half-written."""
        self.handle.write(b"\n]" if self.count else b"[]")
        self.handle.close()
        path = self.folder / self.name
        partial = path.with_name(f".{self.name}.{self.tag}.partial")
        try:
            with partial.open("wb") as out, self.records.open("rb") as records:
                out.write(b'{\n"period": ' + _dumps(period) + b',\n"total": ' + _dumps(total))
                out.write(b',\n"records": ')
                shutil.copyfileobj(records, out, CHUNK)
                out.write(b"\n}")
            if _same_bytes(partial, path):
                partial.unlink()
            else:
                partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def discard(self) -> None:
        """Whatever was written: nothing of a refused fetch stays in landing."""
        self.handle.close()
        self.records.unlink(missing_ok=True)


def _periods(fetcher: _Fetch, base: str) -> list[str]:
    listing = fetcher.get(f"{base}/periods")
    periods = listing.get("periods") if isinstance(listing, dict) else None
    if not isinstance(periods, list) or not all(isinstance(p, str) for p in periods):
        raise SourceFailure("danh sách kỳ không đúng mẫu", "the list of periods is malformed")
    return periods


def fetch(contract: SourceContract, cfg: Settings) -> list[Path]:
    """Write one landing file per period the API lists; return their paths."""
    if not cfg.api_url:
        raise _unavailable(
            contract, "DDSS_API_URL", "chưa cấu hình địa chỉ API", "no API address is configured"
        )
    base = f"{cfg.api_url.rstrip('/')}/api/{contract.source.endpoint}"
    folder = cfg.landing_dir / contract.department.landing_folder
    written = []
    with httpx.Client(follow_redirects=False) as client:
        fetcher = _Fetch(cfg, http_limits(cfg), client)
        try:
            periods = _periods(fetcher, base)
            folder.mkdir(parents=True, exist_ok=True)
            for period in periods:
                name = f"{contract.source.file_prefix}_{period}.json"
                landing = _PeriodFile(folder, name)
                try:
                    total = fetcher.period(base, period, landing)
                    if total != landing.count:
                        raise _refuse_short(contract, name, period, landing.count, total)
                    written.append(landing.finish(period, total))
                finally:
                    landing.discard()
                log.info(
                    "fetched %d records for %s %s from %s", landing.count, contract.id, period, base
                )
        except SourceFailure as exc:
            raise _unavailable(contract, base, exc.vi, exc.en) from exc
    return written
