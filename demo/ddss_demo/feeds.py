"""Feeds of the Hà Nội departments and the Tuyên Quang provincial office (issue 4).

Each ``_<dataset>`` function builds the clean rows that reproduce the seeds' figures at
scale 1, then :func:`emit` inserts the defects — extra rows after a clean template, or a
clean row rewritten in place (a pre-2025 code, a record that arrives a month late) — and
writes the file in the department's own format. Every defect goes to the truth manifest
with its file, spreadsheet row number (header = 1), column, kind and criterion.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ddss.data_contracts import Contract, SourceContract
from ddss.reference.wards import wards_of

HANOI = "01"
MONTHS_2022 = [f"2022-{m:02d}" for m in range(1, 8)]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu", "Thanh", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hùng",
    "Lan",
    "Linh",
    "Nam",
    "Phương",
    "Tú",
    "Hải",
    "Hằng",
    "Khoa",
    "Mai",
    "Quân",
    "Sơn",
    "Trang",
    "Yến",
]
STREETS = ["Hàng Bạc", "Kim Mã", "Láng Hạ", "Giải Phóng", "Hàng Gai", "Thụy Khuê", "Tràng Thi"]


@dataclass
class Defect:
    file: str
    source_row: int
    column: str | None
    kind: str
    criterion: str
    key: str | None


@dataclass
class Spec:
    """One kind of defect: what it breaks and how it is made from a clean template row."""

    kind: str
    column: str | None
    criterion: str
    make: Callable[[dict, random.Random, int], dict]  # (template, rng, serial) -> row
    in_place: bool = False  # rewrite the template itself (it stays a counted clean row)
    files: str = "all"  # "all" or "last": which files of the dataset carry it
    where: Callable[[dict], bool] | None = None  # which clean rows may serve as template


@dataclass
class Feed:
    files: list[Path] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    api: dict[str, list] = field(default_factory=dict)  # relative API path -> records


def person(rng: random.Random) -> dict:
    year = rng.randint(1950, 2006)
    female = rng.random() < 0.5
    born = date(year, rng.randint(1, 12), rng.randint(1, 28))
    century = 0 if year < 2000 else 2
    return {
        "name": f"{rng.choice(FAMILY)} {'Thị' if female else rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "citizen_id": f"001{century + female}{year % 100:02d}{rng.randint(0, 999_999):06d}",
        "birth_date": born,
        "female": female,
        "phone": f"0{rng.choice(['32', '35', '36', '38', '70', '77', '86', '90', '91', '94', '96', '98'])}"
        f"{rng.randint(0, 9_999_999):07d}",
    }


def tax_code(rng: random.Random, prefix: str, used: set[str] | None = None) -> str:
    """A valid 10-digit tax code (check digit as python-stdnum computes it), not in ``used``."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(9 - len(prefix)))
        check = 10 - sum(w * int(d) for w, d in zip(weights, body, strict=False)) % 11
        code = body + str(check)
        if check < 10 and body[2:9] != "0000000" and (used is None or code not in used):
            if used is not None:
                used.add(code)
            return code


