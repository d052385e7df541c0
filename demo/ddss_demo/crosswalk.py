"""Builds ``ddss/reference/legacy_wards.csv``: the pre-2025 -> 2025 ward crosswalk, from
the ``vietnamadminunits`` package's data joined to vietnam-provinces' new wards by name.

A development tool (``ddss legacy-wards``): the pipeline only reads the committed file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ddss.reference.wards import (
    LEGACY_COLUMNS,
    LEGACY_WARDS,
    PRE_REFORM_COLUMNS,
    PRE_REFORM_WARDS,
    wards,
)


def _name_key(name: str) -> str:
    """Lower case without tone marks or spaces, as vietnamadminunits keys its units."""
    text = unicodedata.normalize("NFD", name.lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"[^a-z0-9]", "", text)


def _crosswalk_files() -> tuple[Path, Path]:
    """vietnamadminunits' data files, found without importing it (its import pulls geopy)."""
    import importlib.util

    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vietnamadminunits is not installed (pip install -e '.[dev]')")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data / "converter_2025.json", data / "dataset.db"


@dataclass(frozen=True)
class _Source:
    """vietnamadminunits' data: its crosswalk and the units it names."""

    crosswalk: dict
    old_units: dict[str, list[tuple[str, str, str, str]]]  # key -> (code, name, district, province)
    old_province_codes: dict[str, str]  # old unit's key -> its pre-2025 province code
    new_names: dict[tuple[str, str], str]  # (province key, ward key) -> new ward's name
    province_codes: dict[str, str]  # province key -> code


def _read_source() -> _Source:
    import sqlite3

    converter_path, db_path = _crosswalk_files()
    crosswalk = json.loads(converter_path.read_text("utf-8"))
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        old_units = defaultdict(list)
        old_province_codes = {}
        for key, code, name, district, province, province_code in db.execute(
            "select provinceKey || '_' || districtKey || '_' || wardKey, wardCode, ward, district,"
            " province, provinceCode from admin_units_legacy"
        ):
            old_units[key].append((code, name, district, province))
            old_province_codes[key] = province_code
        new_names = {
            (p, k): name
            for p, k, name in db.execute("select provinceKey, wardKey, ward from admin_units")
        }
        province_codes = dict(
            db.execute("select distinct provinceKey, provinceCode from admin_units")
        )
    finally:
        db.close()
    return _Source(crosswalk, old_units, old_province_codes, new_names, province_codes)


class _NewCodes:
    """Their new wards -> vietnam-provinces' codes, by exact name, else by unaccented name
    when that is unique in the province (spellings such as Thuỷ/Thủy differ)."""

    def __init__(self, source: _Source):
        self.source = source
        self.by_name = {(w.province_code, _lower_nfc(w.name)): w.code for w in wards()}
        self.by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        for w in wards():
            self.by_key[(w.province_code, _name_key(w.name))].append(w.code)

    def __call__(self, province_key: str, ward_key: str) -> str:
        name = self.source.new_names[(province_key, ward_key)]
        province = self.source.province_codes[province_key]
        code = self.by_name.get((province, _lower_nfc(name)))
        if code is not None:
            return code
        candidates = self.by_key.get((province, _name_key(name)), [])
        if len(candidates) != 1:
            raise RuntimeError(f"new ward {name} ({province}) is not in vietnam-provinces")
        return candidates[0]


def _lower_nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name).lower()


def _successors(source: _Source) -> list[tuple[str, str, list[str]]]:
    """(old unit's key, its new province's key, the new wards it went to), for every old unit
    of the crosswalk: one new ward when it moved whole, several when it was divided."""
    new_code = _NewCodes(source)
    found: list[tuple[str, str, list[str]]] = []
    for province_key, new_wards in source.crosswalk["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in new_wards.items():
            target = new_code(province_key, ward_key)
            found.extend((old_key, province_key, [target]) for old_key in old_keys)
    for province_key, divided in source.crosswalk["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            targets = list(dict.fromkeys(new_code(province_key, p["newWardKey"]) for p in parts))
            found.append((old_key, province_key, targets))
    return found


def build_legacy_wards() -> list[dict]:
    """Every pre-2025 ward code that is not current today, with the new ward(s) it became."""
    source = _read_source()
    current = {w.code for w in wards()}
    rows: dict[str, dict] = {}
    for old_key, province_key, targets in _successors(source):
        _add(rows, source, current, old_key, province_key, targets)
    return [rows[code] for code in sorted(rows)]


def build_pre_reform_wards() -> list[dict]:
    """Every unit of the list in force until 30 June 2025 (its code reused today or not),
    with the new ward(s) it became: what a row dated before the reform is checked against."""
    source = _read_source()
    rows: dict[str, dict] = {}
    for old_key, province_key, targets in _successors(source):
        for code, name, district, province in source.old_units.get(old_key, []):
            rows[code] = {
                "code": code,
                "name": name,
                "district": district,
                "province": province,
                "old_province_code": source.old_province_codes[old_key],
                "province_code": source.province_codes[province_key],
                "mapping": "whole" if len(targets) == 1 else "split",
                "successors": " ".join(targets),
            }
    return [rows[code] for code in sorted(rows)]


def _add(
    rows: dict[str, dict],
    source: _Source,
    current: set[str],
    old_key: str,
    province_key: str,
    targets: list[str],
) -> None:
    """The old unit's codes that are not current, mapped whole (one target) or split."""
    mapping = "whole" if len(targets) == 1 else "split"
    for code, name, district, province in source.old_units.get(old_key, []):
        if code in current:
            continue
        rows[code] = {
            "old_code": code,
            "old_name": name,
            "old_district": district,
            "old_province": province,
            "province_code": source.province_codes[province_key],
            "new_code": targets[0] if mapping == "whole" else "",
            "mapping": mapping,
            "candidates": " ".join(targets) if mapping == "split" else "",
        }


def legacy_wards_csv(rows: list[dict], columns: tuple[str, ...] = LEGACY_COLUMNS) -> str:
    """The crosswalk file's text (or, with PRE_REFORM_COLUMNS, the pre-2025 list's), exactly
    as committed."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_legacy_wards(path: Path = LEGACY_WARDS) -> int:
    """Writes the crosswalk and, beside it, the whole pre-2025 list (pre_reform_wards.csv);
    returns the crosswalk's row count."""
    rows = build_legacy_wards()
    path.write_text(legacy_wards_csv(rows), "utf-8")
    path.with_name(PRE_REFORM_WARDS.name).write_text(
        legacy_wards_csv(build_pre_reform_wards(), PRE_REFORM_COLUMNS), "utf-8"
    )
    return len(rows)
