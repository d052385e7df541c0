"""Reference lists with validity dates: a row's ward code is checked against the list in force
at the row's own date, and coverage (đủ) of a period expects the units in force in it.

One small Hà Nội health warehouse (two periods: March 2022, before the 1 July 2025 reform, and
August 2025, after it) and a Tuyên Quang service catalogue sent twice, staged once by the
real dbt project with ``ward_codes_at_row_date`` on and validated once by the real gate; the
assertions share it."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from conftest import settings_for
from ddss.data_contracts import source_contract
from ddss.ingest.load import ensure_raw_table
from ddss.quality.gate import validate
from ddss.reference.wards import load_reference_tables, wards_in_force
from ddss.transform.dbt_runner import compile_inline, run_dbt
from ddss.warehouse import connect

pytestmark = pytest.mark.slow  # one dbt build and one dbt compile (about 35 s together)

BEFORE, AFTER = "2022-03", "2025-08"
HANG_BAC = "00061"  # pre-2025 only; moved whole into 00070 Phường Hoàn Kiếm
TRANG_TIEN = "00079"  # pre-2025 only; split between 00073 Cửa Nam and 00070 Hoàn Kiếm
HOAN_KIEM = "00070"


def _label(period: str) -> str:
    year, month = period.split("-")
    return f"{month}/{year}"


@pytest.fixture(scope="module")
def health(tmp_path_factory):
    """Every unit in force reports once per period, but one 2022 unit is left out; after the
    reform Hàng Bạc's old code stands in for Hoàn Kiếm, and Tràng Tiền's old code is sent
    again (now split)."""
    cfg = settings_for(tmp_path_factory.mktemp("reference_dates"))
    before = [u.code for u in wards_in_force("01", date(2022, 3, 1))]
    after = [u.code for u in wards_in_force("01", date(2025, 8, 1))]
    left_out = before[-1]
    sent = [(code, BEFORE) for code in before if code != left_out]
    sent += [(code, AFTER) for code in after if code != HOAN_KIEM]
    sent += [(HANG_BAC, AFTER), (TRANG_TIEN, AFTER)]
    contract = source_contract("electronic_health_records", cfg)
    rows = [
        (code, _label(period), "100", "60", None, f"ho_so_suc_khoe_{period}.csv", "0" * 64, n, "r")
        for n, (code, period) in enumerate(sent, start=2)
    ]
    with connect(cfg) as con:
        load_reference_tables(con)
        ensure_raw_table(con, contract)
        con.executemany(f"insert into raw.{contract.raw_table} values ({', '.join('?' * 9)})", rows)
        _service_catalogue(con, cfg)
    run_dbt(
        [
            "build",
            "--select",
            "stg_hanoi_health__electronic_health_records",
            "stg_tuyen_quang_pasc__online_public_services",
            "stg_tuyen_quang_pasc__admin_procedure_dossiers",
            "--vars",
            "{ward_codes_at_row_date: true}",
        ],
        cfg,
    )
    outcome = validate("electronic_health_records", "run-1", cfg)
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        staged = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "select ward_code_sent, period, ward_code, ward_code_in_force, ward_code_status,"
                " ward_candidates, ward_code_reference_date"
                " from staging.stg_hanoi_health__electronic_health_records"
            ).fetchall()
        }
        services = dict(
            con.execute(
                "select dossier_id, service_code_known"
                " from staging.stg_tuyen_quang_pasc__admin_procedure_dossiers"
            ).fetchall()
        )
        quarantined = con.execute(
            "select value, rule, severity, message_vi, message_en from quality.quarantine"
        ).fetchall()
    finally:
        con.close()
    return {
        "staged": staged,
        "outcome": outcome,
        "quarantined": quarantined,
        "left_out": left_out,
        "counts": (len(before), len(after)),
        "services": services,
    }


# The catalogue as sent in January 2022 and again in April 2022: S1 was withdrawn in between,
# S3 added. Dossiers: (id, service, received date).
CATALOGUES = {"dich_vu_cong_2022-01.csv": ("S1", "S2"), "dich_vu_cong_2022-04.csv": ("S2", "S3")}
DOSSIERS = [
    ("dec-S1", "S1", "15/12/2021"),  # before the first catalogue: the first one applies
    ("feb-S1", "S1", "15/02/2022"),
    ("feb-S3", "S3", "15/02/2022"),
    ("may-S1", "S1", "15/05/2022"),
    ("may-S2", "S2", "15/05/2022"),
    ("may-S3", "S3", "15/05/2022"),
    ("bad-date-S3", "S3", "31/02/2022"),  # no readable date: the newest catalogue
]


def _service_catalogue(con, cfg) -> None:
    services = source_contract("online_public_services", cfg)
    dossiers = source_contract("admin_procedure_dossiers", cfg)
    ensure_raw_table(con, services)
    ensure_raw_table(con, dossiers)
    for file_name, codes in CATALOGUES.items():
        for n, code in enumerate(codes, start=2):
            con.execute(
                f"insert into raw.{services.raw_table} by name select ? as service_code,"
                " 'Dịch vụ' as service_name, '4' as service_level, ? as _source_file, ? as _source_row",
                [code, file_name, n],
            )
    for n, (dossier, code, received) in enumerate(DOSSIERS, start=2):
        con.execute(
            f"insert into raw.{dossiers.raw_table} by name select ? as dossier_id,"
            " ? as service_code, 'Trực tuyến' as channel, ? as received_date,"
            " 'ho_so_2022-05.csv' as _source_file, ? as _source_row",
            [dossier, code, received, n],
        )


def test_a_pre_reform_code_on_a_pre_reform_date_is_correct_and_named_as_today(health):
    ward, in_force, status, _, checked_on = health["staged"][(HANG_BAC, BEFORE)]
    assert (ward, in_force, status, checked_on) == (
        HOAN_KIEM,
        HANG_BAC,
        "current",
        date(2022, 3, 1),
    )
    # A split unit was correct in 2022 too; it cannot be named as one new ward, so keeps its code.
    assert health["staged"][(TRANG_TIEN, BEFORE)][:3] == (TRANG_TIEN, TRANG_TIEN, "current")
    assert not [
        q for q in health["quarantined"] if q[0] in (HANG_BAC, TRANG_TIEN) and "2022" in q[3]
    ]


def test_the_same_codes_after_the_reform_are_flagged_as_before(health):
    ward, in_force, status, _, checked_on = health["staged"][(HANG_BAC, AFTER)]
    assert (ward, in_force, status, checked_on) == (
        HOAN_KIEM,
        HOAN_KIEM,
        "legacy_mapped",
        date(2025, 8, 1),
    )
    _, _, status, candidates, _ = health["staged"][(TRANG_TIEN, AFTER)]
    assert status == "legacy_split"
    assert set(candidates.split(", ")) == {"00073 Phường Cửa Nam", "00070 Phường Hoàn Kiếm"}
    flagged = {
        (value, severity)
        for value, rule, severity, *_ in health["quarantined"]
        if "ward_code_status" in rule
    }
    assert flagged == {(HANG_BAC, "warning"), (TRANG_TIEN, "row")}


def test_coverage_of_each_period_expects_the_units_in_force_in_it(health):
    found = health["outcome"].coverage
    before, after = health["counts"]
    assert (before, after) == (526, 126)
    assert found["expected"] == before + after
    assert found["missing_count"] == 1
    assert found["missing"] == [
        {"unit": health["left_out"], "period": BEFORE, "list_in_force_on": "2022-03-01"}
    ]
    assert found["lists_in_force_on"] == ["2022-03-01", "2025-08-01"]
    problem = next(p for p in health["outcome"].blocking if p.rule == "coverage")
    assert problem.message_vi.startswith("Chưa đủ đơn vị báo cáo: 651/652")
    assert "có hiệu lực ngày 2022-03-01, 2025-08-01" in problem.message_vi
    assert f"{health['left_out']} ({BEFORE})" in problem.message_en


def test_a_code_that_only_the_new_list_has_is_not_in_force_before_the_reform(tmp_path):
    """Hồ Chí Minh City's 26732 (Đặc khu Côn Đảo) reuses no pre-2025 code: on a date before
    the reform it names no unit of the list then in force. It was formed from a district that
    had no communes, so there is no earlier unit to suggest."""
    cfg = settings_for(tmp_path)
    with connect(cfg) as con:
        load_reference_tables(con)
    sql = compile_inline(
        "select wards.input_code, wards.ward_code_status, wards.ward_candidates, dates.on_date"
        " from ({{ ward_lookup('79') }}) as wards,"
        " (values (date '2022-03-01'), (date '2025-06-30'), (date '2025-07-01')) as dates (on_date)"
        " where wards.input_code = '26732' and {{ ward_in_force('wards', 'dates.on_date') }}"
        " order by dates.on_date",
        cfg,
    )
    with connect(cfg) as con:
        found = con.execute(sql).fetchall()
    assert [(r[1], r[3]) for r in found] == [
        ("not_yet_in_force", date(2022, 3, 1)),
        ("not_yet_in_force", date(2025, 6, 30)),
        ("current", date(2025, 7, 1)),
    ]
    assert found[0][2] is None


def test_a_dossier_is_checked_against_the_service_catalogue_in_force_when_it_was_received(
    health,
):
    assert health["services"] == {
        "dec-S1": True,
        "feb-S1": True,
        "feb-S3": False,
        "may-S1": False,
        "may-S2": True,
        "may-S3": True,
        "bad-date-S3": True,
    }
