"""dbt_project.yml agrees with the contracts it restates."""

import yaml

from ddss.data_contracts import load_departments


def _project(cfg):
    return yaml.safe_load((cfg.dbt_project_dir / "dbt_project.yml").read_text("utf-8"))


def test_province_codes_var_is_departments_yml(cfg):
    codes = _project(cfg)["vars"]["province_codes"]
    assert codes == {d.id: d.province_code for d in load_departments(cfg).values()}
    assert all(isinstance(code, str) and len(code) == 2 for code in codes.values())


def test_no_model_hard_codes_a_province(cfg):
    models = cfg.dbt_project_dir / "models"
    for path in models.rglob("*.sql"):
        text = path.read_text("utf-8")
        for code in {d.province_code for d in load_departments(cfg).values()}:
            assert f"ward_lookup('{code}')" not in text, path.name
            assert f"province_code = '{code}'" not in text, path.name
