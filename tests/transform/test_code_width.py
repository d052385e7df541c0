"""Codes of fixed width (issue 18 item 4): the contract's code_width drives the padding of
every such column in staging the same way, and a padded code is a warning, not a failure."""

from __future__ import annotations

import logging

import duckdb
import pytest
import yaml

from ddss.data_contracts import ContractError, load_contract, load_departments, source_contracts
from ddss.ingest.extract import extract
from ddss.transform.dbt_runner import build_staging, compile_inline


def test_every_code_column_with_a_width_is_padded_and_flagged_in_staging(cfg):
    columns = 0
    for contract in source_contracts(cfg):
        model = next(cfg.dbt_project_dir.glob(f"models/staging/*/{contract.staging_model}.sql"))
        sql = model.read_text("utf-8")
        docs = yaml.safe_load(
            (model.parent / f"_{model.parent.name}__models.yml").read_text("utf-8")
        )
        documented = next(m for m in docs["models"] if m["name"] == contract.staging_model)
        flags = {c["name"]: c for c in documented["columns"]}
        for column in contract.columns:
            if not column.code_width:
                continue
            columns += 1
            padded = (f"code_text('{column.name}')", f"ward_code_text('{column.name}')")
            assert any(p in sql for p in padded), (contract.id, column.name)
            assert f"code_padded('{column.name}') }}}} as {column.name}_padded" in sql
            assert "no_code_padded" in flags[f"{column.name}_padded"]["data_tests"]
    assert columns >= 9  # every ward and commune code of the nine departments' feeds


def test_code_text_pads_digits_shorter_than_the_width_and_nothing_else(tmp_path):
    from ddss.settings import workspace_settings

    cases = [
        ("70", "00070", True),
        ("00070", "00070", False),
        ("2524", "02524", True),
        ("１２", "00012", True),  # full-width digits are digits once normalised
        (" 70 ", "00070", True),
        ("123456", "123456", False),  # longer: left as sent for the ward check to name
        ("7O", "7O", False),  # a letter O: not a code of digits
        ("", None, None),
        (None, None, None),
    ]
    values = ", ".join("(null)" if v is None else f"('{v}')" for v, _, _ in cases)
    sql = compile_inline(
        f"select v, {{{{ code_text('v', 5) }}}}, {{{{ code_padded('v', 5) }}}}"
        f" from (values {values}) as t(v)",
        workspace_settings(tmp_path),
    )
    con = duckdb.connect()
    got = {v: (text, padded) for v, text, padded in con.execute(sql).fetchall()}
    assert got == {v: (text, padded) for v, text, padded in cases}


def test_code_width_must_be_a_positive_integer_on_a_text_column(cfg, tmp_path):
    departments = load_departments(cfg)
    source = (cfg.contracts_dir / "admin_procedure_dossiers.yml").read_text("utf-8")
    for wrong, message in [
        ("code_width: 0", "code_width"),
        ("code_width: '5'", "code_width"),
    ]:
        path = tmp_path / "admin_procedure_dossiers.yml"
        path.write_text(source.replace("code_width: 5", wrong, 1), "utf-8")
        with pytest.raises(ContractError, match=message):
            load_contract(path, departments)
    path.write_text(
        source.replace("type: date, format", "type: date, code_width: 8, format", 1), "utf-8"
    )
    with pytest.raises(ContractError, match="code_width is for codes read as text"):
        load_contract(path, departments)
    assert (
        load_contract(cfg.contracts_dir / "admin_procedure_dossiers.yml", departments)
        .columns[3]
        .code_width
        == 5
    )


@pytest.mark.slow
def test_codes_sent_without_their_zeros_are_padded_with_a_warning_naming_how_many(landed, caplog):
    """The Tuyên Quang centre's May file with its commune codes as Excel leaves them (02524
    -> 2524): staging pads them back, keeps every row, and warns how many were padded."""
    department = landed.landing_dir / "tuyen_quang_pasc"
    for other in department.glob("ho_so_*.csv"):
        if other.name != "ho_so_2022-05.csv":
            other.unlink()
    path = department / "ho_so_2022-05.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    commune = header.index("Mã xã")
    stripped = 0
    edited = [lines[0]]
    sent = []
    for line in lines[1:]:
        cells = line.rstrip("\r\n").split(",")
        if len(cells) == len(header):
            sent.append(cells[commune])
        if len(cells) == len(header) and cells[commune].startswith("0"):
            cells[commune] = cells[commune].lstrip("0")
            stripped += 1
            line = ",".join(cells) + "\n"
        edited.append(line)
    path.write_text("".join(edited), "utf-8")
    extract("run-1", landed, ["online_public_services", "admin_procedure_dossiers"])
    with caplog.at_level(logging.WARNING, logger="ddss.transform.dbt_runner"):
        build_staging(landed, "tuyen_quang_pasc")  # a warning, not a failure
    warnings = [r.getMessage() for r in caplog.records if "leading zeros" in r.getMessage()]
    assert (
        len(warnings) == 1 and f" {stripped} codes sent without their leading zeros" in warnings[0]
    )
    assert "stg_tuyen_quang_pasc__admin_procedure_dossiers_commune_code" in warnings[0]
    con = duckdb.connect(str(landed.warehouse_path), read_only=True)
    padded, unknown = con.execute(
        "select count(*) filter (where commune_code_padded),"
        " count(*) filter (where not commune_code_known)"
        " from staging.stg_tuyen_quang_pasc__admin_procedure_dossiers"
    ).fetchall()[0]
    wards = {
        code
        for (code,) in con.execute(
            "select ward_code from raw.ref_wards where province_code = '08'"
        ).fetchall()
    }
    con.close()
    assert stripped > 1000 and padded == stripped
    # Unknown: only the codes that were unknown as sent with their zeros (planted ones).
    assert unknown == sum(code.strip() not in wards for code in sent if code.strip())
