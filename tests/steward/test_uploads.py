# ruff: noqa: F811 - the fixture ``env`` is imported from steward_env, then used as an argument
"""Uploads are checked by content, kept under the server's names, and only a file the
loader accepts can be submitted."""

import io
import zipfile

import pytest
from steward_env import dossiers_csv, env  # noqa: F401 - fixture

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def _zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


def _upload(client, csrf, dataset, name, data, period=""):
    return client.post(
        f"/datasets/{dataset}/upload",
        data={"csrf_token": csrf, "period": period},
        files={"file": (name, data, "application/octet-stream")},
    )


def _landing(env, department="tuyen_quang_pasc"):
    folder = env.cfg.landing_dir / department
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (PNG, "ảnh PNG"),
        (ELF, "chương trình (ELF)"),
        (_zip({"a.txt": b"x"}), "tệp nén ZIP"),
        (b"MZ\x90\x00" + b"\x00" * 32, "chương trình Windows"),
        (b"Ma ho so\x00\x00\x00binary", "nhị phân"),
    ],
)
def test_a_csv_that_is_not_text_is_refused_and_cannot_be_submitted(env, data, says):
    client, csrf = env.sign_in("pasc")
    page = _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-07.csv", data)
    assert page.status_code == 200
    assert 'id="refused"' in page.text and says in page.text
    assert "không thể nộp" in page.text and "cannot be checked or submitted" in page.text
    assert 'id="submit"' not in page.text
    upload_id = str(page.url).rsplit("/", 1)[-1]
    refused = client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert _landing(env) == []


def test_an_xlsx_must_be_a_zip_with_a_workbook(env):
    env.app.state.ws.accounts.add("labour", "hanoi_labour", "correct horse battery staple")
    client, csrf = env.sign_in("labour")
    dataset = "cashless_social_payments"
    name = "chi_tra_khong_tien_mat_2022-07.xlsx"
    text = _upload(client, csrf, dataset, name, b"a,b\n1,2\n")
    assert 'id="refused"' in text.text and "không phải bảng tính .xlsx" in text.text
    no_workbook = _upload(client, csrf, dataset, name, _zip({"word/document.xml": b"<w/>"}))
    assert "không chứa bảng tính Excel" in no_workbook.text
    assert _landing(env, "hanoi_labour") == []


def test_a_file_over_the_limit_is_refused(env, monkeypatch):
    from ddss.steward.app import create_app

    monkeypatch.setenv("DDSS_STEWARD_MAX_UPLOAD_BYTES", "200")
    env.app = create_app(env.cfg)
    client, csrf = env.sign_in("pasc")
    data = dossiers_csv([["x"] * 11] * 20)
    page = _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-07.csv", data)
    assert page.status_code == 413 and "200-byte limit" in page.text
    assert not any(env.app.state.ws.steward.uploads_dir.rglob("file"))


def test_the_client_file_name_is_never_a_path(env):
    client, csrf = env.sign_in("pasc")
    name = "../../../../tmp/ho_so_2022-07.csv"
    page = _upload(client, csrf, "admin_procedure_dossiers", name, PNG)
    uploads = env.app.state.ws.steward.uploads_dir
    stored = [p for p in uploads.rglob("*") if p.is_file()]
    assert {p.name for p in stored} == {"file", "upload.json"}
    assert all(p.resolve().is_relative_to(uploads.resolve()) for p in stored)
    # Shown as its last part only, and the file is submitted under the dataset's own name.
    assert "ho_so_2022-07.csv" in page.text and "../" not in page.text


def test_the_period_comes_from_the_name_or_the_form(env):
    client, csrf = env.sign_in("pasc")
    page = _upload(client, csrf, "admin_procedure_dossiers", "bao cao thang 7.csv", PNG)
    assert page.status_code == 400 and "chọn kỳ" in page.text
    chosen = _upload(
        client, csrf, "admin_procedure_dossiers", "bao cao thang 7.csv", PNG, period="2022-07"
    )
    assert "ho_so_2022-07.csv" in chosen.text
    bad = _upload(client, csrf, "admin_procedure_dossiers", "x.csv", PNG, period="../x")
    assert bad.status_code == 400


