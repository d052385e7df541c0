"""Publishing costs what changed (issue 17): a dataset whose rows are those of the current
version keeps its files (hard links), a publication equal to the current one is not made,
and what is rewritten is byte for byte what a full rebuild writes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from conftest import copy_workspace, tree_state
from ddss.data_contracts import load_contracts
from ddss.publish import digests
from ddss.publish.publisher import current_version, list_versions, publish, verify

CHANGED = "cashless_parking_payments"


def _downloads(cfg) -> dict[str, os.stat_result]:
    folder = cfg.public_dir / "versions" / current_version(cfg) / "downloads"
    return {p.name: p.stat() for p in sorted(folder.iterdir())}


def _mart(cfg, dataset: str) -> str:
    return load_contracts(cfg)[dataset].publish_model or ""


def test_the_same_run_published_again_makes_no_new_version(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    before = tree_state(cfg.public_dir)
    again = publish("run-1", cfg)
    assert again.unchanged and again.version == first
    assert "không có gì mới" in again.summary and "nothing new" in again.summary
    manifest = json.loads((cfg.public_dir / "current" / "manifest.json").read_text("utf-8"))
    assert set(again.datasets) == set(manifest["datasets"]) and again.datasets
    assert [v["version"] for v in list_versions(cfg.public_dir)] == [first]
    assert tree_state(cfg.public_dir) == before  # not one byte, not one link moved
    assert not (tmp_path / "public.staging").exists()


def test_only_the_changed_dataset_is_rewritten_the_others_are_linked(published, tmp_path):
    cfg = copy_workspace(published, tmp_path)
    first = current_version(cfg)
    old = _downloads(cfg)
    con = duckdb.connect(str(cfg.warehouse_path))
    model = _mart(cfg, CHANGED)
    con.execute(
        f'delete from marts."{model}" where rowid = (select min(rowid) from marts."{model}")'
    )
    con.close()

    publication = publish("run-2", cfg)

    assert not publication.unchanged and publication.version != first
    assert CHANGED not in publication.reused and len(publication.reused) == len(old) // 3 - 1
    new = _downloads(cfg)
    assert set(new) == set(old)
    for name, stat in new.items():
        if name.startswith(CHANGED + "."):
            assert stat.st_ino != old[name].st_ino
        else:  # the very same file as in the previous version
            assert stat.st_ino == old[name].st_ino, name
    manifests = [
        json.loads((cfg.public_dir / "versions" / v / "manifest.json").read_text("utf-8"))
        for v in (first, publication.version)
    ]
    differs = {
        d
        for d in manifests[1]["datasets"]
        if manifests[0]["datasets"][d] != manifests[1]["datasets"][d]
    }
    assert differs == {CHANGED}
    assert (
        manifests[1]["datasets"][CHANGED]["rows"] == manifests[0]["datasets"][CHANGED]["rows"] - 1
    )
    assert verify(cfg.public_dir / "versions" / first) == []
    assert verify(cfg.public_dir / "current") == []


def test_linked_and_rewritten_files_equal_a_full_rebuild(published, tmp_path):
    """Publish incrementally (one dataset changed) and, from the same warehouse, into an
    empty public/: every download is byte for byte the same."""
    cfg = copy_workspace(published, tmp_path / "incremental")
    con = duckdb.connect(str(cfg.warehouse_path))
    model = _mart(cfg, CHANGED)
    con.execute(
        f'delete from marts."{model}" where rowid = (select max(rowid) from marts."{model}")'
    )
    con.close()
    publish("run-2", cfg)
    full = copy_workspace(cfg, tmp_path / "full")
    for name in ("public", "public.staging"):
        path = tmp_path / "full" / name
        if path.exists():
            shutil.rmtree(path)
    publish("run-2", full)
    ours = cfg.public_dir / "current" / "downloads"
    rebuilt = full.public_dir / "current" / "downloads"
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in rebuilt.iterdir())
    for path in sorted(ours.iterdir()):
        assert path.read_bytes() == (rebuilt / path.name).read_bytes(), path.name


def test_csv_written_by_duckdb_keeps_bom_quoting_and_formula_neutralisation(published, tmp_path):
    """The CSV is DuckDB's (COPY), with what the Arrow writer gave: a BOM, every text value
    quoted, formulas neutralised in the CSV only (Parquet and JSON keep the value)."""
    cfg = copy_workspace(published, tmp_path)
    contract = load_contracts(cfg)[CHANGED]
    text = next(
        c.name
        for c in contract.publish_columns
        if c.type == "string" and c.name not in contract.publish_key
    )
    key = contract.publish_key[0]
    formula = '=HYPERLINK("http://x", "a,b")'
    con = duckdb.connect(str(cfg.warehouse_path))
    first_key = con.execute(
        f'select min("{key}") from marts."{contract.publish_model}"'
    ).fetchall()[0][0]
    con.execute(
        f'update marts."{contract.publish_model}" set "{text}" = ? where "{key}" = ?',
        [formula, first_key],
    )
    con.close()
    publish("run-2", cfg)
    downloads = cfg.public_dir / "current" / "downloads"
    raw = (downloads / f"{CHANGED}.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"')
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [c.name for c in contract.publish_columns] == list(rows[0])
    assert rows[0][text] == "'" + formula
    assert f'"\'{formula.replace(chr(34), chr(34) * 2)}"'.encode() in raw
    assert pq.read_table(downloads / f"{CHANGED}.parquet").column(text)[0].as_py() == formula
    data = json.loads((downloads / f"{CHANGED}.json").read_text("utf-8"))
    assert data[0][text] == formula
    assert len(rows) == len(data) == pq.read_metadata(downloads / f"{CHANGED}.parquet").num_rows


def test_each_file_is_read_once_for_its_checksums_and_never_from_an_earlier_publication(
    published, tmp_path, monkeypatch
):
    """A download's checksum goes into its page, the Data Package, the DCAT and CKAN
    catalogues and the manifest: a publication reads each file once for them. It never
    reuses an earlier publication's checksums: a file of the current version rewritten in
    place with the same size and time, then linked into the next version, is read again and
    the manifest gives the sha256 of the bytes published."""
    cfg = copy_workspace(published, tmp_path)
    reads: list[Path] = []
    real = digests.sha256_of

    def counted(path: Path) -> str:
        reads.append(Path(path))
        return real(path)

    monkeypatch.setattr(digests, "sha256_of", counted)
    second = publish("run-2", cfg)
    assert len(second.reused) == len(second.datasets)  # same rows, every file linked
    read = [str(p).split(f"/{second.version}/", 1)[1] for p in reads]
    assert len(read) == len(set(read))  # once each
    manifest = json.loads((second.path / "manifest.json").read_text("utf-8"))
    assert set(read) == {e["path"] for e in manifest["files"]}

    # The same bytes under another name: rewritten in place, size and times kept.
    tampered = second.path / "downloads" / f"{CHANGED}.json"
    before = tampered.stat()
    data = tampered.read_bytes()
    position = data.index(b'"', 2) + 1  # the first letter of the first key
    tampered.chmod(0o644)
    with tampered.open("r+b") as handle:
        handle.seek(position)
        handle.write(data[position : position + 1].swapcase())
    os.utime(tampered, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert tampered.stat().st_size == before.st_size and tampered.read_bytes() != data

    third = publish("run-3", cfg)
    entries = {
        e["path"]: e for e in json.loads((third.path / "manifest.json").read_text("utf-8"))["files"]
    }
    published_bytes = (third.path / "downloads" / f"{CHANGED}.json").read_bytes()
    assert published_bytes != data
    assert (
        entries[f"downloads/{CHANGED}.json"]["sha256"]
        == hashlib.sha256(published_bytes).hexdigest()
    )
    assert verify(third.path) == []


def test_a_publication_within_the_same_second_gets_the_next_second(tmp_path):
    """Versions are named by the second: a second publication within it (a fast machine, a
    clock set back) is named one second after the newest version, never blocked as a
    duplicate nor sorted before the version it replaces."""
    from ddss.publish.publisher import _after_every_version

    now = datetime(2026, 11, 25, 3, 51, 23, 840_000, tzinfo=UTC)
    assert _after_every_version(tmp_path, now) == now  # nothing published yet
    (tmp_path / "versions" / "20261125T035123Z").mkdir(parents=True)
    (tmp_path / "versions" / "not-a-version").mkdir()
    assert _after_every_version(tmp_path, now) == datetime(2026, 11, 25, 3, 51, 24, tzinfo=UTC)
    (tmp_path / "versions" / "20261125T040000Z").mkdir()  # the clock went back
    assert _after_every_version(tmp_path, now) == datetime(2026, 11, 25, 4, 0, 1, tzinfo=UTC)
    later = datetime(2026, 11, 25, 4, 0, 2, tzinfo=UTC)
    assert _after_every_version(tmp_path, later) == later
