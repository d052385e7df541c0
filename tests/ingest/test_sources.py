"""The departments' HTTP API source and the Vietnamese validators."""

import json
import random

from ddss.transform import validators
from ddss_demo.api_server import ApiServer


def _contract(cfg):
    from ddss.data_contracts import load_contracts

    return load_contracts(cfg)["etax_mobile_accounts"]


def test_the_api_is_fetched_page_by_page_into_one_landing_file_and_not_loaded_twice(cfg, tmp_path):
    import dataclasses

    from ddss.ingest import http_source
    from ddss.ingest.extract import extract

    records = [
        {"ma_phuong_xa": f"{i:05d}", "ky_bao_cao": "2022-07", "so_tai_khoan": i}
        for i in range(1234)
    ]
    (tmp_path / "api" / "hanoi_tax" / "etax-mobile").mkdir(parents=True)
    (tmp_path / "api" / "hanoi_tax" / "etax-mobile" / "2022-07.json").write_text(
        json.dumps(records), "utf-8"
    )
    with ApiServer(tmp_path / "api") as url:
        cfg = dataclasses.replace(cfg, api_url=url)
        paths = http_source.fetch(_contract(cfg), cfg)
        assert [p.name for p in paths] == ["etax_mobile_2022-07.json"]
        fetched = json.loads(paths[0].read_text("utf-8"))
        assert (
            fetched["total"] == 1234 and fetched["records"] == records
        )  # 3 pages of 500, in order
        first = extract("r1", cfg, ["etax_mobile_accounts"])
        second = extract("r2", cfg, ["etax_mobile_accounts"])
    assert first.loaded == {"etax_mobile_2022-07.json": 1234}
    assert second.loaded == {} and [d.file_name for d in second.duplicates] == [
        "etax_mobile_2022-07.json"
    ]


def test_an_unreachable_api_is_reported_and_nothing_is_lost(cfg):
    import dataclasses

    from ddss.ingest.extract import extract

    cfg = dataclasses.replace(cfg, api_url="http://127.0.0.1:9")  # nothing listens on port 9
    report = extract("r1", cfg, ["etax_mobile_accounts"])
    assert [p.rule for p in report.rejected] == ["source_unavailable"]
    assert "API" in report.rejected[0].message_vi


def test_tax_codes_agree_with_python_stdnum():
    from stdnum.vn import mst

    from ddss_demo.feeds import tax_code

    rng = random.Random(7)
    codes = [tax_code(rng, "01") for _ in range(300)]
    codes += [c[:9] + str((int(c[9]) + 1) % 10) for c in codes[:300]]
    codes += ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(300)]
    assert [validators.tax_code_valid(c) for c in codes] == [mst.is_valid(c) for c in codes]
    assert all(validators.tax_code_valid(c) for c in codes[:300])
    assert not any(validators.tax_code_valid(c) for c in codes[300:600])


def test_phone_numbers_are_validated_with_phonenumbers_and_written_in_e164():
    assert validators.phone_e164("0912 345 678") == "+84912345678"
    assert validators.phone_e164("+84 24 3825 3536") == "+842438253536"
    assert validators.phone_e164("0123 456") is None
    assert validators.phone_e164("không có") is None


def test_citizen_ids_are_checked_against_birth_date_and_sex():
    from datetime import date

    assert validators.citizen_id_problem("001090123456", date(1990, 5, 1), False) is None
    assert validators.citizen_id_problem("001190123456", date(1990, 5, 1), True) is None
    assert validators.citizen_id_problem("001205123456", date(2005, 5, 1), False) is None
    assert validators.citizen_id_problem("00109012345", date(1990, 5, 1), False) == "format"
    assert (
        validators.citizen_id_problem("003090123456", date(1990, 5, 1), False) == "province"
    )  # no 003
    assert validators.citizen_id_problem("001090123456", date(1990, 5, 1), True) == "century_sex"
    assert validators.citizen_id_problem("001091123456", date(1990, 5, 1), False) == "birth_year"


def test_the_validators_are_sql_functions_on_dbt_connections(cfg):
    import duckdb

    con = duckdb.connect()
    validators.register(con)
    validators.register(con)  # idempotent: dbt opens several cursors
    assert con.execute(
        "select vn_tax_code_valid('0100109106'), vn_phone_e164('0912345678'),"
        " vn_citizen_id_problem('001090123456', date '1990-05-01', true)"
    ).fetchone() == (True, "+84912345678", "century_sex")
    profiles = (cfg.dbt_project_dir / "profiles.yml").read_text("utf-8")
    assert "ddss.transform.dbt_udfs" in profiles
