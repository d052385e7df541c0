"""Fetch a department's paginated JSON API into its landing folder.

Each period the API lists becomes one landing file ``<file_prefix>_<period>.json`` holding
``{"period", "total", "records"}``, and from there it follows the same road as a dropped
file: raw archive by sha256, manifest, load with record numbers. Fetching the same data
again writes the same bytes, so the archive recognises it and nothing is loaded twice.

The API's ``total`` is the department's control total: a fetch that does not add up to it
(a page lost, the data changing under the pager) is refused with a clear message.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from ddss.data_contracts import SourceContract
from ddss.errors import FileRejected, Problem
from ddss.settings import Settings

log = logging.getLogger(__name__)
PAGE_SIZE = 500
ATTEMPTS = 3


def _get(url: str) -> dict:
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = exc
        time.sleep(0.2 * 2**attempt)
    raise ConnectionError(f"{url}: {last}")


def _unavailable(contract: SourceContract, url: str, reason: str) -> FileRejected:
    return FileRejected(
        Problem(
            f"{contract.source.endpoint}",
            None,
            None,
            None,
            "source_unavailable",
            f"Không lấy được dữ liệu từ API của đơn vị ({url}): {reason}. Dữ liệu cũ được giữ nguyên.",
            f"Could not fetch from the department's API ({url}): {reason}. Data already loaded is kept.",
        )
    )


def fetch(contract: SourceContract, cfg: Settings) -> list[Path]:
    """Write one landing file per period the API lists; return their paths."""
    if not cfg.api_url:
        raise _unavailable(contract, "DDSS_API_URL", "no API address is configured")
    base = f"{cfg.api_url.rstrip('/')}/api/{contract.source.endpoint}"
    try:
        periods = _get(f"{base}/periods")["periods"]
    except (ConnectionError, urllib.error.HTTPError, KeyError, ValueError) as exc:
        raise _unavailable(contract, base, str(exc)) from exc
    folder = cfg.landing_dir / contract.department.landing_folder
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for period in periods:
        records: list = []
        total = None
        url: str | None = f"{base}?" + urlencode(
            {"period": period, "page": 1, "page_size": PAGE_SIZE}
        )
        try:
            while url:
                page = _get(url)
                records.extend(page["data"])
                total = page["total"]
                url = f"{cfg.api_url.rstrip('/')}{page['next']}" if page.get("next") else None
        except (ConnectionError, urllib.error.HTTPError, KeyError, ValueError) as exc:
            raise _unavailable(contract, base, str(exc)) from exc
        name = f"{contract.source.file_prefix}_{period}.json"
        if total != len(records):
            raise FileRejected(
                Problem(
                    name,
                    None,
                    None,
                    f"{len(records)} / {total}",
                    "control_total",
                    f"API báo {total} bản ghi cho kỳ {period} nhưng chỉ nhận được {len(records)}. "
                    "Đơn vị cần kiểm tra lại API; sẽ lấy lại ở lần chạy sau.",
                    f"The API declared {total} records for {period} but {len(records)} arrived. "
                    "The department must check its API; the next run fetches again.",
                )
            )
        body = json.dumps(
            {"period": period, "total": total, "records": records}, ensure_ascii=False, indent=0
        ).encode("utf-8")
        path = folder / name
        if not path.exists() or path.read_bytes() != body:
            partial = path.with_name("." + name + ".partial")
            partial.write_bytes(body)
            partial.replace(path)
        log.info("fetched %d records for %s %s from %s", len(records), contract.id, period, base)
        written.append(path)
    return written
