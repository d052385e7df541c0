"""dbt sources follow from the contracts: the committed files are what the generator writes,
each department's staging folder declares its own raw tables, personal columns are tagged."""

import dataclasses
import re
import shutil

import yaml

from ddss.data_contracts import load_departments, source_contracts
from ddss.transform.dbt_sources import generated_sources, sources_path


def test_the_committed_sources_are_what_the_contracts_generate(cfg):
    generated = generated_sources(cfg)
    # One sources file per department, and the code widths macro.
    assert len(generated) == len({c.department.id for c in source_contracts(cfg)}) + 1
    for relative, text in generated.items():
        committed = cfg.dbt_project_dir / relative
        assert committed.exists(), (
            f"missing {relative}: run .venv/bin/python -m ddss.transform.dbt_sources"
        )
        assert committed.read_text("utf-8") == text, (
            f"{relative} differs from its contracts: run .venv/bin/python -m ddss.transform.dbt_sources"
        )


def test_a_contract_change_changes_the_generated_sources(cfg, tmp_path):
    """The test above can fail: a description changed in a contract shows in the sources."""
    contracts = tmp_path / "contracts"
    shutil.copytree(cfg.contracts_dir, contracts)
    path = contracts / "land_registration_payments.yml"
    text = path.read_text("utf-8")
    path.write_text(
        text.replace("en: Ward code after the 2025 reform", "en: Ward (changed)", 1), "utf-8"
    )
    changed = dataclasses.replace(cfg, contracts_dir=contracts)
    department = load_departments(changed)["hanoi_monre"]
    before = generated_sources(cfg)[sources_path(department)]
    after = generated_sources(changed)[sources_path(department)]
    assert before != after and "Ward (changed)" in after


def test_every_raw_column_is_declared_and_personal_ones_are_tagged_pii(cfg):
    for contract in source_contracts(cfg):
        path = cfg.dbt_project_dir / sources_path(contract.department)
        (source,) = yaml.safe_load(path.read_text("utf-8"))["sources"]
        assert source["name"] == f"raw_{contract.department.id}"
        (table,) = [t for t in source["tables"] if t["name"] == contract.raw_table]
        columns = {c["name"]: c for c in table["columns"]}
        assert set(columns) == {c.name for c in contract.columns} | {
            "_source_file",
            "_source_sha256",
            "_source_row",
            "_run_id",
        }
        for column in contract.columns:
            tags = columns[column.name].get("config", {}).get("tags", [])
            assert ("pii" in tags) == column.personal, (contract.id, column.name)
            assert (
                columns[column.name]["description"]
                == f"{column.description_vi} / {column.description_en}"
            )


def test_each_staging_model_reads_only_its_own_departments_raw_tables(cfg):
    staging = cfg.dbt_project_dir / "models" / "staging"
    models = sorted(staging.glob("*/*.sql"))
    assert len(models) == len(source_contracts(cfg))
    for model in models:
        department = model.parent.name
        used = re.findall(r"source\(\s*'([a-z_]+)'", model.read_text("utf-8"))
        assert used, model.name
        assert set(used) <= {f"raw_{department}", "reference"}, (model.name, used)
    # No source file outside a department's folder declares a department's raw tables.
    for path in staging.glob("*.yml"):
        names = {s["name"] for s in yaml.safe_load(path.read_text("utf-8"))["sources"]}
        assert not {n for n in names if n.startswith("raw_")}, path.name
