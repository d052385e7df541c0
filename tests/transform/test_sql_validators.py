"""The staging validators in SQL (dbt_project/macros/vn_validators.sql) give exactly what
their Python twins (ddss.transform.validators: python-stdnum, phonenumbers) give, on
generated edge cases and on every value of the demo feeds."""

from __future__ import annotations

import random
import sys
from datetime import date
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow as pa
import pytest
from stdnum.util import _char_map

from ddss.data_contracts import source_contracts
from ddss.ingest.extract import extract
from ddss.settings import workspace_settings
from ddss.transform import validators
from ddss.transform.dbt_runner import compile_inline

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "vn_validators.sql"
SEPARATORS = " ().-/"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    """Each macro compiled by dbt over the columns of a `cases` table."""
    cfg = workspace_settings(tmp_path_factory.mktemp("compile"))
    sql = compile_inline(
        "select n, {{ phone_e164('v') }} as phone, {{ tax_code_valid('v') }} as tax,"
        " {{ citizen_id_problem('v', 'born', 'female') }} as citizen from cases order by n",
        cfg,
    )
    return {"query": sql}


def _run(compiled: dict[str, str], rows: list[tuple]) -> list[tuple]:
    """The macros' values for rows of (v, born, female), in order."""
    con = duckdb.connect()
    validators.register(con)  # the rare cells the macros leave to the library itself
    table = pa.table(
        {
            "n": pa.array(range(len(rows)), pa.int32()),
            "v": pa.array([r[0] for r in rows], pa.string()),
            "born": pa.array([r[1] for r in rows], pa.date32()),
            "female": pa.array([r[2] for r in rows], pa.bool_()),
        }
    )
    con.register("cases_arrow", table)
    con.execute("create table cases as select * from cases_arrow")
    result = con.execute(compiled["query"]).fetchall()
    con.close()
    assert [r[0] for r in result] == list(range(len(rows)))
    return [r[1:] for r in result]


def _vietnam() -> phonenumbers.PhoneMetadata:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("VN")
    assert metadata is not None
    return metadata


def _phone_cases(rng: random.Random) -> list[str]:
    mobile = [f"0{p}{rng.randint(0, 9_999_999):07d}" for p in range(30, 100)]
    metadata = _vietnam()
    examples = [
        desc.example_number
        for desc in (
            metadata.fixed_line,
            metadata.mobile,
            metadata.toll_free,
            metadata.premium_rate,
            metadata.voip,
            metadata.uan,
        )
        if desc is not None and desc.example_number
    ]
    prefixes = [
        "",
        "0",
        "00",
        "000",
        "84",
        "840",
        "8400",
        "+84",
        "+840",
        "+0084",
        "0084",
        "+",
        "+0",
        "+00",
        "00840",
        "(+84)",
        "+1",
        "001",
        "++84",
        " (",
        "-",
    ]
    cases = [
        "0912 345 678",
        "+84 24 3825 3536",
        "0123 456",
        "không có",
        "",
        " ",
        "+",
        "++",
        "12",
        "123",
        "0912345678 ext. 12",
        "0912345678 x12",
        "0912345678#",
        "tel:+84-912-345-678",
        "tel:0912345678;phone-context=+84",
        "０９１２３４５６７８",
        "٠٩١٢٣٤٥٦٧٨",
        "0912345678;isub=1",
        "0912-345-678/x2",
        "1800 1234",
        "1900 6789",
        "069 12345",
        "1992000",
        "+1 650 253 0000",
        "0084 0912 345 678",
        "84 0912345678",
        "8400912345678",
        "0912.345.678.",
        "(091) 234-5678",
        "09l2345678",
        "0912345678 / 0987654321",
        "ĐT: 0912345678",
        "0 9 1 2 3 4 5 6 7 8",
        "+84 (0) 912 345 678",
        "0912\t345678",
        "1-800-FLOWERS",
        "0912345678\u00a0",
        "\u200b0912345678",
        "x" * 300,
        "9" * 300,
        "0912345678" + " " * 250,
    ]
    cases += examples + [p + e for p in prefixes for e in examples]
    for number in mobile + examples:
        for prefix in prefixes:
            cases.append(prefix + number.lstrip("0"))
            cases.append(prefix + number)
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 14)))
        text = rng.choice(prefixes) + digits
        chars = list(text)
        for _ in range(rng.randint(0, 3)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(SEPARATORS + "+x#,;a"))
        cases.append("".join(chars))
    return cases


def _tax_cases(rng: random.Random) -> list[str]:
    def check_digit(nine: str) -> str:
        total = sum(
            w * int(d) for w, d in zip((31, 29, 23, 19, 17, 13, 7, 5, 3), nine, strict=True)
        )
        return str(10 - total % 11)

    valid: list[str] = []
    while len(valid) < 500:
        nine = f"{rng.randint(0, 999_999_999):09d}"
        digit = check_digit(nine)
        if len(digit) == 1:
            valid.append(nine + digit)
    cases = [
        "0100109106",
        "0314409058-002",
        "01.00.112.437",
        "0312 68 78 78 - 001",
        "12345",
        "0100233480",
        "",
        " ",
        "0100000000",
        "0100109106000",
        "0100109106001",
        "0100109106\t",
        "\t0100109106",
        "01001\t09106",
        "0100109106\u2028",
        "O100109106",
        "0100109106-",
        "-0100109106",
        "+0100109106",
        "0100109106x",
        "٠١٠٠١٠٩١٠٦",
    ]
    for code in valid:
        cases += [
            code,
            code + f"{rng.randint(0, 999):03d}",
            code + "-000",
            code[:9] + str((int(code[9]) + 1) % 10),
            code[:5] + " " + code[5:],
        ]
    look_alikes = [k for k, v in _char_map.items() if v in "0123456789 -." or k.isspace()]
    whitespace = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    for code in valid[:200]:
        chars = list(code)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(chars))
            mapped = [k for k, v in _char_map.items() if v == chars[position]]
            if mapped and rng.random() < 0.5:
                chars[position] = rng.choice(mapped)
            else:
                chars.insert(rng.randint(0, len(chars)), rng.choice(look_alikes + whitespace))
        cases.append("".join(chars))
    return cases


