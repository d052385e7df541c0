"""Dataset contracts: one YAML declaration per dataset, the single source of truth.

The loader, the quality gate, the Table Schema, the DCAT entry, the personal-data
allow-list and the portal page are all derived from these objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ddss.settings import Settings, load_settings

# Identifiers that reach SQL must match this; values always go as bound parameters.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLUMN_TYPES = {"string", "integer", "number", "date", "boolean"}


class ContractError(ValueError):
    """A contract file is malformed: names the file and the field."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description_vi: str
    description_en: str
    header: str | None = None
    required: bool = False
    personal: bool = False
    publishable: bool = False
    format: str | None = None
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Department:
    id: str
    name_vi: str
    name_en: str
    landing_folder: str


@dataclass(frozen=True)
class Source:
    kind: str
    pattern: str
    format: str
    encoding: str
    delimiter: str = ","
    # The period a file covers, read from its name (first group), e.g. "(\d{4}-\d{2})".
    period_regex: str | None = None
    # kind http: the department's API path (paginated JSON), fetched into the landing
    # folder as ``<file_prefix>_<period>.json`` before archiving.
    endpoint: str | None = None
    file_prefix: str | None = None
    # Control totals the department sends beside each file: ``<file stem><suffix>`` (JSON
    # with ``row_count`` and ``sums``), the columns it sums.
    control_suffix: str | None = None
    control_sums: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """đủ: every expected unit reports for every period (batch-level when below min_share)."""

    unit_column: str  # in the candidate model
    province_code: str
    period_column: str | None = None
    min_share: float = 1.0


@dataclass(frozen=True)
class Contract:
    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    department: Department
    topic: str
    keywords: tuple[str, ...]
    licence: str
    update_period: str
    deadline_days: int
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    publish_model: str | None
    publish_columns: tuple[Column, ...]
    publish_key: tuple[str, ...]
    source: Source | None = None
    derived_from: tuple[str, ...] = field(default_factory=tuple)
    path: Path | None = None
    first_period: str | None = None
    coverage: Coverage | None = None

    @property
    def published(self) -> bool:
        """Person-level datasets are kept in the warehouse only; their aggregates are published."""
        return bool(self.publish_columns)

    @property
    def raw_table(self) -> str:
        return f"raw_{self.id}"

    @property
    def staging_model(self) -> str:
        return f"stg_{self.department.id}__{self.id}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.personal)

    @property
    def publishable_columns(self) -> tuple[str, ...]:
        """The personal-data allow-list: only these columns may leave the warehouse."""
        return tuple(c.name for c in self.publish_columns)


def _identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise ContractError(f"{where}: '{value}' is not a valid identifier (a-z, 0-9, _)")
    return value


def _text(node: Any, where: str) -> tuple[str, str]:
    if not isinstance(node, dict) or not node.get("vi") or not node.get("en"):
        raise ContractError(f"{where}: needs both 'vi' and 'en' text")
    return str(node["vi"]).strip(), str(node["en"]).strip()


def _column(node: dict[str, Any], where: str) -> Column:
    name = _identifier(node.get("name"), f"{where}.name")
    col_type = node.get("type", "string")
    if col_type not in COLUMN_TYPES:
        raise ContractError(f"{where}.type: '{col_type}' is not one of {sorted(COLUMN_TYPES)}")
    vi, en = _text(node.get("description"), f"{where}.description")
    personal = bool(node.get("personal", False))
    publishable = bool(node.get("publishable", False))
    if personal and publishable:
        raise ContractError(f"{where}: a personal column cannot be publishable")
    enum = node.get("enum")
    return Column(
        name=name,
        type=col_type,
        description_vi=vi,
        description_en=en,
        header=node.get("header"),
        required=bool(node.get("required", False)),
        personal=personal,
        publishable=publishable,
        format=node.get("format"),
        enum=tuple(str(v) for v in enum) if enum else None,
    )


def load_departments(cfg: Settings | None = None) -> dict[str, Department]:
    cfg = cfg or load_settings()
    path = cfg.contracts_dir / "departments.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    departments = {}
    for dep_id, node in data.items():
        vi, en = _text(node.get("name"), f"{path.name}:{dep_id}.name")
        departments[dep_id] = Department(
            id=_identifier(dep_id, f"{path.name}"),
            name_vi=vi,
            name_en=en,
            landing_folder=node.get("landing_folder", dep_id),
        )
    return departments


