"""The published portal: the seed's figures exactly, every injected defect quarantined and
absent from public/, no personal data, valid Data Package and DCAT-AP, atomic versions."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, copy_workspace, tree_state
from ddss.errors import PublicationBlocked
from ddss.orchestration.pipeline import run_all
from ddss.publish.publisher import current_version, list_versions, publish, verify

SEED_FIGURES = {
    "received_total": 42_540,
    "received_direct": 27_067,
    "received_online": 14_424,
    "received_postal": 1_049,
    "resolved_total": 40_828,
    "resolved_early": 24_711,
    "resolved_on_time": 16_107,
    "resolved_late": 10,
    "services_total": 1_427,
    "services_level_2": 444,
    "services_level_3": 66,
    "services_level_4": 917,
    "services_level_3_with_dossiers": 21,
    "services_level_4_with_dossiers": 192,
}


def _csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_published_indicators_equal_the_seed_figures_exactly(published):
    rows = {
        r["indicator"]: r
        for r in _csv(published.public_dir / "downloads" / "dossier_indicators.csv")
    }
    assert {k: int(rows[k]["value"]) for k in SEED_FIGURES} == SEED_FIGURES
    assert rows["received_direct"]["share_percent"] == "63.63"
    assert rows["resolved_early"]["share_percent"] == "60.52"
    assert rows["resolved_on_time"]["share_percent"] == "39.45"


def test_published_team_indicators_equal_the_seed_figures(published):
    rows = {
        r["indicator"]: int(r["value"])
        for r in _csv(published.public_dir / "downloads" / "digital_team_indicators.csv")
    }
    assert (rows["teams_total"], rows["members_total"], rows["districts_total"]) == (545, 2_396, 4)


def test_every_injected_defect_is_quarantined_with_its_row_column_and_criterion(published):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    con = duckdb.connect(str(published.warehouse_path), read_only=True)
    found: dict[tuple, set] = {}
    for f, r, c, k in con.execute(
        'select source_file, source_row, "column", criterion from quality.quarantine'
    ).fetchall():
        found.setdefault((f, r), set()).add((c, k))
    con.close()
    assert len(truth["defects"]) > 200
    for defect in truth["defects"]:
        key = (Path(defect["file"]).name, defect["source_row"])
        assert key in found, defect
        # A row may break more than one rule (an extra row with a bad value is also a duplicate).
        assert (defect["column"], defect["criterion"]) in found[key], (defect, found[key])
    # And nothing clean was quarantined.
    assert set(found) == {(Path(d["file"]).name, d["source_row"]) for d in truth["defects"]}


def test_nothing_flagged_reaches_public(published):
    truth = json.loads((published.landing_dir / "truth-manifest.json").read_text("utf-8"))
    published_ids = [
        r["dossier_id"]
        for r in _csv(published.public_dir / "downloads" / "admin_procedure_dossiers.csv")
    ]
    assert len(published_ids) == len(set(published_ids)) == 42_540
    ids = set(published_ids)
    teams = {
        r["team_id"]
        for r in _csv(published.public_dir / "downloads" / "community_digital_teams.csv")
    }
    assert len(teams) == 545
    for defect in truth["defects"]:
        if not defect["file"].startswith(("tuyen_quang_pasc/ho_so", "hanoi_dict/")):
            continue  # the other departments: tests/publish/test_departments.py
        published_keys = teams if defect["file"].endswith(".xlsx") else ids
        if defect["kind"] == "duplicate_row":
            assert defect["key"] in published_keys  # the first occurrence is good data
        else:
            assert defect["key"] not in published_keys, defect


def test_no_personal_value_from_the_feeds_appears_under_public(published):
    personal = set()
    for path in (published.landing_dir / "tuyen_quang_pasc").glob("ho_so_*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in list(csv.reader(handle))[1:]:
                personal.update(v for v in row[4:7] if v)
    from ddss.data_contracts import load_contracts
    from ddss.ingest.extract import read_rows

    teams = load_contracts(published)["community_digital_teams"]
    for _, values, _, _ in read_rows(
        published.landing_dir / "hanoi_dict" / "to_cong_nghe_so_2022-07.xlsx", teams
    ):
        personal.update(v for v in (values["leader_name"], values["leader_phone"]) if v)
    assert len(personal) > 40_000
    text = "\n".join(
        p.read_text("utf-8-sig", errors="replace")
        for p in published.public_dir.rglob("*")
        if p.is_file() and p.suffix != ".parquet"
    )
    tokens = set(text.replace(",", " ").replace('"', " ").split())
    assert not {v for v in personal if " " not in v} & tokens
    names = {v for v in personal if " " in v}
    assert not [n for n in names if n in text]


def test_datapackage_is_valid_frictionless(published):
    from frictionless import validate

    report = validate(published.public_dir / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_catalog_is_dcat_ap_with_mandatory_properties(published):
    from rdflib import Graph, Namespace
    from rdflib.namespace import DCAT, DCTERMS, RDF

    graph = Graph().parse(published.public_dir / "catalog.jsonld", format="json-ld")
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.dataset):
        assert graph.value(catalogs[0], prop) is not None, prop
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    from ddss.data_contracts import load_contracts

    assert len(datasets) == sum(1 for c in load_contracts(published).values() if c.published) == 20
    for dataset in datasets:
        assert {t.language for t in graph.objects(dataset, DCTERMS.title)} == {"vi", "en"}
        assert graph.value(dataset, DCTERMS.description) is not None
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert len(distributions) == 3
        for distribution in distributions:
            assert graph.value(distribution, DCAT.accessURL) is not None
            assert graph.value(distribution, DCAT.downloadURL) is not None
    FOAF = Namespace("http://xmlns.com/foaf/0.1/")
    assert list(graph.subjects(RDF.type, FOAF.Agent))


def test_the_version_is_verified_and_read_only(published):
    version = current_version(published)
    root = published.public_dir / "versions" / version
    assert verify(root) == []
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    rows = {e["path"]: e.get("rows") for e in manifest["files"]}
    assert rows["downloads/admin_procedure_dossiers.csv"] == 42_540
    assert (
        not os.access(root / "downloads" / "admin_procedure_dossiers.csv", os.W_OK)
        or os.geteuid() == 0
    )
    assert oct((root / "index.html").stat().st_mode)[-3:] == "444"


def test_a_new_publication_keeps_the_earlier_versions(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    from datetime import datetime, timedelta

    later = datetime.now(UTC) + timedelta(seconds=5)
    publication = publish("run-2", cfg, now=later)
    assert current_version(cfg) == publication.version != first
    assert {v["version"] for v in list_versions(cfg.public_dir)} == {first, publication.version}
    assert verify(cfg.public_dir / "versions" / first) == []
    assert (cfg.public_dir / "index.html").resolve().parent.name == publication.version
    assert (cfg.public_dir / "latest").resolve().name == publication.version


PUBLISH_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from conftest import settings_for
from pathlib import Path
from ddss.publish.publisher import publish
publish("run-2", settings_for(Path({root!r})))
"""


