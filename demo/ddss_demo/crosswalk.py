"""Builds ``ddss/reference/legacy_wards.csv``: the pre-2025 -> 2025 ward crosswalk, from
the ``vietnamadminunits`` package's data joined to vietnam-provinces' new wards by name.

A development tool (``ddss legacy-wards``): the pipeline only reads the committed file.
"""

from __future__ import annotations

import json
from pathlib import Path

from ddss.reference.wards import LEGACY_COLUMNS, LEGACY_WARDS, wards


def _name_key(name: str) -> str:
    """Lower case without tone marks or spaces, as vietnamadminunits keys its units."""
    import re
    import unicodedata

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


def build_legacy_wards() -> list[dict]:
    """Every pre-2025 ward code that is not current today, with the new ward(s) it became."""
    import sqlite3
    import unicodedata
    from collections import defaultdict

    converter_path, db_path = _crosswalk_files()
    crosswalk = json.loads(converter_path.read_text("utf-8"))
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        old_units = defaultdict(list)
        for key, code, name, district, province in db.execute(
            "select provinceKey || '_' || districtKey || '_' || wardKey, wardCode, ward, district,"
            " province from admin_units_legacy"
        ):
            old_units[key].append((code, name, district, province))
        their_new = {
            (p, k): (p, name)
            for p, k, name in db.execute("select provinceKey, wardKey, ward from admin_units")
        }
        province_codes = dict(
            db.execute("select distinct provinceKey, provinceCode from admin_units")
        )
    finally:
        db.close()

    # Their new wards -> vietnam-provinces' codes, by exact name, else by unaccented name
    # when that is unique in the province (spellings such as Thuỷ/Thủy differ).
    by_name = {
        (w.province_code, unicodedata.normalize("NFC", w.name).lower()): w.code for w in wards()
    }
    by_key = defaultdict(list)
    for w in wards():
        by_key[(w.province_code, _name_key(w.name))].append(w.code)

    def new_code(province_key: str, ward_key: str) -> str:
        province_key, name = their_new[(province_key, ward_key)]
        province = province_codes[province_key]
        code = by_name.get((province, unicodedata.normalize("NFC", name).lower()))
        if code is None:
            candidates = by_key.get((province, _name_key(name)), [])
            if len(candidates) != 1:
                raise RuntimeError(f"new ward {name} ({province}) is not in vietnam-provinces")
            code = candidates[0]
        return code

    current = {w.code for w in wards()}
    rows: dict[str, dict] = {}

    def add(old_key: str, province_key: str, mapping: str, targets: list[str]) -> None:
        for code, name, district, province in old_units.get(old_key, []):
            if code in current:
                continue
            rows[code] = {
                "old_code": code,
                "old_name": name,
                "old_district": district,
                "old_province": province,
                "province_code": province_codes[province_key],
                "new_code": targets[0] if mapping == "whole" else "",
                "mapping": mapping,
                "candidates": " ".join(targets) if mapping == "split" else "",
            }

    for province_key, new_wards in crosswalk["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in new_wards.items():
            target = new_code(province_key, ward_key)
            for old_key in old_keys:
                add(old_key, province_key, "whole", [target])
    for province_key, divided in crosswalk["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            targets = list(dict.fromkeys(new_code(province_key, p["newWardKey"]) for p in parts))
            add(old_key, province_key, "whole" if len(targets) == 1 else "split", targets)
    return [rows[code] for code in sorted(rows)]


def legacy_wards_csv(rows: list[dict]) -> str:
    """The crosswalk file's text, exactly as committed."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=LEGACY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_legacy_wards(path: Path = LEGACY_WARDS) -> int:
    rows = build_legacy_wards()
    path.write_text(legacy_wards_csv(rows), "utf-8")
    return len(rows)
