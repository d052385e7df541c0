"""The pre-2025 ward crosswalk: complete, consistent with vietnam-provinces, and rebuilt from
its source exactly as committed."""

from datetime import date, timedelta

from ddss.reference.wards import (
    LEGACY_WARDS,
    PRE_REFORM_COLUMNS,
    PRE_REFORM_WARDS,
    REFORM_DATE,
    legacy_wards,
    pre_reform_wards,
    ward_units,
    wards,
    wards_in_force,
)
from ddss_demo.crosswalk import build_legacy_wards, build_pre_reform_wards, legacy_wards_csv


def test_the_committed_crosswalk_is_what_its_source_builds():
    built = legacy_wards_csv(build_legacy_wards())
    assert LEGACY_WARDS.read_text("utf-8") == built, "run: ddss legacy-wards"
    built = legacy_wards_csv(build_pre_reform_wards(), PRE_REFORM_COLUMNS)
    assert PRE_REFORM_WARDS.read_text("utf-8") == built, "run: ddss legacy-wards"


def test_the_pre_reform_list_is_whole_and_agrees_with_the_crosswalk():
    rows = pre_reform_wards()
    by_code = {r["code"]: r for r in rows}
    assert len(by_code) == len(rows) > 10_000
    assert len({r["old_province_code"] for r in rows}) == 63
    current = {w.code: w.province_code for w in wards()}
    for row in rows:
        targets = row["successors"].split()
        assert (row["mapping"] == "whole") == (len(targets) == 1), row
        assert all(current.get(t) == row["province_code"] for t in targets), row
    # Every changed code of the crosswalk is a unit of the pre-2025 list that went the same way.
    for row in legacy_wards():
        unit = by_code[row["old_code"]]
        assert unit["mapping"] == row["mapping"], row
        assert unit["successors"] == (row["new_code"] or row["candidates"]), row


def test_the_list_in_force_changes_on_the_reform_date():
    day_before = REFORM_DATE - timedelta(days=1)
    assert len(wards_in_force("01", day_before)) == 526  # Hà Nội's units on 30 June 2025
    assert len(wards_in_force("01", REFORM_DATE)) == 126
    assert {u.code for u in wards_in_force("01", date(2022, 3, 1))} == {
        u.code for u in wards_in_force("01", day_before)
    }
    # Each unit is in force on one side of the boundary only.
    for unit in ward_units():
        assert unit.in_force(day_before) != unit.in_force(REFORM_DATE), unit


def test_every_province_is_covered_and_every_target_is_a_current_ward():
    current = {w.code: w.province_code for w in wards()}
    rows = legacy_wards()
    assert len(rows) > 6000
    assert len({r["province_code"] for r in rows}) == 34
    for row in rows:
        assert row["old_code"] not in current, row  # a reused code is simply current
        targets = [row["new_code"]] if row["mapping"] == "whole" else row["candidates"].split()
        assert row["mapping"] in ("whole", "split") and targets and all(targets), row
        assert len(targets) == 1 or row["mapping"] == "split", row
        assert all(current.get(t) == row["province_code"] for t in targets), row


def test_known_wards_of_resolution_1656():
    by_code = {r["old_code"]: r for r in legacy_wards()}
    # Hàng Bạc went whole into Phường Hoàn Kiếm; Phúc Xá (Ba Đình) into Phường Hồng Hà.
    assert (by_code["00061"]["mapping"], by_code["00061"]["new_code"]) == ("whole", "00070")
    assert (by_code["00001"]["mapping"], by_code["00001"]["new_code"]) == ("whole", "00097")
    # Tràng Tiền was divided between Cửa Nam and Hoàn Kiếm.
    assert by_code["00079"]["mapping"] == "split"
    assert set(by_code["00079"]["candidates"].split()) == {"00073", "00070"}
