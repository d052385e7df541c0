import dataclasses
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


def test_a_comma_in_an_unquoted_name_is_refused_not_cut(cfg, tmp_path):
    """YAML reads `{vi: Sở Lao động, Thương binh ...}` as two keys: the schema refuses the
    extra key instead of letting 'Sở Lao động' stand for the whole name."""
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "departments.yml").write_text(
        "hanoi_labour:\n"
        "  name: {vi: Sở Lao động, Thương binh và Xã hội Hà Nội, en: Labour}\n"
        '  province_code: "01"\n',
        "utf-8",
    )
    with pytest.raises(ContractError, match=r"departments.yml: hanoi_labour.name: .*Thương binh"):
        load_departments(dataclasses.replace(cfg, contracts_dir=contracts))


def test_every_name_and_description_is_read_whole(cfg):
    labour = load_departments(cfg)["hanoi_labour"]
    assert labour.name_vi == "Sở Lao động, Thương binh và Xã hội Hà Nội"
    assert labour.name_en == "Hà Nội Department of Labour, Invalids and Social Affairs"
    payment_type = load_contracts(cfg)["cashless_social_payments"].columns[2]
    assert payment_type.description_vi == "Lương hưu, trợ cấp bảo hiểm xã hội hoặc trợ cấp xã hội"


def test_the_schema_names_the_field_of_a_wrong_type(cfg, tmp_path):
    source = (cfg.contracts_dir / "online_public_services.yml").read_text("utf-8")
    bad = tmp_path / "online_public_services.yml"
    bad.write_text(source.replace("deadline_days: 10", "deadline_days: ten"), "utf-8")
    with pytest.raises(ContractError, match=r"online_public_services.yml: deadline_days: 'ten'"):
        load_contract(bad, load_departments(cfg))


def test_source_contracts_always_have_a_source(cfg):
    from ddss.data_contracts import SourceContract, source_contract, source_contracts

    sent = source_contracts(cfg)
    assert len(sent) == 11 and all(isinstance(c, SourceContract) and c.source for c in sent)
    assert source_contract("land_registration_payments", cfg).source.control_suffix
    with pytest.raises(KeyError):
        source_contract("dossier_indicators", cfg)  # derived: no source
