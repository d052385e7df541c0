"""The real DAG, run by real Airflow 3 (`airflow dags test`, SQLite metadata in a temporary
AIRFLOW_HOME), from the landing folder to public/."""

import csv
import io
import json
import shutil
from datetime import UTC, datetime

import pytest

from conftest import settings_for
from ddss.orchestration import airflow_env

pytestmark = pytest.mark.integration


def test_landing_to_public_through_airflow(tmp_path, feeds):
    cfg = settings_for(tmp_path)
    shutil.copytree(feeds, cfg.landing_dir)
    env = airflow_env.environment(cfg, tmp_path / "airflow")
    airflow_env.init(env)
    state, output = airflow_env.department_test(
        "tuyen_quang_pasc", datetime(2022, 8, 1, tzinfo=UTC).isoformat(), env
    )
    assert state == "success", output[-5000:]

    for name in ("index.html", "datapackage.json", "catalog.jsonld"):
        assert (cfg.public_dir / name).is_file()
    text = (
        (cfg.public_dir / "downloads" / "dossier_indicators.csv").read_bytes().decode("utf-8-sig")
    )
    figures = {r["indicator"]: int(r["value"]) for r in csv.DictReader(io.StringIO(text))}
    assert figures["received_total"] == 42_540
    assert figures["resolved_total"] == 40_828
    assert figures["services_level_4_with_dossiers"] == 192

    reports = list(cfg.reports_dir.glob("*/tuyen_quang_pasc/index.html"))
    assert len(reports) == 1
    html = reports[0].read_text("utf-8")
    assert "Báo cáo chất lượng dữ liệu" in html and "ho_so_2022-03.csv" in html
    rows = list(
        csv.DictReader(
            io.StringIO(
                (reports[0].parent / "admin_procedure_dossiers_can_sua.csv").read_text("utf-8-sig")
            )
        )
    )
    truth = json.loads((cfg.landing_dir / "truth-manifest.json").read_text("utf-8"))
    assert len(rows) == len(
        [d for d in truth["defects"] if d["file"].startswith("tuyen_quang_pasc/ho_so_")]
    )
    assert str(reports[0]) in output  # the run's log says where the steward report is
    # The asset-scheduled transform DAG judged sống as of the run's logical date.
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))["datasets"]
    assert quality["admin_procedure_dossiers"]["freshness"]["as_of"] == "2022-08-01"

    # A second department, whose data comes from its HTTP API (served on 127.0.0.1 by the
    # session's feeds fixture), through its own DAG in the same Airflow home.
    state, output = airflow_env.department_test(
        "hanoi_tax", datetime(2022, 8, 11, tzinfo=UTC).isoformat(), env
    )
    assert state == "success", output[-5000:]
    text = (cfg.public_dir / "downloads" / "tax_indicators.csv").read_bytes().decode("utf-8-sig")
    tax = {r["indicator"]: float(r["value"]) for r in csv.DictReader(io.StringIO(text))}
    assert tax["etax_mobile_accounts"] == 61_917 and tax["enterprises_e_filing_percent"] == 99.5
    assert (cfg.public_dir / "downloads" / "dossier_indicators.csv").is_file()  # still published
    assert (
        cfg.landing_dir / "hanoi_tax" / "nguoi_nop_thue_2022-07.json"
    ).is_file()  # fetched from the API
