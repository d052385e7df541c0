"""Đúng: no value is changed or dropped without a word (issue 16, issue 18 item 12).

Values people really send — Vietnamese thousands separators, Excel's scientific notation,
programmers' notations, fractions in counts, words in numbers, negative amounts, two-digit
years, identifiers with invisible or full-width characters — are planted into copies of the
demo feeds; the whole pipeline runs; each planted value is then looked for in the published
CSV, Parquet and JSON. Each must be there exactly right, or absent from all three and in
quality.quarantine with its file, row, column, value and a message that names the problem.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF, settings_for

pytestmark = pytest.mark.slow

PARKING = ("hanoi_transport", "trong_giu_xe_2022-01.csv", ";")
DOSSIERS = ("tuyen_quang_pasc", "ho_so_2022-01.csv", ",")
LAND = ("hanoi_monre", "dang_ky_dat_dai_2022-01.csv", ",")
OFFICE = ("tuyen_quang_office", "van_ban_2021.csv", ",")


@dataclass(frozen=True)
class Plant:
    feed: tuple[str, str, str]
    line: int  # the spreadsheet row (header = 1)
    header: str
    value: str
    # Either the value the portal must publish, or the message fragment the quarantine must give.
    published: str | None = None
    message: str | None = None
    severity: str = "row"


PLANTS = [
    # A column the contract reads in Vietnamese format: parsed exactly.
    Plant(PARKING, 2, "Doanh thu (đồng)", "2.920.000", published="2920000"),
    Plant(PARKING, 3, "Doanh thu không tiền mặt (đồng)", "615.000", published="615000"),
    Plant(PARKING, 4, "Số lượt", "12.5", message="có phần lẻ"),
    Plant(PARKING, 5, "Số lượt", "mười", message="không phải là số"),
    Plant(PARKING, 6, "Doanh thu không tiền mặt (đồng)", "1,2E+06", message="dạng số khoa học"),
    Plant(PARKING, 7, "Số lượt", "0x1F", message="ký hiệu lập trình"),
    Plant(PARKING, 8, "Số lượt", "1_000", message="ký hiệu lập trình"),
    Plant(PARKING, 9, "Doanh thu (đồng)", "-5.000", message="không được âm"),
    Plant(PARKING, 10, "Số lượt", "2.920", message="phân cách hàng nghìn"),
    Plant(PARKING, 11, "Ngày", "1/1/22", message="năm phải có 4 chữ số"),
    Plant(PARKING, 12, "Doanh thu (đồng)", "2,920,000", message="dùng dấu chấm"),
    # A code in full-width digits (an East Asian input method) is read as ASCII, with a word.
    Plant(
        PARKING,
        13,
        "Mã phường/xã",
        "０００７３",
        published="00073",
        message="chuẩn hóa",
        severity="warning",
    ),
    Plant(DOSSIERS, 5, "Ngày tiếp nhận", "1/1/22", message="năm phải có 4 chữ số"),
    Plant(LAND, 2, "Số tiền (đồng)", "2500000.5", message="có phần lẻ"),
    Plant(LAND, 3, "Số tiền (đồng)", "1,3E+07", message="dạng số khoa học"),
    Plant(LAND, 4, "Số tiền (đồng)", "-15000000", message="không được âm"),
    Plant(LAND, 5, "Số tiền (đồng)", "15.500.000", message="phân cách hàng nghìn"),
    # Optional columns: a word is not published as an empty cell, a fraction not as a whole.
    Plant(OFFICE, 237, "Nội dung họp số", "một", message="không phải là số"),
    Plant(OFFICE, 238, "Phiên họp", "1.5", message="có phần lẻ"),
]
# Identifiers: row 3 and row 7 repeat row 2's dossier behind a zero-width and a non-breaking
# space (duplicates: quarantined, and a warning says what was normalised); row 4's own id in
# full-width digits is published in ASCII, with the warning.
ZWSP, NBSP = "\u200b", "\u00a0"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _read(path: Path, delimiter: str) -> tuple[list[list[str]], str, bool]:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    return list(csv.reader(text.splitlines(), delimiter=delimiter)), newline, bom


def _write(path: Path, rows: list[list[str]], delimiter: str, newline: str, bom: bool) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)


def _control_sum(values: list[str]) -> str:
    """The sum the gate recomputes from the raw cells (as a sender's spreadsheet sums them)."""
    con = duckdb.connect()
    total = con.execute(
        "select sum(try_cast(nullif(trim(v), '') as hugeint)) from unnest(?::varchar[]) as t(v)",
        [values],
    ).fetchone()[0]
    return str(total or 0)


def _plant(landing: Path) -> dict:
    """Edit the copies; return the original rows (by feed and line) for the lookups."""
    originals: dict = {}
    for feed in {p.feed for p in PLANTS}:
        folder, name, delimiter = feed
        path = landing / folder / name
        rows, newline, bom = _read(path, delimiter)
        originals[feed] = [list(r) for r in rows]
        header = rows[0]
        for plant in (p for p in PLANTS if p.feed == feed):
            rows[plant.line - 1][header.index(plant.header)] = plant.value
        if feed == DOSSIERS:
            column = header.index("Mã hồ sơ")
            first = rows[1][column]
            rows[2][column] = first.replace("H61-", "H61-" + ZWSP)
            rows[6][column] = first.replace("-", "-" + NBSP, 1)
            rows[3][column] = rows[3][column].translate(FULL_WIDTH)
        _write(path, rows, delimiter, newline, bom)
        control = path.with_name(path.name.removesuffix(".csv") + ".kiem_soat.json")
        if control.exists():
            declared = json.loads(control.read_text("utf-8"))
            amounts = [r[header.index("Số tiền (đồng)")] for r in rows[1:]]
            declared["sums"]["amount_vnd"] = _control_sum(amounts)
            control.write_text(json.dumps(declared), "utf-8")
    return originals


@pytest.fixture(scope="module")
def planted(tmp_path_factory, feeds):
    from ddss.orchestration.pipeline import run_all

    cfg = settings_for(tmp_path_factory.mktemp("planted"))
    shutil.copytree(feeds, cfg.landing_dir)
    originals = _plant(cfg.landing_dir)
    run_all("run-1", cfg, as_of=AS_OF)
    return cfg, originals


def _published(cfg, dataset: str) -> dict[str, list[dict]]:
    """The dataset's rows as each download format gives them, values as text."""
    import pyarrow.parquet as pq

    downloads = cfg.public_dir / "current" / "downloads"
    with (downloads / f"{dataset}.csv").open(encoding="utf-8-sig", newline="") as f:
        from_csv = list(csv.DictReader(f))
    from_json = json.loads((downloads / f"{dataset}.json").read_text("utf-8"))
    from_parquet = pq.read_table(downloads / f"{dataset}.parquet").to_pylist()

    def text(rows):
        return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]

    return {"csv": text(from_csv), "json": text(from_json), "parquet": text(from_parquet)}


