"""Every dbt model is documented next to it (jaffle-shop style): a description, every column
described, published columns described as their contract describes them, personal columns
tagged pii."""

import duckdb
import yaml

from ddss.data_contracts import SourceContract, load_contracts


def _documented(cfg) -> dict[str, dict]:
    """Model name -> its YAML entry, read from the ``_<department>__models.yml`` beside it."""
    entries = {}
    for path in (cfg.dbt_project_dir / "models").glob("*/*/_*__models.yml"):
        for entry in yaml.safe_load(path.read_text("utf-8")).get("models", []):
            entry["_file"] = path
            entries[entry["name"]] = entry
    return entries


def _columns(entry) -> dict[str, dict]:
    return {c["name"]: c for c in entry.get("columns", [])}


def test_every_model_has_an_entry_beside_it_with_every_column_described(cfg):
    documented = _documented(cfg)
    models = sorted((cfg.dbt_project_dir / "models").rglob("*.sql"))
    assert len(models) >= 31  # the 31 of issue 11, and any added since
    for model in models:
        entry = documented.get(model.stem)
        assert entry, f"{model.name} has no entry in a _<department>__models.yml"
        assert entry["_file"] == model.parent / f"_{model.parent.name}__models.yml", model.name
        assert entry.get("description"), model.stem
        assert entry.get("columns"), model.stem
        for name, column in _columns(entry).items():
            assert column.get("description"), (model.stem, name)


def test_every_mart_has_data_tests(cfg):
    for name, entry in _documented(cfg).items():
        if name.startswith("stg_"):
            continue
        tests = list(entry.get("data_tests", []))
        for column in entry["columns"]:
            tests += column.get("data_tests", [])
        assert tests, name


def test_published_columns_are_described_as_their_contract_describes_them(cfg):
    documented = _documented(cfg)
    for contract in load_contracts(cfg).values():
        if not contract.publish_model:
            continue
        columns = _columns(documented[contract.publish_model])
        for column in contract.publish_columns:
            assert column.name in columns, (contract.publish_model, column.name)
            assert (
                columns[column.name]["description"]
                == f"{column.description_vi} / {column.description_en}"
            ), (
                contract.publish_model,
                column.name,
            )


def test_personal_columns_that_reach_staging_are_tagged_pii(cfg):
    documented = _documented(cfg)
    tagged_somewhere = 0
    for contract in load_contracts(cfg).values():
        if not isinstance(contract, SourceContract):
            continue
        columns = _columns(documented[contract.staging_model])
        for name in contract.personal_columns:
            if name in columns:
                assert "pii" in columns[name].get("config", {}).get("tags", []), (
                    contract.staging_model,
                    name,
                )
                tagged_somewhere += 1
    assert tagged_somewhere >= 6  # the police's citizen data, the tax codes, the health note
    # Nothing published carries the tag.
    for contract in load_contracts(cfg).values():
        if contract.publish_model:
            for name, column in _columns(documented[contract.publish_model]).items():
                assert "pii" not in column.get("config", {}).get("tags", []), (
                    contract.publish_model,
                    name,
                )


def test_documented_columns_are_the_built_columns(published):
    """What the YAML says each model holds is what the whole pipeline built."""
    documented = _documented(published)
    con = duckdb.connect(str(published.warehouse_path), read_only=True)
    try:
        built = con.execute(
            "select table_name, list(column_name order by ordinal_position) "
            "from information_schema.columns where table_schema in ('staging', 'marts') group by 1"
        ).fetchall()
    finally:
        con.close()
    assert {name for name, _ in built} == set(documented)
    for name, columns in built:
        assert list(_columns(documented[name])) == columns, name