def split_total(rng: random.Random, total: int, parts: int, low: int = 1) -> list[int]:
    """``parts`` positive integers summing exactly to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = (total - low * parts) / sum(weights)
    counts = [low + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def near(value: str, how: int) -> str:
    """The same key as a person would mistype it: spacing, case or decomposed accents."""
    if how % 3 == 0:
        return f" {value.lower()} "
    if how % 3 == 1:
        return unicodedata.normalize("NFD", value).replace(" ", "  ")
    return value.upper() if value != value.upper() else f"{value}\u00a0"


def _fmt(value, column) -> object:
    if isinstance(value, date):
        return value.strftime(column.format or "%d/%m/%Y")
    return value


def _cells(row: dict, contract: SourceContract, typed: bool) -> list:
    out = []
    for c in contract.columns:
        v = row.get(c.name)
        v = _fmt(v, c)
        out.append(v if typed else ("" if v is None else str(v)))
    return out


def emit(
    out: Path,
    contract: SourceContract,
    files: dict[str, list[dict]],
    specs: list[Spec],
    rng: random.Random,
    per_kind: int,
    key: str,
    feed: Feed,
    *,
    fmt: str = "csv",
    encoding: str = "utf-8",
    delimiter: str = ",",
    title: str | None = None,
    controls: list[str] | None = None,
) -> None:
    """Insert the defects into each file's rows and write the files (or API pages)."""
    names = list(files)
    for index, name in enumerate(names):
        rows = files[name]
        lines: list[tuple[dict, tuple | None]] = [(r, None) for r in rows]
        serial = 0
        for spec in specs:
            if spec.files == "last" and index != len(names) - 1:
                continue
            for _ in range(per_kind):
                serial += 1
                candidates = [
                    i
                    for i, (r, d) in enumerate(lines)
                    if d is None and (spec.where is None or spec.where(r))
                ]
                at = rng.choice(candidates)
                template = lines[at][0]
                row = spec.make(dict(template), rng, serial)
                marker = (spec.kind, spec.column, spec.criterion)
                if spec.in_place:
                    lines[at] = (row, marker)
                else:
                    lines.insert(rng.randint(at + 1, len(lines)), (row, marker))
        path = out / contract.department.landing_folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        first = 2
        if fmt == "json":
            records = [
                {
                    c.header: v
                    for c, v in zip(contract.columns, _cells(r, contract, True), strict=False)
                    if v is not None
                }
                for r, _ in lines
            ]
            feed.api[
                f"{contract.source.endpoint}/{name.rsplit('_', 1)[1].removesuffix('.json')}.json"
            ] = records
        elif fmt == "xlsx":
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("Số liệu")
            sheet.append([title or contract.title_vi.upper()])
            sheet.append([f"(Kỳ báo cáo: {name.rsplit('_', 1)[1].split('.')[0]})"])
            sheet.append([])
            sheet.append([c.header for c in contract.columns])
            for r, _ in lines:
                sheet.append(_cells(r, contract, False))
            workbook.save(path)
            first = 5
        else:
            convert = cp1258_text if encoding == "cp1258" else (lambda v: v)
            with path.open("w", encoding=encoding, newline="") as handle:
                writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
                writer.writerow([convert(c.header) for c in contract.columns])
                writer.writerows([convert(v) for v in _cells(r, contract, False)] for r, _ in lines)
        if controls is not None:
            sums = {}
            for column in controls:
                total = 0
                for r, _ in lines:
                    try:
                        total += int(str(r.get(column)))
                    except ValueError:
                        pass  # the sender's own total skips what is not a number
                sums[column] = str(total)
            stem = name.rsplit(".", 1)[0]
            (path.parent / f"{stem}{contract.source.control_suffix}").write_text(
                json.dumps(
                    {"file": name, "row_count": len(lines), "sums": sums},
                    ensure_ascii=False,
                    indent=1,
                ),
                "utf-8",
            )
        if fmt != "json":
            feed.files.append(path)
        relative = f"{contract.department.landing_folder}/{name}"
        for i, (row, marker) in enumerate(lines):
            if marker:
                feed.defects.append(
                    Defect(
                        relative,
                        first + i,
                        marker[1],
                        marker[0],
                        marker[2],
                        str(row.get(key)) if row.get(key) is not None else None,
                    )
                )


TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258_text(text: str) -> str:
    """Vietnamese as Windows-1258 writes it: letters with their vowel marks precomposed,
    tone marks as separate combining characters (the code page has no room for more)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(p for p in parts if p in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONE_MARKS))
            out.append(base + tones)
    return "".join(out)


def _month_of(d: date) -> str:
    return f"{d:%Y-%m}"


def _days(month: str) -> list[date]:
    year, m = map(int, month.split("-"))
    first = date(year, m, 1)
    nxt = date(year + (m == 12), m % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


def _period(month: str) -> str:
    year, m = month.split("-")
    return f"{m}/{year}"


# --- Tax department (Cục Thuế Hà Nội): JSON API -------------------------------------------
TAX = {
    "enterprises": 5_000,
    "enterprises_e_filing": 4_975,
    "enterprises_e_payment": 4_956,
    "enterprises_e_invoice": 4_958,
    "households": 5_000,
    "households_e_filing": 4_900,
    "households_e_payment": 4_850,
    "households_e_invoice": 4_999,
    "inactive": 300,
}
ETAX_MOBILE_ACCOUNTS = 61_917


def taxpayers(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    n = {k: int(round(v * scale)) for k, v in TAX.items()}
    rows = []
    used: set[str] = set()

    def flags(total: int, *trues: int) -> list[tuple]:
        columns = [[True] * t + [False] * (total - t) for t in trues]
        for c in columns:
            rng.shuffle(c)
        return list(zip(*columns, strict=True))

    for kind, prefix, count in (
        ("doanh_nghiep", "01", n["enterprises"]),
        ("ho_kinh_doanh", "80", n["households"]),
    ):
        group = "enterprises" if kind == "doanh_nghiep" else "households"
        for e_filing, e_payment, e_invoice in flags(
            count, n[f"{group}_e_filing"], n[f"{group}_e_payment"], n[f"{group}_e_invoice"]
        ):
            p = person(rng)
            rows.append(
                {
                    "tax_code": tax_code(rng, prefix, used),
                    "taxpayer_type": kind,
                    "ward_code": rng.choice(wards),
                    "status": "dang_hoat_dong",
                    "e_filing": e_filing,
                    "e_payment": e_payment,
                    "e_invoice": e_invoice,
                    "representative_name": p["name"],
                    "representative_phone": p["phone"],
                }
            )
    for _ in range(n["inactive"]):
        p = person(rng)
        rows.append(
            {
                "tax_code": tax_code(rng, "01", used),
                "taxpayer_type": "doanh_nghiep",
                "ward_code": rng.choice(wards),
                "status": "ngung_hoat_dong",
                "e_filing": False,
                "e_payment": False,
                "e_invoice": False,
                "representative_name": p["name"],
                "representative_phone": p["phone"],
            }
        )
    rng.shuffle(rows)

    def bad_check_digit(r, rng, s):
        code = tax_code(rng, "01", used)
        return {**r, "tax_code": code[:9] + str((int(code[9]) + 1 + s % 8) % 10)}

    def legacy(r, rng, s):  # Hàng Bạc (pre-2025) -> Hoàn Kiếm: mapped, but the steward must update
        return {**r, "ward_code": "00061"}

    fresh = iter(lambda: tax_code(rng, "01", used), None)
    specs = [
        Spec("duplicate_row", "tax_code", "sach", lambda r, rng, s: r),
        Spec(
            "invalid_tax_code", "tax_code", "dung", lambda r, rng, s: bad_check_digit({**r}, rng, s)
        ),
        Spec(
            "unknown_ward_code",
            "ward_code",
            "dung",
            lambda r, rng, s: {**r, "tax_code": next(fresh), "ward_code": "99999"},
        ),
        Spec(
            "not_a_boolean",
            "e_filing",
            "dung",
            lambda r, rng, s: {**r, "tax_code": next(fresh), "e_filing": "có"},
        ),
        Spec(
            "missing_required",
            "taxpayer_type",
            "du",
            lambda r, rng, s: {**r, "tax_code": next(fresh), "taxpayer_type": None},
        ),
        Spec(
            "pre_2025_ward_code_mapped",
            "ward_code",
            "song",
            legacy,
            in_place=True,
            where=lambda r: r["ward_code"] == "00070",
        ),
    ]
    emit(
        out,
        contract,
        {f"{contract.source.file_prefix}_2022-07.json": rows},
        specs,
        rng,
        max(1, round(scale)),
        "tax_code",
        feed,
        fmt="json",
    )
    return {"taxpayers": n}


def etax_mobile(
    out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed
) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    total = int(round(ETAX_MOBILE_ACCOUNTS * scale))
    rows = [
        {"ward_code": w, "period": "2022-07", "accounts": c}
        for w, c in zip(wards, split_total(rng, total, len(wards), low=50), strict=True)
    ]
    specs = [
        Spec(
            "near_duplicate",
            "ward_code",
            "sach",
            lambda r, rng, s: {**r, "ward_code": str(int(r["ward_code"]))},
        ),
        # An extra correction line with a negative count (it is also a second row for its ward).
        Spec(
            "negative_count",
            "accounts",
            "dung",
            lambda r, rng, s: {**r, "accounts": -r["accounts"]},
        ),
    ]
    emit(
        out,
        contract,
        {f"{contract.source.file_prefix}_2022-07.json": rows},
        specs,
        rng,
        max(1, round(scale)),
        "ward_code",
        feed,
        fmt="json",
    )
    return {"etax_mobile_accounts": total}


# --- Natural resources and environment: land registration, CSV with BOM + control totals ---
LAND = {"dossiers": 5_000, "paid_via_portal": 4_053, "amount_via_portal": 46_218_500_000}
PROCEDURES = [
    "Đăng ký biến động quyền sử dụng đất",
    "Cấp đổi Giấy chứng nhận",
    "Chuyển nhượng quyền sử dụng đất",
    "Tặng cho quyền sử dụng đất",
    "Thừa kế quyền sử dụng đất",
]


def land(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    total = int(round(LAND["dossiers"] * scale))
    portal = int(round(LAND["paid_via_portal"] * scale))
    amount = int(round(LAND["amount_via_portal"] * scale / 500_000)) * 500_000
    paid = [True] * portal + [False] * (total - portal)
    rng.shuffle(paid)
    amounts = [a * 500_000 for a in split_total(rng, amount // 500_000, portal, low=2)]
    rows, k = [], 0
    for i, via_portal in enumerate(paid):
        month = MONTHS_2022[i * len(MONTHS_2022) // total]
        p = person(rng)
        received = rng.choice(_days(month))
        if via_portal:
            value = amounts[k]
            k += 1
        else:
            value = rng.randint(2, 40) * 500_000
        rows.append(
            {
                "dossier_id": f"HS-TNMT-{received:%y%m%d}-{i + 1:05d}",
                "ward_code": rng.choice(wards),
                "received_date": received,
                "procedure": rng.choice(PROCEDURES),
                "paid_via_portal": "Có" if via_portal else "Không",
                "amount_vnd": value,
                "applicant_name": p["name"],
                "applicant_id_number": p["citizen_id"],
                "parcel_address": f"Số {rng.randint(1, 200)} phố {rng.choice(STREETS)}",
            }
        )
    files: dict[str, list[dict]] = {}
    for r in rows:
        files.setdefault(f"dang_ky_dat_dai_{_month_of(r['received_date'])}.csv", []).append(r)
    specs = [
        Spec(
            "near_duplicate",
            "dossier_id",
            "sach",
            lambda r, rng, s: {**r, "dossier_id": near(r["dossier_id"], s)},
        ),
        Spec(
            "unknown_ward_code",
            "ward_code",
            "dung",
            lambda r, rng, s: {**r, "dossier_id": r["dossier_id"] + f"-X{s}", "ward_code": "99999"},
        ),
        Spec(
            "pre_2025_ward_code_split",
            "ward_code",
            "dung",
            lambda r, rng, s: {**r, "dossier_id": r["dossier_id"] + f"-X{s}", "ward_code": "00079"},
        ),
        Spec(
            "impossible_date",
            "received_date",
            "dung",
            lambda r, rng, s: {
                **r,
                "dossier_id": r["dossier_id"] + f"-X{s}",
                "received_date": "31/06/2022",
            },
        ),
        Spec(
            "amount_not_a_number",
            "amount_vnd",
            "dung",
            lambda r, rng, s: {
                **r,
                "dossier_id": r["dossier_id"] + f"-X{s}",
                "amount_vnd": "12,5 triệu",
            },
        ),
        Spec(
            "missing_required",
            "paid_via_portal",
            "du",
            lambda r, rng, s: {
                **r,
                "dossier_id": r["dossier_id"] + f"-X{s}",
                "paid_via_portal": "",
            },
        ),
    ]
    emit(
        out,
        contract,
        files,
        specs,
        rng,
        max(1, round(scale)),
        "dossier_id",
        feed,
        encoding="utf-8-sig",
        controls=list(contract.source.control_sums),
    )
    return {"land": {"dossiers": total, "paid_via_portal": portal, "amount_via_portal": amount}}


# --- City police: VNeID activations, one row per person (never published as such) --------
ACTIVATIONS_PER_MONTH = 2_000


def vneid(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    files: dict[str, list[dict]] = {}
    serial = 0
    for month in MONTHS_2022:
        rows = []
        for _ in range(int(round(ACTIVATIONS_PER_MONTH * scale))):
            serial += 1
            p = person(rng)
            rows.append(
                {
                    "citizen_id": p["citizen_id"][:6] + f"{serial:06d}",
                    "full_name": p["name"],
                    "birth_date": p["birth_date"],
                    "sex": "Nữ" if p["female"] else "Nam",
                    "phone": p["phone"],
                    "ward_code": rng.choice(wards),
                    "activated_on": rng.choice(_days(month)),
                    "account_level": rng.choice("1222"),
                }
            )
        files[f"kich_hoat_vneid_{month}.csv"] = rows

    def other_sex(r, rng, s):  # the sex digit of the ID no longer agrees with the sex column
        return {
            **r,
            "sex": "Nam" if r["sex"] == "Nữ" else "Nữ",
            "citizen_id": r["citizen_id"][:6] + f"9{s:05d}",
        }

    specs = [
        Spec("duplicate_row", "citizen_id", "sach", lambda r, rng, s: r),
        Spec(
            "citizen_id_wrong_length",
            "citizen_id",
            "dung",
            lambda r, rng, s: {**r, "citizen_id": r["citizen_id"][:11]},
        ),
        Spec("citizen_id_inconsistent", "citizen_id", "dung", other_sex),
        Spec(
            "invalid_phone",
            "phone",
            "dung",
            lambda r, rng, s: {
                **r,
                "citizen_id": r["citizen_id"][:6] + f"8{s:05d}",
                "phone": "0123 456",
            },
        ),
        Spec(
            "impossible_date",
            "activated_on",
            "dung",
            lambda r, rng, s: {
                **r,
                "citizen_id": r["citizen_id"][:6] + f"7{s:05d}",
                "activated_on": "31/06/2022",
            },
        ),
        Spec(
            "unknown_ward_code",
            "ward_code",
            "dung",
            lambda r, rng, s: {
                **r,
                "citizen_id": r["citizen_id"][:6] + f"6{s:05d}",
                "ward_code": "99999",
            },
        ),
    ]
    emit(out, contract, files, specs, rng, max(1, round(scale)), "citizen_id", feed)
    return {"vneid_activations": sum(len(v) for v in files.values())}


# --- Health: e-health records per ward and month, Windows-1258, with notes ----------------
def health(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    files: dict[str, list[dict]] = {}
    for month in MONTHS_2022:
        files[f"ho_so_suc_khoe_{month}.csv"] = [
            {
                "ward_code": w,
                "period": _period(month),
                "records_opened": (opened := rng.randint(40, 400) * max(1, round(scale))),
                "records_linked": int(opened * rng.uniform(0.55, 0.95)),
                "note": rng.choice(["", "", "", "Đã rà soát"]),
            }
            for w in wards
        ]
    # A record that arrives late: June's row for one ward comes in July's file (clean data).
    names = list(files)
    late = files[names[-2]].pop(rng.randrange(len(files[names[-2]])))
    files[names[-1]].append({**late, "_late": True})

    def note(r, rng, s):
        p = person(rng)
        return {**r, "note": f"Liên hệ anh {p['name']} {p['phone']} để bổ sung"}

    specs = [
        Spec("late_record", "period", "song", lambda r, rng, s: r, in_place=True, files="last"),
        Spec("personal_data_in_free_text", "note", "sach", note, in_place=True),
        Spec(
            "linked_exceeds_opened",
            "records_linked",
            "dung",
            lambda r, rng, s: {**r, "records_linked": r["records_opened"] + 7},
        ),
        Spec(
            "near_duplicate",
            "ward_code",
            "sach",
            lambda r, rng, s: {**r, "ward_code": f" {r['ward_code']}"},
        ),
    ]
    emit_late(out, contract, files, specs, rng, max(1, round(scale)), feed)
    opened = sum(r["records_opened"] for rows in files.values() for r in rows)
    return {"health_records_opened": opened}


def emit_late(out, contract, files, specs, rng, per_kind, feed):
    """As ``emit``, but the late record is the row that really came late (not a random one)."""
    last = list(files)[-1]
    late_rows = [r for r in files[last] if r.pop("_late", False)]
    marker_spec = specs[0]
    rest = specs[1:]
    emit(out, contract, files, rest, rng, per_kind, "ward_code", feed, encoding="cp1258")
    # Re-read where the late row landed in the written file: its period is the previous month.
    relative = f"{contract.department.landing_folder}/{last}"
    with (out / relative).open(encoding="cp1258", newline="") as handle:
        for number, record in enumerate(csv.reader(handle), start=1):
            if number > 1 and any(record[:2] == [r["ward_code"], r["period"]] for r in late_rows):
                feed.defects.append(
                    Defect(
                        relative,
                        number,
                        marker_spec.column,
                        marker_spec.kind,
                        marker_spec.criterion,
                        record[0],
                    )
                )


# --- Labour and social affairs: cashless payments, .xlsx with a title -------------------
PAYMENT_TYPES = ["Lương hưu", "Trợ cấp bảo hiểm xã hội", "Trợ cấp xã hội"]


def labour(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    wards = [w.code for w in wards_of(HANOI)]
    files: dict[str, list[dict]] = {}
    for month in MONTHS_2022:
        rows = []
        for w in wards:
            for kind in PAYMENT_TYPES:
                people = rng.randint(80, 900) * max(1, round(scale))
                share = min(1.0, 0.55 + MONTHS_2022.index(month) * 0.05 + rng.uniform(-0.05, 0.05))
                rows.append(
                    {
                        "ward_code": w,
                        "period": _period(month),
                        "payment_type": kind,
                        "beneficiaries": people,
                        "paid_cashless": int(people * share),
                        "amount_vnd": people * rng.randint(15, 60) * 100_000,
                    }
                )
        files[f"chi_tra_khong_tien_mat_{month}.xlsx"] = rows
    specs = [
        Spec(
            "near_duplicate",
            "payment_type",
            "sach",
            lambda r, rng, s: {**r, "payment_type": near(r["payment_type"], s)},
        ),
        Spec(
            "cashless_exceeds_beneficiaries",
            "paid_cashless",
            "dung",
            lambda r, rng, s: {**r, "paid_cashless": r["beneficiaries"] + 12},
        ),
        Spec(
            "pre_2025_ward_code_mapped",
            "ward_code",
            "song",
            lambda r, rng, s: {**r, "ward_code": "00043"},
            in_place=True,
            where=lambda r: r["ward_code"] == "00070",
        ),
        Spec(
            "unknown_payment_type",
            "payment_type",
            "dung",
            lambda r, rng, s: {**r, "payment_type": "Trợ cấp thất nghiệp"},
        ),
    ]
    emit(
        out,
        contract,
        files,
        specs,
        rng,
        max(1, round(scale)),
        "ward_code",
        feed,
        fmt="xlsx",
        title="BÁO CÁO CHI TRẢ LƯƠNG HƯU, TRỢ CẤP KHÔNG DÙNG TIỀN MẶT",
    )
    return {"payments_rows": sum(len(v) for v in files.values())}


# --- Transport: cashless parking (pilot in Tây Hồ and Hoàn Kiếm); the feed stops in June ---
PARKING_WARDS = {
    "00103": "Tây Hồ",
    "00091": "Phú Thượng",
    "00070": "Hoàn Kiếm",
    "00073": "Cửa Nam",
    "00097": "Hồng Hà",
}
PARKING_MONTHS = MONTHS_2022[:5]  # January to May: June's and July's files never came


def parking(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    lots = [
        (f"BDX-{i + 1:03d}", f"Điểm trông giữ xe {rng.choice(STREETS)} số {i + 1}", ward)
        for i, ward in enumerate(
            rng.choice(list(PARKING_WARDS)) for _ in range(max(1, round(24 * scale)))
        )
    ]
    files: dict[str, list[dict]] = {}
    for month in PARKING_MONTHS:
        rows = []
        for day in _days(month):
            for lot_id, name, ward in lots:
                trips = rng.randint(80, 600)
                cashless = int(trips * rng.uniform(0.2, 0.6))
                rows.append(
                    {
                        "lot_id": lot_id,
                        "lot_name": name,
                        "ward_code": ward,
                        "day": day,
                        "transactions": trips,
                        "cashless_transactions": cashless,
                        "revenue_vnd": trips * 5_000,
                        "cashless_revenue_vnd": cashless * 5_000,
                    }
                )
        files[f"trong_giu_xe_{month}.csv"] = rows
    specs = [
        Spec("duplicate_row", "lot_id", "sach", lambda r, rng, s: r),
        Spec(
            "cashless_exceeds_total",
            "cashless_transactions",
            "dung",
            lambda r, rng, s: {
                **r,
                "lot_id": r["lot_id"] + "A",
                "cashless_transactions": r["transactions"] + 5,
            },
        ),
        Spec(
            "impossible_date",
            "day",
            "dung",
            lambda r, rng, s: {**r, "lot_id": r["lot_id"] + "B", "day": "30/02/2022"},
        ),
        Spec(
            "revenue_not_a_number",
            "revenue_vnd",
            "dung",
            lambda r, rng, s: {**r, "lot_id": r["lot_id"] + "C", "revenue_vnd": "N/A"},
        ),
    ]
    emit(out, contract, files, specs, rng, max(1, round(scale)), "lot_id", feed, delimiter=";")
    return {"parking_rows": sum(len(v) for v in files.values())}


# --- Tuyên Quang provincial people's committee office: e-documents of 2021 ---------------
OFFICE = {
    "outgoing": 11_952,
    "digitally_signed": 11_833,
    "meeting_documents": 1_712,
    "agenda_items": 245,
    "sessions": 23,
}


def office(out: Path, contract: SourceContract, rng: random.Random, scale: float, feed: Feed) -> dict:
    n = {k: max(1, int(round(v * scale))) for k, v in OFFICE.items()}
    year_days = [date(2021, 1, 1) + timedelta(days=i) for i in range(365)]
    signed = [True] * n["digitally_signed"] + [False] * (n["outgoing"] - n["digitally_signed"])
    rng.shuffle(signed)
    kinds = ["UBND-TH", "UBND-KT", "UBND-NC", "UBND-VX", "QĐ-UBND", "KH-UBND", "BC-UBND"]
    rows = []
    for i, is_signed in enumerate(signed):
        rows.append(
            {
                "doc_number": f"{i + 1}/{rng.choice(kinds)}",
                "issued_on": rng.choice(year_days),
                "category": "Văn bản đi",
                "signing": "Ký số" if is_signed else "Ký tay",
                "session": None,
                "agenda_item": None,
                "summary": f"V/v {rng.choice(['triển khai', 'báo cáo', 'đôn đốc', 'hướng dẫn'])} "
                f"{rng.choice(['chuyển đổi số', 'cải cách hành chính', 'Đề án 06', 'ngân sách'])}",
            }
        )
    session_days = sorted(rng.sample(year_days, n["sessions"]))
    items_per_session = split_total(rng, n["agenda_items"], n["sessions"])
    docs_per_item = split_total(rng, n["meeting_documents"], n["agenda_items"])
    item = 0
    for s, (day, count) in enumerate(zip(session_days, items_per_session, strict=True), start=1):
        for _ in range(count):
            item += 1
            for d in range(docs_per_item[item - 1]):
                rows.append(
                    {
                        "doc_number": f"TLH-{s:02d}-{item:03d}-{d + 1:02d}",
                        "issued_on": day,
                        "category": "Tài liệu họp",
                        "signing": "Ký số",
                        "session": s,
                        "agenda_item": item,
                        "summary": f"Tài liệu phiên họp {s}, nội dung {item}",
                    }
                )
    rows.sort(key=lambda r: r["issued_on"])
    specs = [
        Spec("duplicate_row", "doc_number", "sach", lambda r, rng, s: r),
        Spec(
            "impossible_date",
            "issued_on",
            "dung",
            lambda r, rng, s: {
                **r,
                "doc_number": f"{r['doc_number']}-X{s}",
                "issued_on": "29/02/2021",
            },
        ),
        Spec(
            "date_outside_period",
            "issued_on",
            "dung",
            lambda r, rng, s: {
                **r,
                "doc_number": f"{r['doc_number']}-Y{s}",
                "issued_on": date(2020, 12, 30),
            },
        ),
        Spec(
            "missing_required",
            "signing",
            "du",
            lambda r, rng, s: {**r, "doc_number": f"{r['doc_number']}-Z{s}", "signing": ""},
        ),
    ]
    emit(
        out,
        contract,
        {"van_ban_2021.csv": rows},
        specs,
        rng,
        max(1, round(scale)),
        "doc_number",
        feed,
    )
    return {"office": n}


GENERATORS = {
    # dataset id: (function, seed offset)
    "taxpayer_e_services": (taxpayers, 11),
    "etax_mobile_accounts": (etax_mobile, 12),
    "land_registration_payments": (land, 13),
    "vneid_activations": (vneid, 14),
    "electronic_health_records": (health, 15),
    "cashless_social_payments": (labour, 16),
    "cashless_parking_payments": (parking, 17),
    "e_documents": (office, 18),
}


def generate_all(
    out: Path,
    seed: int,
    scale: float,
    contracts: dict[str, Contract],
    departments: set[str] | None = None,
) -> tuple[Feed, dict]:
    feed = Feed()
    expected: dict = {}
    for dataset, (function, offset) in GENERATORS.items():
        if departments is not None and contracts[dataset].department.id not in departments:
            continue
        expected.update(
            function(out, contracts[dataset], random.Random(seed * 100 + offset), scale, feed)
        )
    for relative, records in feed.api.items():
        path = out / "_http" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return feed, expected