def _quarantine(cfg, file_name: str, line: int) -> list[tuple]:
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(
            'select "column", value, severity, message_vi, message_en from quality.quarantine '
            "where source_file = ? and source_row = ?",
            [file_name, line],
        ).fetchall()
    finally:
        con.close()


DATASETS = {PARKING: "cashless_parking_payments", DOSSIERS: "admin_procedure_dossiers"}
DATASETS[LAND] = "land_registration_payments"
DATASETS[OFFICE] = "e_documents"


def _key(feed, row: list[str], header: list[str]) -> dict[str, str]:
    """How the original row is found in a publication."""
    if feed == PARKING:
        day, month, year = row[header.index("Ngày")].split("/")
        return {"lot_id": row[header.index("Mã điểm đỗ")], "day": f"{year}-{month}-{day}"}
    if feed == OFFICE:
        return {"doc_number": row[header.index("Số ký hiệu")]}
    return {"dossier_id": row[header.index("Mã hồ sơ")]}


def _matching(rows: list[dict], key: dict[str, str]) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in key.items())]


def _column_of(cfg, dataset: str, header: str) -> str:
    from ddss.data_contracts import source_contracts

    contract = next(c for c in source_contracts(cfg) if c.id == dataset)
    return next(c.name for c in contract.columns if c.header == header)


