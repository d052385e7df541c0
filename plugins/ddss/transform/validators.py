"""Vietnamese validators, one definition each, used by dbt staging on every dataset.

They are registered as DuckDB functions on dbt's connections (``ddss.transform.dbt_udfs``, a
dbt-duckdb plugin) and on the pipeline's own (``register``), so a staging model calls
``vn_tax_code_valid(tax_code)`` like any SQL function and the quality suites check the
resulting columns. The rules come from the reference libraries, not re-typed tables:

* tax code (mã số thuế): ``stdnum.vn.mst`` — 10 or 13 digits with the check digit;
* phone: ``phonenumbers`` with region VN, returned in E.164 (``+84…``) or null if invalid;
* citizen ID (CCCD): 12 digits ``PPP G YY RRRRRR`` — PPP an old 63-province code, G the
  century and sex, YY the birth year; checked against the row's birth date and sex.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

# Birth-registration province codes of the citizen ID (the 63 provinces before 2025).
CITIZEN_ID_PROVINCES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)
# Century (1900, 2000, 2100, 2200, 1800) x sex (male, female) -> the G digit.
CENTURY_DIGIT = {1900: 0, 2000: 2, 2100: 4, 2200: 6, 1800: 8}


@lru_cache(maxsize=65536)
def tax_code_valid(value: str | None) -> bool | None:
    from stdnum.vn import mst

    return None if value is None else mst.is_valid(value)


@lru_cache(maxsize=65536)
def phone_e164(value: str | None) -> str | None:
    import phonenumbers

    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.country_code != 84:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def citizen_id_problem(
    value: str | None, birth_date: date | None = None, female: bool | None = None
) -> str | None:
    """None when the ID is well formed and agrees with the birth date and sex; otherwise
    what is wrong: 'format', 'province', 'century_sex' or 'birth_year'."""
    if value is None:
        return None
    if len(value) != 12 or not value.isdigit():
        return "format"
    if value[:3] not in CITIZEN_ID_PROVINCES:
        return "province"
    g = int(value[3])
    if birth_date is not None:
        century = birth_date.year // 100 * 100
        if century not in CENTURY_DIGIT:
            return "century_sex"
        expected = CENTURY_DIGIT[century] + (1 if female else 0)
        if female is None:
            if g // 2 != CENTURY_DIGIT[century] // 2:
                return "century_sex"
        elif g != expected:
            return "century_sex"
        if int(value[4:6]) != birth_date.year % 100:
            return "birth_year"
    return None


FUNCTIONS = {
    # name: (python function, parameter types, return type)
    "vn_tax_code_valid": (tax_code_valid, ["VARCHAR"], "BOOLEAN"),
    "vn_phone_e164": (phone_e164, ["VARCHAR"], "VARCHAR"),
    "vn_citizen_id_problem": (citizen_id_problem, ["VARCHAR", "DATE", "BOOLEAN"], "VARCHAR"),
}


def register(con) -> None:
    """Make the validators callable from SQL on this DuckDB connection."""
    import duckdb

    existing = {
        name
        for (name,) in con.execute(
            "select function_name from duckdb_functions() where function_name like 'vn\\_%' escape '\\'"
        ).fetchall()
    }
    for name, (function, params, returns) in FUNCTIONS.items():
        if name in existing:
            continue
        con.create_function(
            name,
            function,
            [duckdb.sqltype(p) for p in params],
            duckdb.sqltype(returns),
            null_handling="special",
            side_effects=False,
        )
