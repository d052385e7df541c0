"""Contracts are read with libyaml's C loader (``CSafeLoader``) when PyYAML has it: the same
contracts as the pure-Python ``SafeLoader``, much faster (every ddss command reads them)."""

from __future__ import annotations

import shutil

import pytest
import yaml

import ddss.data_contracts as data_contracts
from ddss.data_contracts import ContractError, load_contracts, load_departments


def _read_with(loader, monkeypatch, cfg):
    monkeypatch.setattr(data_contracts, "YAML_LOADER", loader)
    data_contracts._load_contracts.cache_clear()
    try:
        return load_departments(cfg), load_contracts(cfg)
    finally:
        data_contracts._load_contracts.cache_clear()


def test_the_c_loader_is_used_and_reads_the_same_contracts_as_the_python_one(cfg, monkeypatch):
    assert hasattr(yaml, "CSafeLoader"), "PyYAML without libyaml: contracts read slowly"
    assert data_contracts.YAML_LOADER is yaml.CSafeLoader
    python = _read_with(yaml.SafeLoader, monkeypatch, cfg)
    c = _read_with(yaml.CSafeLoader, monkeypatch, cfg)
    assert len(python[1]) >= 10 and python[0]
    assert c == python  # frozen dataclasses: every field of every column compared
    assert repr(c) == repr(python)


def test_the_c_loader_stays_safe_and_names_the_file_of_bad_yaml(cfg, tmp_path, monkeypatch):
    import dataclasses

    folder = tmp_path / "contracts"
    shutil.copytree(cfg.contracts_dir, folder)
    workspace = dataclasses.replace(cfg, contracts_dir=folder)
    path = folder / "admin_procedure_dossiers.yml"
    text = path.read_text("utf-8")
    monkeypatch.setattr(data_contracts, "YAML_LOADER", yaml.CSafeLoader)
    data_contracts._load_contracts.cache_clear()
    path.write_text(
        text.replace("licence: CC-BY-4.0", "licence: !!python/object/apply:os.getcwd []"), "utf-8"
    )
    with pytest.raises(ContractError, match="admin_procedure_dossiers.yml: not valid YAML"):
        load_contracts(workspace)
    path.write_text(text.replace("key: [dossier_id]", "key: [dossier_id"), "utf-8")
    with pytest.raises(
        ContractError, match=r"(?s)admin_procedure_dossiers.yml: not valid YAML.*line 3"
    ):
        load_contracts(workspace)
    data_contracts._load_contracts.cache_clear()