@pytest.mark.parametrize(
    "point", ["after_first_download", "after_downloads", "before_verify", "before_switch"]
)
def test_a_publisher_killed_mid_write_leaves_public_exactly_as_it_was(published, tmp_path, point):
    cfg = copy_workspace(published, tmp_path)
    before = tree_state(cfg.public_dir)
    script = PUBLISH_SCRIPT.format(tests=str(REPO / "tests"), root=str(tmp_path))
    process = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DDSS_PUBLISH_KILL_AT": point},
        capture_output=True,
        text=True,
    )
    assert process.returncode == -9, process.stderr[-2000:]
    # Even just before the switch the new version is only in the staging directory beside
    # public/: nothing under public/ has changed, not even versions/.
    assert tree_state(cfg.public_dir) == before
    # and the next run cleans up and publishes normally
    publication = publish("run-3", cfg)
    assert not (cfg.public_dir.parent / "public.staging").exists()
    assert [v["run_id"] for v in list_versions(cfg.public_dir)] == ["run-3", "run-1"]
    assert current_version(cfg) == publication.version


def _rerun_held(cfg, datasets: set[str], run_id="run-2") -> dict:
    """Run again; the given datasets must be held back: their files in the new version are
    byte for byte the previous version's, while the others are published anew."""
    previous = current_version(cfg)
    old = {p.name: p.read_bytes() for p in (cfg.public_dir / "current" / "downloads").iterdir()}
    summary = run_all(run_id, cfg)
    assert set(summary.publish["held_back"]) == datasets
    assert current_version(cfg) != previous
    downloads = cfg.public_dir / "current" / "downloads"
    for dataset in datasets:
        for fmt in ("csv", "parquet", "json"):
            assert (downloads / f"{dataset}.{fmt}").read_bytes() == old[f"{dataset}.{fmt}"]
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))["datasets"]
    for dataset in datasets:
        assert quality[dataset]["held_back"]["since_version"] == previous
    page = (cfg.public_dir / "datasets" / f"{sorted(datasets)[0]}.html").read_text("utf-8")
    assert "chưa được công bố" in page and previous in page
    assert verify(cfg.public_dir / "current") == []
    return quality