def _citizen_cases(rng: random.Random) -> list[tuple]:
    rows: list[tuple] = [(None, None, None), ("", date(1990, 1, 1), True), ("abc", None, None)]
    provinces = sorted(validators.CITIZEN_ID_PROVINCES) + ["003", "097", "000"]
    for _ in range(5_000):
        born = date(
            rng.choice([1799, 1850, 1899, 1900, 1990, 2000, 2005, 2099, 2150, 2299, 2300]),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        g = rng.randint(0, 9)
        yy = born.year % 100 if rng.random() < 0.8 else rng.randint(0, 99)
        value = f"{rng.choice(provinces)}{g}{yy:02d}{rng.randint(0, 999_999):06d}"
        if rng.random() < 0.1:
            value = value[: rng.randint(0, 11)]
        elif rng.random() < 0.05:
            value = value[:6] + "x" + value[7:]
        elif rng.random() < 0.05:
            value = value[:8] + "٣" + value[9:]  # another script's digit: the library decides
        rows.append((value, rng.choice([born, None]), rng.choice([True, False, None])))
    return rows


def test_the_macros_agree_with_the_libraries_on_edge_cases(compiled):
    rng = random.Random(17)
    phones = _phone_cases(rng)
    taxes = _tax_cases(rng)
    citizens = _citizen_cases(rng)
    rows = [(v, None, None) for v in phones + taxes] + citizens
    results = _run(compiled, rows)
    mismatches = []
    for (value, born, female), (phone, tax, citizen) in zip(rows, results, strict=True):
        expected = (
            validators.phone_e164(value),
            validators.tax_code_valid(value),
            validators.citizen_id_problem(value, born, female),
        )
        if (phone, tax, citizen) != expected:
            mismatches.append((value, born, female, (phone, tax, citizen), expected))
    assert not mismatches[:20], f"{len(mismatches)} values differ"
    # The cases reach every outcome, so the comparison can fail.
    assert {r[0] is None for r in results} == {True, False}
    assert {r[1] for r in results} == {True, False, None}
    assert {r[2] for r in results} >= {None, "format", "province", "century_sex", "birth_year"}


@pytest.mark.slow
def test_the_macros_agree_with_the_libraries_on_the_demo_feeds(compiled, landed):
    extract("run-1", landed)
    con = duckdb.connect(str(landed.warehouse_path), read_only=True)
    values: set[str | None] = set()
    citizens: set[tuple] = set()
    for contract in source_contracts(landed):
        columns = {c.name for c in contract.columns}
        for column in columns & {
            "phone",
            "applicant_phone",
            "leader_phone",
            "representative_phone",
            "tax_code",
            "citizen_id",
        }:
            values |= {
                v
                for (v,) in con.execute(
                    f"select distinct {column} from raw.{contract.raw_table}"
                ).fetchall()
            }
        if {"citizen_id", "birth_date", "sex"} <= columns:
            citizens |= set(
                con.execute(
                    f"select citizen_id, try_strptime(trim(birth_date), '%d/%m/%Y')::date,"
                    f" case trim(sex) when 'Nữ' then true when 'Nam' then false end"
                    f" from raw.{contract.raw_table}"
                ).fetchall()
            )
    con.close()
    assert len(values) > 10_000 and len(citizens) > 1_000
    rows = [(v, None, None) for v in sorted(values, key=str)] + sorted(citizens, key=str)
    results = _run(compiled, rows)
    for (value, born, female), (phone, tax, citizen) in zip(rows, results, strict=True):
        assert phone == validators.phone_e164(value), value
        assert tax == validators.tax_code_valid(value), value
        assert citizen == validators.citizen_id_problem(value, born, female), value


def test_the_phone_patterns_are_the_libraries_metadata():
    """A phonenumbers upgrade that changes Vietnam's numbering plan fails here first."""
    text = MACROS.read_text(encoding="utf-8")
    metadata = _vietnam()
    assert metadata.national_prefix_for_parsing == "0" and metadata.international_prefix == "00"
    assert metadata.national_prefix_transform_rule is None
    assert metadata.general_desc is not None
    assert metadata.general_desc.possible_length == (7, 8, 9, 10)
    descriptions = [
        metadata.general_desc,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.voip,
        metadata.uan,
        metadata.fixed_line,
        metadata.mobile,
    ]
    for desc in descriptions:
        pattern = desc.national_number_pattern if desc is not None else None
        assert pattern is not None
        # The type patterns are Jinja strings there, their backslashes doubled.
        assert pattern.replace("\\", "\\\\") in text or pattern in text, pattern
    for absent in (
        metadata.shared_cost,
        metadata.personal_number,
        metadata.pager,
        metadata.voicemail,
    ):
        assert absent is None