def load_contract(path: Path, departments: dict[str, Department]) -> Contract:
    where = path.name
    try:
        node = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{where}: not valid YAML: {exc}") from exc
    dataset_id = _identifier(node.get("id"), f"{where}.id")
    if dataset_id != path.stem:
        raise ContractError(f"{where}: id '{dataset_id}' must equal the file name")
    dep_id = node.get("department")
    if dep_id not in departments:
        raise ContractError(f"{where}.department: unknown department '{dep_id}'")
    title_vi, title_en = _text(node.get("title"), f"{where}.title")
    desc_vi, desc_en = _text(node.get("description"), f"{where}.description")
    columns = tuple(
        _column(c, f"{where}.columns[{i}]") for i, c in enumerate(node.get("columns") or [])
    )
    by_name = {c.name: c for c in columns}
    if len(by_name) != len(columns):
        raise ContractError(f"{where}.columns: a column name appears twice")

    publish = node.get("publish") or {}
    publish_columns = []
    for i, item in enumerate(publish.get("columns") or []):
        if isinstance(item, str):
            if item not in by_name:
                raise ContractError(f"{where}.publish.columns[{i}]: '{item}' is not a column")
            source_column = by_name[item]
            if source_column.personal or not source_column.publishable:
                raise ContractError(
                    f"{where}.publish.columns[{i}]: '{item}' is personal or not publishable"
                )
            publish_columns.append(source_column)
        else:
            publish_columns.append(_column(item, f"{where}.publish.columns[{i}]"))
    if node.get("publish", None) is False:
        if not any(c.personal for c in columns):
            raise ContractError(f"{where}: publish: false is for person-level data only")
    elif not publish_columns:
        raise ContractError(f"{where}.publish.columns: at least one column is needed")

    source = None
    if node.get("source"):
        s = node["source"]
        source = Source(
            kind=s.get("kind", "drop_folder"),
            pattern=s["pattern"],
            format=s.get("format", "csv"),
            encoding=s.get("encoding", "utf-8"),
            delimiter=s.get("delimiter", ","),
            period_regex=s.get("period_regex"),
            endpoint=s.get("endpoint"),
            file_prefix=s.get("file_prefix"),
            control_suffix=(s.get("control_totals") or {}).get("suffix"),
            control_sums=tuple((s.get("control_totals") or {}).get("sums") or []),
        )
        if source.kind not in ("drop_folder", "http"):
            raise ContractError(f"{where}.source.kind: '{source.kind}' is not drop_folder or http")
        if source.format not in ("csv", "xlsx", "json"):
            raise ContractError(
                f"{where}.source.format: '{source.format}' is not csv, xlsx or json"
            )
        if source.kind == "http" and not (source.endpoint and source.file_prefix):
            raise ContractError(f"{where}.source: an http source needs endpoint and file_prefix")
        for name in source.control_sums:
            if name not in by_name:
                raise ContractError(f"{where}.source.control_totals.sums: '{name}' is not a column")
        missing_headers = [c.name for c in columns if not c.header]
        if missing_headers:
            raise ContractError(f"{where}: source columns without a header: {missing_headers}")

    key = tuple(node.get("key") or [])
    for k in key:
        if k not in by_name:
            raise ContractError(f"{where}.key: '{k}' is not a column")
    return Contract(
        id=dataset_id,
        title_vi=title_vi,
        title_en=title_en,
        description_vi=desc_vi,
        description_en=desc_en,
        department=departments[dep_id],
        topic=str(node.get("topic", "")),
        keywords=tuple(node.get("keywords") or []),
        licence=str(node.get("licence", "CC-BY-4.0")),
        update_period=str(node.get("update_period", "P1M")),
        deadline_days=int(node.get("deadline_days", 10)),
        key=key,
        columns=columns,
        publish_model=(
            _identifier(publish.get("model"), f"{where}.publish.model") if publish_columns else None
        ),
        publish_columns=tuple(publish_columns),
        publish_key=tuple(publish.get("key") or key),
        source=source,
        derived_from=tuple(node.get("derived_from") or []),
        path=path,
        first_period=str(node["first_period"]) if node.get("first_period") else None,
        coverage=_coverage(node.get("coverage"), f"{where}.coverage"),
    )


def _coverage(node: Any, where: str) -> Coverage | None:
    if not node:
        return None
    share = float(node.get("min_share", 1.0))
    if not 0 < share <= 1:
        raise ContractError(f"{where}.min_share: {share} is not in (0, 1]")
    return Coverage(
        unit_column=_identifier(node.get("unit_column"), f"{where}.unit_column"),
        province_code=str(node.get("province_code")),
        period_column=(
            _identifier(node["period_column"], f"{where}.period_column")
            if node.get("period_column")
            else None
        ),
        min_share=share,
    )


def load_contracts(cfg: Settings | None = None) -> dict[str, Contract]:
    """All contracts, keyed by dataset id, in a stable order (parsed once per change)."""
    cfg = cfg or load_settings()
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(cfg.contracts_dir.glob("*.yml")))
    return dict(_load_contracts(cfg.contracts_dir, stamp))


@lru_cache(maxsize=8)
def _load_contracts(contracts_dir: Path, stamp: tuple) -> tuple[tuple[str, Contract], ...]:
    cfg = replace(load_settings(), contracts_dir=contracts_dir)
    departments = load_departments(cfg)
    contracts = {}
    for path in sorted(cfg.contracts_dir.glob("*.yml")):
        if path.name == "departments.yml":
            continue
        contract = load_contract(path, departments)
        contracts[contract.id] = contract
    return tuple(contracts.items())


def source_contracts(cfg: Settings | None = None) -> list[Contract]:
    return [c for c in load_contracts(cfg).values() if c.source is not None]