def test_a_file_the_loader_rejects_cannot_be_submitted(env):
    client, csrf = env.sign_in("pasc")
    data = b"Cot A,Cot B\n1,2\n"
    page = _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-07.csv", data)
    assert page.status_code == 200
    assert 'id="rejected"' in page.text and "cannot be submitted" in page.text
    assert 'id="submit"' not in page.text
    upload_id = str(page.url).rsplit("/", 1)[-1]
    assert client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf}).status_code == 409
    assert _landing(env) == []


def test_uploads_need_the_csrf_token(env):
    client, _ = env.sign_in("pasc")
    response = client.post(
        "/datasets/admin_procedure_dossiers/upload",
        files={"file": ("ho_so_2022-07.csv", dossiers_csv([]), "text/csv")},
    )
    assert response.status_code == 403
    assert not any(env.app.state.ws.steward.uploads_dir.rglob("file"))


def test_an_api_dataset_takes_no_upload(env):
    env.app.state.ws.accounts.add("tax", "hanoi_tax", "correct horse battery staple")
    client, csrf = env.sign_in("tax")
    page = client.get("/dashboard").text
    assert "API" in page and "/datasets/taxpayer_e_services" not in page
    response = _upload(client, csrf, "taxpayer_e_services", "nguoi_nop_thue_2022-07.json", b"[]")
    assert "không nhận tệp tải lên" in response.text


def test_a_control_totals_file_must_be_json(env):
    env.app.state.ws.accounts.add("monre", "hanoi_monre", "correct horse battery staple")
    client, csrf = env.sign_in("monre")
    form = client.get("/datasets/land_registration_payments").text
    assert 'name="control"' in form and ".kiem_soat.json" in form
    page = client.post(
        "/datasets/land_registration_payments/upload",
        data={"csrf_token": csrf, "period": ""},
        files={
            "file": ("dang_ky_dat_dai_2022-07.csv", b"a,b\n1,2\n", "text/csv"),
            "control": ("tong.json", PNG, "application/json"),
        },
    )
    assert 'id="refused"' in page.text and "phải là tệp JSON" in page.text
    assert _landing(env, "hanoi_monre") == []


def test_recent_uploads_are_listed_for_their_department_only(env):
    client, csrf = env.sign_in("pasc")
    _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-07.csv", PNG)
    page = client.get("/datasets/admin_procedure_dossiers").text
    assert 'id="recent"' in page and "không nộp được / cannot be submitted" in page
    other, _ = env.sign_in("health")
    assert 'id="recent"' not in other.get("/datasets/electronic_health_records").text


def test_old_uploads_are_removed(env):
    import os
    import time

    client, csrf = env.sign_in("pasc")
    _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-07.csv", PNG)
    store = env.app.state.ws.uploads
    (old,) = list(store.root.glob("*/*"))
    eight_days_ago = time.time() - 8 * 86400
    for path in (old, old / "upload.json", old / "file"):
        os.utime(path, (eight_days_ago, eight_days_ago))
    _upload(client, csrf, "admin_procedure_dossiers", "ho_so_2022-06.csv", PNG)
    remaining = list(store.root.glob("*/*"))
    assert len(remaining) == 1 and remaining[0] != old


def test_the_empty_template_has_the_contracts_headers(env):
    from openpyxl import load_workbook

    from ddss.data_contracts import source_contract

    client, _ = env.sign_in("pasc")
    response = client.get("/datasets/admin_procedure_dossiers/template")
    header = response.content.decode("utf-8-sig").strip().split(",")
    assert header == [c.header for c in source_contract("admin_procedure_dossiers").columns]
    env.app.state.ws.accounts.add("labour", "hanoi_labour", "correct horse battery staple")
    labour, _ = env.sign_in("labour")
    workbook = labour.get("/datasets/cashless_social_payments/template")
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    headers = [c.header for c in source_contract("cashless_social_payments").columns]
    assert [c.value for c in sheet[1]] == headers
    assert sheet["A2"].number_format in ("@", "dd/mm/yyyy")


def test_a_windows_1258_datasets_template_is_utf8_with_bom(env):
    from ddss.data_contracts import source_contract

    contract = source_contract("electronic_health_records")
    assert contract.source.encoding.lower() in ("cp1258", "windows-1258")
    client, _ = env.sign_in("health")
    data = client.get("/datasets/electronic_health_records/template").content
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").strip().split(contract.source.delimiter)
    assert header == [c.header for c in contract.columns]
