"""The pre-2025 ward crosswalk: complete, consistent with vietnam-provinces, and rebuilt from
its source exactly as committed."""

from ddss.reference.wards import LEGACY_WARDS, legacy_wards, wards
from ddss_demo.crosswalk import build_legacy_wards, legacy_wards_csv


def test_the_committed_crosswalk_is_what_its_source_builds():
    built = legacy_wards_csv(build_legacy_wards())
    assert LEGACY_WARDS.read_text("utf-8") == built, "run: ddss legacy-wards"


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
