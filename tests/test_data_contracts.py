from pathlib import Path

import pytest

from ddss.data_contracts import ContractError, load_contract, load_contracts, load_departments


def test_every_contract_loads_with_bilingual_descriptions(cfg):
    contracts = load_contracts(cfg)
    assert {"admin_procedure_dossiers", "online_public_services", "dossier_indicators"} <= set(
        contracts
    )
    for contract in contracts.values():
        assert contract.title_vi and contract.title_en
        for column in contract.publish_columns:
            assert column.description_vi and column.description_en


def test_personal_columns_are_never_on_the_allow_list(cfg):
    for contract in load_contracts(cfg).values():
        assert not set(contract.personal_columns) & set(contract.publishable_columns), contract.id
    dossiers = load_contracts(cfg)["admin_procedure_dossiers"]
    assert {"applicant_name", "applicant_id_number", "applicant_phone", "note"} <= set(
        dossiers.personal_columns
    )


def test_a_contract_that_publishes_a_personal_column_is_refused(cfg, tmp_path):
    source = (cfg.contracts_dir / "admin_procedure_dossiers.yml").read_text("utf-8")
    bad = tmp_path / "admin_procedure_dossiers.yml"
    bad.write_text(
        source.replace("    - dossier_id\n", "    - dossier_id\n    - applicant_phone\n"), "utf-8"
    )
    with pytest.raises(ContractError, match="applicant_phone"):
        load_contract(bad, load_departments(cfg))


def test_a_contract_whose_id_differs_from_its_file_name_is_refused(cfg, tmp_path):
    source = (cfg.contracts_dir / "online_public_services.yml").read_text("utf-8")
    bad = Path(tmp_path / "other_name.yml")
    bad.write_text(source, "utf-8")
    with pytest.raises(ContractError, match="must equal the file name"):
        load_contract(bad, load_departments(cfg))
