"""The personal-data scan streams: files are read in chunks, Parquet files as rows in DuckDB,
and the raw zone's values are joined in DuckDB. Nothing it found when it read whole files
may be missed: not a value cut by a chunk border, not a value only a Parquet file holds."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ddss.publish import privacy
from ddss.publish.digests import Digests
from ddss.publish.privacy import scan_bytes, scan_text, scan_tree

# Planted values among codes, checksums and street names that must stay clean, on many lines.
PLANTED = (
    "ma_ho_so,ghi_chu\n"
    + "".join(
        f'"000.00.15.H61-2201{i:02d}-0001","đường Lê Duẩn, phố Trần Hưng Đạo {i}"\n'
        for i in range(40)
    )
    + '"x","Liên hệ anh Nguyễn Văn An 0912345678"\n'
    + '"y","CCCD 008203291999; thư ten.nguoi@example.vn"\n'
    + '"z","mã H61-0912345678 và sha 0123456789012345678901234567890123456789"\n'
    + '"w","số đã thấy: 55512345678"\n'
    + "".join(f'"{i}","Phường Hoàn Kiếm, Thành phố Hà Nội"\n' for i in range(40))
)


def _key(hits: list[privacy.Hit]) -> list[tuple]:
    return sorted((h.file, h.line, h.kind, h.excerpt) for h in hits)


def test_the_planted_text_has_exactly_the_planted_hits():
    hits = scan_text(PLANTED, "x.csv", known={"55512345678"})
    assert sorted(h.kind for h in hits) == [
        "citizen_id",
        "email",
        "known_personal_value",
        "personal_name",
        "phone",
    ]
    assert {h.line for h in hits} == {42, 43, 45}


def test_a_value_split_across_a_chunk_border_is_found_once(monkeypatch):
    """Every chunk size, from one byte up, so that each planted value is cut at every
    position: the hits (file, line, kind, masked value) are those of one whole read."""
    monkeypatch.setattr(privacy, "TAIL", 96)  # small windows: many borders in the text
    monkeypatch.setattr(privacy, "LOOKBACK", 48)
    data = PLANTED.encode("utf-8")
    expected = _key(scan_bytes([data], "x.csv"))
    assert len(expected) == 4
    for size in (*range(1, 40), 57, 64, 100, 127, 128, 129, 200, 333, 1000):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        tokens: list[tuple[str, int]] = []
        assert _key(scan_bytes(chunks, "x.csv", tokens=tokens)) == expected, size
        assert ("55512345678", 45) in tokens, size


def test_a_file_larger_than_a_chunk_is_scanned_across_the_border(tmp_path):
    """A real file, read with the real chunk size: a citizen ID cut by the first border,
    an e-mail cut by the second, each reported once with its line."""
    line = b'"000.00.15.H61-220101-0001","2022-01-01","direct"\n'
    head = line * (privacy.CHUNK // len(line))
    head += b"x" * (privacy.CHUNK - len(head) - 5) + b",008203291999,\n"
    middle = line * ((privacy.CHUNK - 5) // len(line))
    tail = b"a" * (2 * privacy.CHUNK - len(head) - len(middle) - 3) + b" ten.nguoi@example.vn\n"
    (tmp_path / "big.csv").write_bytes(head + middle + tail)
    hits = scan_tree(tmp_path)
    lines_before_id = head.count(b"\n")  # the ID is on the last line of ``head``
    assert [(h.kind, h.line) for h in hits] == [
        ("citizen_id", lines_before_id),
        ("email", lines_before_id + middle.count(b"\n") + 1),
    ]


def test_a_value_only_inside_parquet_is_found(tmp_path):
    """Parquet bytes are encoded and compressed: the scan reads its rows (the scan that
    read whole files skipped Parquet). A phone number in a text column, one in an integer
    column, an e-mail, a name and a value seen in the raw zone, none of them anywhere else
    in the publication."""
    table = pa.table(
        {
            "code": ["A-1", "A-2", "A-3", "A-4", "A-5"],
            "note": ["", "Liên hệ 0912345678", "", "gửi ten.nguoi@example.vn", "Trần Thị Lan"],
            "number": pa.array([1, 2, 84912345678, 4, 5], pa.int64()),
            "other": ["x", "x", "x", "55512345678", "x"],
        }
    )
    pq.write_table(table, tmp_path / "downloads.parquet", compression="zstd")
    (tmp_path / "page.html").write_text("<p>Trang dữ liệu</p>", "utf-8")
    hits = scan_tree(tmp_path, {"55512345678"})
    assert _key(hits) == [
        ("downloads.parquet", 2, "phone", "09******78"),
        ("downloads.parquet", 3, "phone", "84*******78"),
        ("downloads.parquet", 4, "email", "te****************vn"),
        ("downloads.parquet", 4, "known_personal_value", "55*******78"),
        ("downloads.parquet", 5, "personal_name", "Tr********an"),
    ]


def test_parquet_column_names_are_scanned(tmp_path):
    pq.write_table(pa.table({"Nguyễn Văn An": [1]}), tmp_path / "x.parquet")
    assert [h.kind for h in scan_tree(tmp_path)] == ["personal_name"]


def test_the_raw_zone_values_come_from_a_duckdb_query(tmp_path):
    """In a publication the known values are a query on the warehouse, never a Python set."""
    con = duckdb.connect()
    con.execute("create table raw_people as select '0123456789012' as phone union all select 'x'")
    (tmp_path / "a.json").write_text('{"x": "0123456789012", "y": "01234567890123"}', "utf-8")
    hits = scan_tree(tmp_path, con=con, known_sql="select phone as value from raw_people")
    assert [(h.file, h.line, h.kind) for h in hits] == [("a.json", 1, "known_personal_value")]
    # The scan's own tables are gone: the connection is left as it was.
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert tables == {"raw_people"}


def test_runs_of_digits_of_many_files_are_joined_in_batches_none_lost(tmp_path, monkeypatch):
    """The digits of small files go to DuckDB together (one insert per file cost more than
    the scan): a batch crossing files, and the last one, lose no value and keep each file."""
    monkeypatch.setattr(privacy.Scanner, "TOKEN_BATCH", 3)
    con = duckdb.connect()
    con.execute("create table raw_people as select '0123456789012' as phone")
    for i in range(5):
        lines = [f"{i:02d}00000000{n}" for n in range(i)]  # 0 to 4 runs of digits per file
        if i in (1, 4):  # a known value in a file flushed mid-way and in the last one
            lines.append("0123456789012")
        (tmp_path / f"f{i}.csv").write_text("\n".join(lines) + "\n", "utf-8")
    hits = scan_tree(tmp_path, con=con, known_sql="select phone as value from raw_people")
    assert [(h.file, h.line, h.kind) for h in hits] == [
        ("f1.csv", 2, "known_personal_value"),
        ("f4.csv", 5, "known_personal_value"),
    ]


def test_a_file_found_clean_before_is_not_scanned_again_and_its_digits_are_still_joined(
    tmp_path,
):
    """A publication links the unchanged datasets' files: bytes this scanner already found
    clean are not scanned again, but their runs of digits still meet today's raw-zone
    values; a file with a hit is never kept; other bytes or a damaged entry are scanned."""
    site, folder = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    (site / "a.csv").write_text("ma,so\nX,0123456789012\n", "utf-8")
    (site / "b.csv").write_text("ghi_chu\nLiên hệ anh Nguyễn Văn An\n", "utf-8")
    pq.write_table(pa.table({"so": ["5551234567890"]}), tmp_path / "site" / "c.parquet")
    con = duckdb.connect()
    con.execute("create table raw_people (value varchar)")
    known = "select value from raw_people"

    def scan(cache: privacy.ScanCache | None = None) -> list[tuple]:
        hits = scan_tree(site, con=con, known_sql=known, cache=cache)
        return sorted((h.file, h.line, h.kind) for h in hits)

    first = privacy.ScanCache(folder, Digests())
    assert scan(first) == [("b.csv", 2, "personal_name")]
    assert first.reused == [] and len(list(folder.glob("*.parquet"))) == 2  # not b.csv

    # Later the raw zone holds both numbers; a new publication, the same bytes.
    con.execute("insert into raw_people values ('0123456789012'), ('5551234567890')")
    second = privacy.ScanCache(folder, Digests())
    expected = [
        ("a.csv", 2, "known_personal_value"),
        ("b.csv", 2, "personal_name"),
        ("c.parquet", 1, "known_personal_value"),
    ]
    assert scan(second) == expected == scan()
    assert second.reused == ["a.csv", "c.parquet"]

    (site / "a.csv").write_text("ma,so\nX,0912345678\n", "utf-8")  # other bytes: a phone
    (second.entry(site / "c.parquet")).write_bytes(b"not parquet")
    third = privacy.ScanCache(folder, Digests())
    assert ("a.csv", 2, "phone") in scan(third) and third.reused == []
    assert ("c.parquet", 1, "known_personal_value") in scan()
