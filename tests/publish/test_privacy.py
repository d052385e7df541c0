import pyarrow as pa

from ddss.publish.privacy import scan_text, scan_tree
from ddss.publish.publisher import neutralise, neutralise_column


def test_scanner_finds_citizen_ids_phones_and_emails():
    text = "a,008203291999,b\nc,0966558508,d\ne,+84912345678\nf,ten.nguoi@example.vn"
    kinds = sorted(h.kind for h in scan_text(text, "x.csv"))
    assert kinds == ["citizen_id", "email", "phone", "phone"]
    # The value never goes whole into the message.
    assert all("008203291999" not in str(h) for h in scan_text(text, "x.csv"))


def test_scanner_ignores_codes_dates_and_checksums():
    text = (
        "000.00.15.H61-220101-0001,1.001007,02269,2022-01-01,31/07/2022\n"
        "sha256 0123456789012345678901234567890123456789012345678901234567890123\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,42540"
    )
    assert scan_text(text, "x.csv") == []


def test_known_personal_values_are_found_as_whole_tokens(tmp_path):
    (tmp_path / "a.json").write_text('{"x": "12345678901", "y": "123456789012345"}', "utf-8")
    hits = scan_tree(tmp_path, {"12345678901", "1234567890"})
    assert [h.kind for h in hits] == ["known_personal_value"]


def test_formula_cells_are_neutralised():
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("+84") == "'+84"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("Trực tiếp") == "Trực tiếp"
    values = ["=1+1", "-2", "Trực tiếp", None, "\tx"]
    expected = [None if v is None else neutralise(v) for v in values]
    assert neutralise_column(pa.chunked_array([values])).to_pylist() == expected


def test_personal_names_in_free_text_are_found_but_places_and_agencies_are_not():
    hits = scan_text("Liên hệ anh Nguyễn Văn An để nhận kết quả; chị Trần Thị Lan", "x.csv")
    assert sorted(h.kind for h in hits) == ["personal_name", "personal_name"]
    clean = (
        "đường Lê Duẩn, phố Trần Hưng Đạo, Phường Hoàn Kiếm, Thành phố Hà Nội,"
        "Sở Lao động - Thương binh và Xã hội, Lý lịch tư pháp, Trung tâm Phục vụ hành chính công"
    )
    assert scan_text(clean, "x.csv") == []