def test_a_batch_level_failure_holds_back_its_dataset_and_publishes_the_others(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    bad = cfg.landing_dir / "tuyen_quang_pasc" / "ho_so_2022-08.csv"
    bad.write_text("Mã hồ sơ,Mã thủ tục\r\n000.00.15.H61-220801-0001,1.001007\r\n", "utf-8")
    quality = _rerun_held(cfg, {"admin_procedure_dossiers", "dossier_indicators"})
    reasons = quality["admin_procedure_dossiers"]["held_back"]["reasons"]
    assert any(
        r["file"] == "ho_so_2022-08.csv" and "Hình thức nộp" in r["message_vi"] for r in reasons
    )


def test_when_nothing_new_can_be_published_public_stays_exactly_as_it_was(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    before = tree_state(cfg.public_dir)
    con = duckdb.connect(str(cfg.warehouse_path))
    con.execute("update quality.validation_runs set blocking_failures = 1")  # every dataset fails
    con.close()
    with pytest.raises(PublicationBlocked) as error:
        publish("run-2", cfg)
    assert "lỗi mức lô" in str(error.value.problems[0])
    assert tree_state(cfg.public_dir) == before


def test_personal_data_typed_into_a_public_column_holds_back_that_dataset(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    path = cfg.landing_dir / "tuyen_quang_pasc" / "dich_vu_cong_2022-07.csv"
    text = path.read_text("utf-8").splitlines(keepends=True)
    cells = text[5].split(",")
    cells[1] = "Liên hệ anh Tuấn 0912345678"
    text[5] = ",".join(cells)
    path.write_text("".join(text), "utf-8")
    _rerun_held(cfg, {"online_public_services", "dossier_indicators"})
    leaked = [
        p for p in cfg.public_dir.rglob("*") if p.is_file() and b"0912345678" in p.read_bytes()
    ]
    assert leaked == []


def test_the_fix_loop_a_corrected_file_leaves_quarantine_and_is_published(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    truth = json.loads((cfg.landing_dir / "truth-manifest.json").read_text("utf-8"))
    name = "tuyen_quang_pasc/ho_so_2022-04.csv"
    defects = [d for d in truth["defects"] if d["file"] == name]
    path = cfg.landing_dir / name
    lines = path.read_text("utf-8").splitlines(keepends=True)
    # The steward fixes the unknown commune code in place and deletes every other bad row.
    fixed_row = next(d for d in defects if d["kind"] == "unknown_commune_code")
    good_commune = lines[1].split(",")[3]
    kept = []
    for number, line in enumerate(lines, start=1):
        if number == fixed_row["source_row"]:
            kept.append(line.replace(",99999,", f",{good_commune},"))
        elif number not in {d["source_row"] for d in defects}:
            kept.append(line)
    path.write_text("".join(kept), "utf-8")
    run_all("run-2", cfg)

    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    left = con.execute(
        "select count(*) from quality.quarantine where source_file = 'ho_so_2022-04.csv'"
    ).fetchall()
    total = con.execute(
        "select count(distinct (source_file, source_row)) from quality.quarantine"
    ).fetchall()
    con.close()
    assert left == [(0,)]
    rows = {(d["file"], d["source_row"]) for d in truth["defects"] if d["file"] != name}
    assert total == [(len(rows),)]
    ids = {
        r["dossier_id"] for r in _csv(cfg.public_dir / "downloads" / "admin_procedure_dossiers.csv")
    }
    assert fixed_row["key"] in ids  # the corrected dossier is published now
    quality = json.loads((cfg.public_dir / "quality.json").read_text("utf-8"))
    history = quality["datasets"]["admin_procedure_dossiers"]["history"]
    card = quality["departments"]["tuyen_quang_pasc"]
    assert len(card["history"]) == 2
    assert card["history"][-1]["scores"]["overall"] >= card["history"][0]["scores"]["overall"]
    dossier_defects = [
        d for d in truth["defects"] if d["file"].startswith("tuyen_quang_pasc/ho_so_")
    ]
    assert [h["rows_quarantined"] for h in history][-2:] == [
        len(dossier_defects),
        len(dossier_defects) - len(defects),
    ]
