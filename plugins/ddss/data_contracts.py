"""Dataset contracts: one YAML declaration per dataset, the single source of truth.

The loader, the quality gate, the Table Schema, the DCAT entry, the personal-data
allow-list and the portal page are all derived from these objects.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ddss.settings import Settings, load_settings

# Identifiers that reach SQL must match this; values always go as bound parameters.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLUMN_TYPES = {"string", "integer", "number", "date", "boolean"}
SCHEMAS = Path(__file__).resolve().parent / "schemas"


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
    # How an integer or number cell is written: plain (2920000) or vi (2.920.000, 2920000).
    number_format: str = "plain"
    # A code of fixed width whose leading zeros are part of it (ward 00070): staging pads a
    # shorter all-digit code (what Excel leaves of it) to this width and warns how many.
    code_width: int | None = None


@dataclass(frozen=True)
class Department:
    id: str
    name_vi: str
    name_en: str
    landing_folder: str
    province_code: str


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

    def period_of(self, file_name: str) -> str | None:
        """The period a file covers, read from its name with ``period_regex``."""
        if not self.period_regex:
            return None
        match = re.search(self.period_regex, file_name)
        return match.group(1) if match else None

    def matches(self, file_name: str) -> bool:
        """Is this a data file of the source (by its name)?"""
        return fnmatch.fnmatch(file_name, self.pattern)

    def control_file_for(self, data_file: str) -> str | None:
        """The control-totals file that belongs beside ``data_file``: its stem + suffix."""
        if not self.control_suffix:
            return None
        return data_file.rsplit(".", 1)[0] + self.control_suffix

    def data_file_for(self, control_file: str) -> str | None:
        """The data file a control-totals file stands for; None if it is not one of ours."""
        if not self.control_suffix or not control_file.endswith(self.control_suffix):
            return None
        data_file = control_file.removesuffix(self.control_suffix) + Path(self.pattern).suffix
        return data_file if self.matches(data_file) else None


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


@dataclass(frozen=True)
class SourceContract(Contract):
    """A dataset a department sends (drop folder or HTTP API): its source is always set.
    Derived datasets (indicators, aggregates) are plain ``Contract`` objects."""

    source: Source


def _text(node: dict[str, str]) -> tuple[str, str]:
    return node["vi"].strip(), node["en"].strip()


# libyaml's C loader when PyYAML was built with it (the wheels are): the same safe subset of
# YAML as yaml.SafeLoader, parsed ten times faster (load_contracts, paid by every ddss
# command: 0.17 s -> 0.05 s). tests/test_contract_loader.py checks both give the same contracts.
YAML_LOADER: type[yaml.SafeLoader] | type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=4)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _validate(node: Any, schema: str, where: str) -> None:
    """Shape and types from the JSON Schema; the first error names the file and the field."""
    errors = sorted(_validator(schema).iter_errors(node), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        field_path = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ContractError(f"{where}: {field_path}: {error.message}{more}")


def _column(node: dict[str, Any], where: str) -> Column:
    if node.get("personal") and node.get("publishable"):
        raise ContractError(f"{where}: a personal column cannot be publishable")
    if node.get("code_width") and node["type"] != "string":
        raise ContractError(f"{where}: code_width is for codes read as text (type string)")
    vi, en = _text(node["description"])
    enum = node.get("enum")
    return Column(
        name=node["name"],
        type=node["type"],
        description_vi=vi,
        description_en=en,
        header=node.get("header"),
        required=bool(node.get("required", False)),
        personal=bool(node.get("personal", False)),
        publishable=bool(node.get("publishable", False)),
        format=node.get("format"),
        enum=tuple(str(v) for v in enum) if enum else None,
        number_format=node.get("number_format", "plain"),
        code_width=node.get("code_width"),
    )


def load_departments(cfg: Settings | None = None) -> dict[str, Department]:
    cfg = cfg or load_settings()
    path = cfg.contracts_dir / "departments.yml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    _validate(data, "departments.schema.json", path.name)
    departments = {}
    for dep_id, node in data.items():
        vi, en = _text(node["name"])
        departments[dep_id] = Department(
            id=dep_id,
            name_vi=vi,
            name_en=en,
            landing_folder=node.get("landing_folder", dep_id),
            province_code=node["province_code"],
        )
    return departments


def _publish_columns(
    node: dict[str, Any], by_name: dict[str, Column], where: str
) -> tuple[Column, ...]:
    publish = node["publish"]
    if publish is False:
        if not any(c.personal for c in by_name.values()):
            raise ContractError(f"{where}: publish: false is for person-level data only")
        return ()
    columns = []
    for i, item in enumerate(publish["columns"]):
        if isinstance(item, dict):
            columns.append(_column(item, f"{where}.publish.columns[{i}]"))
            continue
        if item not in by_name:
            raise ContractError(f"{where}.publish.columns[{i}]: '{item}' is not a column")
        if by_name[item].personal or not by_name[item].publishable:
            raise ContractError(
                f"{where}.publish.columns[{i}]: '{item}' is personal or not publishable"
            )
        columns.append(by_name[item])
    return tuple(columns)


def _source(node: dict[str, Any] | None, by_name: dict[str, Column], where: str) -> Source | None:
    if not node:
        return None
    controls = node.get("control_totals") or {}
    source = Source(
        kind=node["kind"],
        pattern=node["pattern"],
        format=node["format"],
        encoding=node.get("encoding", "utf-8"),
        delimiter=node.get("delimiter", ","),
        period_regex=node.get("period_regex"),
        endpoint=node.get("endpoint"),
        file_prefix=node.get("file_prefix"),
        control_suffix=controls.get("suffix"),
        control_sums=tuple(controls.get("sums") or []),
    )
    for name in source.control_sums:
        if name not in by_name:
            raise ContractError(f"{where}.source.control_totals.sums: '{name}' is not a column")
    missing_headers = [c.name for c in by_name.values() if not c.header]
    if missing_headers:
        raise ContractError(f"{where}: source columns without a header: {missing_headers}")
    return source


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path.name}: not valid YAML: {exc}") from exc


def load_contract(path: Path, departments: dict[str, Department]) -> Contract:
    """One contract: its shape checked by ``schemas/contract.schema.json``, then the rules
    that relate one field to another."""
    where = path.name
    node = _read_yaml(path)
    _validate(node, "contract.schema.json", where)
    if node["id"] != path.stem:
        raise ContractError(f"{where}: id '{node['id']}' must equal the file name")
    if node["department"] not in departments:
        raise ContractError(f"{where}.department: unknown department '{node['department']}'")
    columns = tuple(
        _column(c, f"{where}.columns[{i}]") for i, c in enumerate(node.get("columns") or [])
    )
    by_name = {c.name: c for c in columns}
    if len(by_name) != len(columns):
        raise ContractError(f"{where}.columns: a column name appears twice")
    key = tuple(node.get("key") or [])
    for k in key:
        if k not in by_name:
            raise ContractError(f"{where}.key: '{k}' is not a column")
    publish_columns = _publish_columns(node, by_name, where)
    publish = node["publish"] or {}
    source = _source(node.get("source"), by_name, where)
    title_vi, title_en = _text(node["title"])
    desc_vi, desc_en = _text(node["description"])
    fields: dict[str, Any] = dict(
        id=node["id"],
        title_vi=title_vi,
        title_en=title_en,
        description_vi=desc_vi,
        description_en=desc_en,
        department=departments[node["department"]],
        topic=node["topic"],
        keywords=tuple(node["keywords"]),
        licence=node["licence"],
        update_period=node["update_period"],
        deadline_days=node["deadline_days"],
        key=key,
        columns=columns,
        publish_model=publish.get("model"),
        publish_columns=publish_columns,
        publish_key=tuple(publish.get("key") or key),
        derived_from=tuple(node.get("derived_from") or []),
        path=path,
        first_period=node.get("first_period"),
        coverage=_coverage(node.get("coverage")),
    )
    if source is None:
        return Contract(**fields)
    return SourceContract(**fields, source=source)


def _coverage(node: dict[str, Any] | None) -> Coverage | None:
    if not node:
        return None
    return Coverage(
        unit_column=node["unit_column"],
        province_code=node["province_code"],
        period_column=node.get("period_column"),
        min_share=float(node.get("min_share", 1.0)),
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


def source_contracts(cfg: Settings | None = None) -> list[SourceContract]:
    """The datasets departments send, in a stable order."""
    return [c for c in load_contracts(cfg).values() if isinstance(c, SourceContract)]


def source_contract(dataset: str, cfg: Settings | None = None) -> SourceContract:
    """The contract of a dataset departments send; ``KeyError`` for any other id."""
    contract = load_contracts(cfg).get(dataset)
    if not isinstance(contract, SourceContract):
        raise KeyError(dataset)
    return contract