@pytest.mark.parametrize("plant", PLANTS, ids=[f"{p.feed[1]}:{p.line}:{p.value}" for p in PLANTS])
def test_a_planted_value_is_published_exactly_or_quarantined_with_a_word(planted, plant):
    cfg, originals = planted
    dataset = DATASETS[plant.feed]
    header, original = originals[plant.feed][0], originals[plant.feed][plant.line - 1]
    key = _key(plant.feed, original, header)
    column = _column_of(cfg, dataset, plant.header)
    for form, rows in _published(cfg, dataset).items():
        found = _matching(rows, key)
        if plant.published is not None:
            assert [r[column] for r in found] == [plant.published], (form, plant)
        else:
            assert found == [], (form, plant, "a refused value reached the portal")
    if plant.message:
        failures = _quarantine(cfg, plant.feed[1], plant.line)
        ours = [f for f in failures if f[0] == column and f[1] == plant.value]
        assert ours, (plant, failures)
        assert any(plant.message in f[3] and f[2] == plant.severity for f in ours), ours
        assert all(f[4] for f in ours)  # and in English


def test_duplicates_hidden_by_invisible_characters_are_caught_and_named(planted):
    cfg, originals = planted
    header = originals[DOSSIERS][0]
    first = originals[DOSSIERS][1][header.index("Mã hồ sơ")]
    for form, rows in _published(cfg, "admin_procedure_dossiers").items():
        assert len(_matching(rows, {"dossier_id": first})) == 1, form
    for line, shown in ((3, "[ZWSP]"), (7, "[NBSP]")):
        failures = _quarantine(cfg, DOSSIERS[1], line)
        rows = {(f[0], f[2]) for f in failures}
        assert ("dossier_id", "row") in rows, failures  # the duplicate
        warnings = [f for f in failures if f[2] == "warning" and f[0] == "dossier_id"]
        assert warnings and shown in warnings[0][1], failures
        assert "chuẩn hóa" in warnings[0][3] and first in warnings[0][3], warnings


def test_a_full_width_identifier_is_published_in_ascii_with_a_warning(planted):
    cfg, originals = planted
    header = originals[DOSSIERS][0]
    own = originals[DOSSIERS][3][header.index("Mã hồ sơ")]
    for form, rows in _published(cfg, "admin_procedure_dossiers").items():
        assert len(_matching(rows, {"dossier_id": own})) == 1, form
    failures = _quarantine(cfg, DOSSIERS[1], 4)
    assert [(f[0], f[1], f[2]) for f in failures] == [
        ("dossier_id", own.translate(FULL_WIDTH), "warning")
    ]


def test_a_two_digit_year_does_not_move_the_indicators_period(planted):
    cfg, _ = planted
    for form, rows in _published(cfg, "dossier_indicators").items():
        assert {r["period_start"] for r in rows} == {"2022-01-01"}, form


def test_ddss_check_names_each_planted_value_as_the_pipeline_does(planted):
    """A steward's pre-flight on the planted file finds the same cells with the same words."""
    from ddss.quality.check import check_file

    cfg, _ = planted
    folder, name, _ = PARKING
    result = check_file(cfg.landing_dir / folder / name, "cashless_parking_payments", cfg)
    found = {(f["source_row"], f["column"], f["value"]): f["message_vi"] for f in result.failures}
    for plant in (p for p in PLANTS if p.feed == PARKING and p.message):
        message = found.get((plant.line, plant.header, plant.value))
        assert message and plant.message in message, (plant, sorted(found)[:20])
    assert not any(row in (2, 3) for row, _, _ in found)  # the exact ones pass
