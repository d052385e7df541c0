"""dbt sources generated from the data contracts: one ``_<department>__sources.yml`` per
department, in that department's staging folder, declaring the raw tables it sends; and
``macros/contract_code_widths.sql``, the width of every code column (``code_width``).

The contract is the one declaration of a dataset; the sources follow from it (columns,
descriptions in both languages, personal columns tagged ``pii``). The files are committed so
dbt and its readers see them; ``tests/transform/test_dbt_sources.py`` fails when a contract
changed and the files were not regenerated:

    .venv/bin/python -m ddss.transform.dbt_sources
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from ddss.data_contracts import Column, Department, SourceContract, source_contracts
from ddss.settings import Settings, load_settings

HEADER = (
    "# Generated from plugins/ddss/contracts by ddss.transform.dbt_sources: do not edit.\n"
    "# After changing a contract: .venv/bin/python -m ddss.transform.dbt_sources\n"
)
# Columns the loader (ddss.ingest.extract) adds to every raw table: the row's lineage.
LINEAGE_COLUMNS = (
    ("_source_file", "Tên tệp đơn vị gửi", "Name of the file the department sent"),
    (
        "_source_sha256",
        "Mã băm SHA-256 của tệp trong kho lưu trữ",
        "SHA-256 of the file in the raw archive",
    ),
    ("_source_row", "Số dòng trong tệp (dòng tiêu đề = 1)", "Row number in the file (header = 1)"),
    ("_run_id", "Lượt chạy đã nạp dòng", "Run that loaded the row"),
)


def source_name(department: Department) -> str:
    """The dbt source of a department's raw tables: ``source('raw_<department>', ...)``."""
    return f"raw_{department.id}"


def sources_path(department: Department) -> Path:
    """Where the department's sources live, relative to the dbt project."""
    return Path("models") / "staging" / department.id / f"_{department.id}__sources.yml"


def _both(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def _column(column: Column) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": column.name,
        "description": _both(column.description_vi, column.description_en),
    }
    if column.personal:
        # Personal data stops in the raw zone; the tag lets `dbt ls --select tag:pii` find it.
        node["config"] = {"tags": ["pii"], "meta": {"personal": True}}
    if column.code_width:
        node.setdefault("config", {}).setdefault("meta", {})["code_width"] = column.code_width
    return node


def _table(contract: SourceContract) -> dict[str, Any]:
    lineage = [{"name": name, "description": _both(vi, en)} for name, vi, en in LINEAGE_COLUMNS]
    return {
        "name": contract.raw_table,
        "description": _both(contract.title_vi, contract.title_en),
        "config": {"meta": {"contract": f"plugins/ddss/contracts/{contract.id}.yml"}},
        "columns": [_column(c) for c in contract.columns] + lineage,
    }


def render_sources(department: Department, contracts: list[SourceContract]) -> str:
    """The YAML of one department's sources, in the order of its contracts."""
    document = {
        "version": 2,
        "sources": [
            {
                "name": source_name(department),
                "description": _both(
                    f"{department.name_vi}: tệp như đã gửi (văn bản, kèm tệp và dòng)",
                    f"{department.name_en}: files as sent (text, with file and row)",
                ),
                "loader": "ddss.ingest.extract",
                "schema": "raw",
                "tables": [_table(c) for c in contracts],
            }
        ],
    }
    text = yaml.dump(document, Dumper=_IndentedDumper, **_YAML_STYLE)
    return HEADER + "\n" + text.replace("version: 2\n", "version: 2\n\n", 1)


CODE_WIDTHS_PATH = Path("macros") / "contract_code_widths.sql"


def render_code_widths(contracts: list[SourceContract]) -> str:
    """The macro giving each dataset's code columns their width (``code_width`` in the
    contract), which ``code_text`` reads: the width is declared once, in the contract."""
    widths = {
        c.id: {column.name: column.code_width for column in c.columns if column.code_width}
        for c in sorted(contracts, key=lambda c: c.id)
    }
    widths = {dataset: columns for dataset, columns in widths.items() if columns}
    lines = [
        "{#- Generated from plugins/ddss/contracts by ddss.transform.dbt_sources: do not edit.",
        "    After changing a contract: .venv/bin/python -m ddss.transform.dbt_sources",
        "    Dataset -> code column -> width (code_width in the contract). -#}",
        "{% macro contract_code_widths() -%}",
        "    {{- return({",
    ]
    for dataset, columns in widths.items():
        inner = ", ".join(f"'{name}': {width}" for name, width in columns.items())
        lines.append(f"        '{dataset}': {{{inner}}},")
    lines += ["    }) -}}", "{%- endmacro %}", ""]
    return "\n".join(lines)


def generated_sources(cfg: Settings | None = None) -> dict[Path, str]:
    """Every department's sources file and the code widths macro (path relative to the dbt
    project -> text)."""
    by_department: dict[str, list[SourceContract]] = defaultdict(list)
    departments: dict[str, Department] = {}
    contracts = source_contracts(cfg)
    for contract in contracts:
        by_department[contract.department.id].append(contract)
        departments[contract.department.id] = contract.department
    files = {
        sources_path(departments[d]): render_sources(departments[d], department_contracts)
        for d, department_contracts in sorted(by_department.items())
    }
    files[CODE_WIDTHS_PATH] = render_code_widths(contracts)
    return files


def write_sources(cfg: Settings | None = None) -> list[Path]:
    """Write every department's sources file into the dbt project; returns the paths."""
    cfg = cfg or load_settings()
    written = []
    for relative, text in generated_sources(cfg).items():
        path = cfg.dbt_project_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as dbt's own examples write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_YAML_STYLE: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "width": 4096,
    "indent": 2,
}


def main() -> None:
    for path in write_sources():
        print(path)


if __name__ == "__main__":
    main()
