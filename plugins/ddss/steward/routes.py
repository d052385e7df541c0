"""The workspace's pages and downloads (registered by ``ddss.steward.app.create_app``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ddss.steward import pipeline_files as files
from ddss.steward.app import (
    _CHECK_LOCK,
    RUN_ID,
    XLSX,
    Forbidden,
    NotFound,
    Steward,
    Workspace,
    client_address,
    set_cookie,
)
from ddss.steward.dashboard import dashboard_rows, filter_rows
from ddss.steward.security import LOGIN_COOKIE, SESSION_COOKIE, csrf_ok
from ddss.steward.submit import append_receipt, land, receipt_for, trigger_extract
from ddss.steward.uploads import (
    CONTROL_LIMIT,
    TooLarge,
    Upload,
    UploadRefused,
    check_control,
    display_name,
    landing_name,
    now_iso,
    problems_csv,
    receive,
    run_check,
    sniff,
    spreadsheet_safe,
)
from ddss.steward.withdrawals import (
    LANDING_LOCK,
    NotWithdrawable,
    WarehouseBusy,
    find,
    submissions,
    withdraw_submission,
)
from ddss.steward.workbook import highlighted, template

MULTIPART_OVERHEAD = 64 * 1024


def _page(
    ws: Workspace, request: Request, name: str, context: dict, status: int = 200
) -> HTMLResponse:
    return ws.templates.TemplateResponse(request, name, context, status_code=status)


async def _form(request: Request, steward: Steward | None = None, **limits):
    """The submitted form, after its CSRF token is checked (403 without a valid one)."""
    form = await request.form(**limits)
    token = form.get("csrf_token")
    if steward is None or not isinstance(token, str) or not csrf_ok(steward.csrf, token):
        raise Forbidden(
            "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang. / "
            "Missing or wrong anti-forgery (CSRF) token; reload the page."
        )
    return form


def register(app: FastAPI, ws: Workspace) -> None:
    _register_sign_in(app, ws)
    _register_pages(app, ws)
    _register_uploads(app, ws)
    _register_reports(app, ws)
    _register_submissions(app, ws)


def _register_sign_in(app: FastAPI, ws: Workspace) -> None:
    @app.get("/")
    def home(request: Request):
        ws.signed_in(request)
        return RedirectResponse("/dashboard", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, error: str | None = None):
        cookie, token = ws.sessions.login_token()
        response = _page(
            ws, request, "login.html", {"steward": None, "token": token, "error": error}
        )
        set_cookie(ws, request, response, LOGIN_COOKIE, cookie, 3600)
        return response

    @app.post("/login")
    async def login(request: Request):
        form = await request.form(max_files=0, max_fields=5)
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        if not ws.sessions.login_token_ok(
            request.cookies.get(LOGIN_COOKIE), str(form.get("csrf_token") or "")
        ):
            raise Forbidden(
                "Phiên đăng nhập đã hết hạn; hãy tải lại trang. / "
                "The sign-in form expired or was sent from elsewhere; reload the page."
            )
        address = client_address(request)
        wait = ws.limiter.blocked(username, address)
        if wait:
            response = login_form(request, error="limited")
            response.status_code = 429
            response.headers["Retry-After"] = str(wait)
            return response
        account = await run_in_threadpool(ws.accounts.authenticate, username, password)
        if account is None:
            ws.limiter.failed(username, address)
            response = login_form(request, error="wrong")
            response.status_code = 401
            return response
        ws.limiter.succeeded(username, address)
        value, _ = ws.sessions.issue(account.username, account.generation)
        response = RedirectResponse("/dashboard", status_code=303)
        set_cookie(ws, request, response, SESSION_COOKIE, value, ws.steward.session_seconds)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    @app.post("/logout")
    async def logout(request: Request):
        steward = ws.signed_in(request)
        await _form(request, steward, max_files=0, max_fields=2)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _register_pages(app: FastAPI, ws: Workspace) -> None:
    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request):
        steward = ws.signed_in(request)
        rows = dashboard_rows(ws, steward)
        return _page(
            ws, request, "dashboard.html", {"steward": steward, "rows": rows, "today": ws.today()}
        )

    @app.get("/quarantine", response_class=HTMLResponse)
    def quarantine(request: Request, dataset: str = "", criterion: str = "", period: str = ""):
        steward = ws.signed_in(request)
        if dataset:
            steward.contract(dataset)
        every = files.quarantined_rows(ws.cfg, steward.department.id)
        shown = filter_rows(every, dataset, criterion, period)
        context = {
            "steward": steward,
            "rows": shown,
            "total": len(every),
            "open": files.open_rows(every),
            "periods": _filter_periods(ws, steward, every, period),
            "filters": {"dataset": dataset, "criterion": criterion, "period": period},
        }
        return _page(ws, request, "quarantine.html", context)

    @app.get("/quarantine.csv")
    def quarantine_csv(request: Request, dataset: str = "", criterion: str = "", period: str = ""):
        steward = ws.signed_in(request)
        if dataset:
            steward.contract(dataset)
        rows = filter_rows(
            files.quarantined_rows(ws.cfg, steward.department.id), dataset, criterion, period
        )
        out = io.StringIO()
        columns = ["dataset", "period", *files.REPORT_FIELDS]
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([spreadsheet_safe(row.get(c)) for c in columns])
        name = f"{steward.department.id}_quarantine.csv"
        return Response(
            out.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _filter_periods(ws: Workspace, steward: Steward, rows: list[dict], chosen: str) -> list[str]:
    """Every period due so far (a fixed one stays choosable), those with rows, the chosen."""
    from ddss.quality.freshness import expected_periods

    periods = {r["period"] for r in rows if r["period"]} | ({chosen} if chosen else set())
    for contract in steward.contracts:
        periods.update(expected_periods(contract, ws.today()))
    return sorted(periods, reverse=True)


def _upload_of(ws: Workspace, steward: Steward, upload_id: str) -> Upload:
    try:
        return ws.uploads.load(steward.department.id, upload_id)
    except KeyError:
        raise NotFound(upload_id) from None


def _receive_control(
    ws: Workspace, upload: Upload, contract, part: UploadFile | None
) -> Path | None:
    """The control-totals file sent with the data file, stored as ``control``."""
    if part is None or not part.filename or not contract.source.control_suffix:
        return None
    path = ws.uploads.folder(upload.department, upload.id) / "control"
    _, sha256 = receive(part.file, path, CONTROL_LIMIT)
    check_control(path)
    upload.control_name = contract.source.control_file_for(upload.landing_name)
    upload.control_sha256 = sha256
    return path


def _check_upload(
    ws: Workspace,
    steward: Steward,
    dataset: str,
    part: UploadFile,
    period: str,
    control_part: UploadFile | None = None,
) -> Upload:
    ws.uploads.prune(ws.steward.upload_days)
    contract = steward.contract(dataset)
    client_name = display_name(part.filename)
    name = landing_name(contract, client_name, period or None)
    upload_id, folder = ws.uploads.new_folder(steward.department.id)
    path = folder / "file"
    size, sha256 = receive(part.file, path, ws.steward.max_upload_bytes)
    upload = Upload(
        id=upload_id,
        department=steward.department.id,
        dataset=dataset,
        username=steward.account.username,
        client_name=client_name,
        landing_name=name,
        sha256=sha256,
        bytes=size,
        uploaded_at=now_iso(),
    )
    control = None
    try:
        sniff(path, contract, ws.steward.max_upload_bytes)
        control = _receive_control(ws, upload, contract, control_part)
    except UploadRefused as exc:
        upload.refused = str(exc)
    if not upload.refused:
        with _CHECK_LOCK:
            run_check(upload, path, ws.cfg, control)
    ws.uploads.save(upload)
    if upload.rejected or upload.refused:
        from ddss.steward.notify import notify_rejected_upload

        notify_rejected_upload(ws.cfg, ws.steward, upload)
    return upload


def _register_uploads(app: FastAPI, ws: Workspace) -> None:  # noqa: C901 - one route each
    @app.get("/datasets/{dataset}", response_class=HTMLResponse)
    def dataset_page(request: Request, dataset: str):
        steward = ws.signed_in(request)
        contract = steward.contract(dataset)
        periods = _periods(ws, contract)
        recent = ws.uploads.recent(steward.department.id, contract.id)
        return _page(
            ws,
            request,
            "upload.html",
            {
                "steward": steward,
                "contract": contract,
                "periods": periods,
                "recent": recent,
                "error": None,
            },
        )

    @app.get("/datasets/{dataset}/template")
    def template_file(request: Request, dataset: str):
        steward = ws.signed_in(request)
        contract = steward.contract(dataset)
        if contract.source.kind != "drop_folder":
            raise NotFound(dataset)
        data, media, name = template(contract)
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/datasets/{dataset}/upload")
    async def upload(request: Request, dataset: str):
        steward = ws.signed_in(request)
        contract = steward.contract(dataset)
        declared = int(request.headers.get("content-length") or 0)
        if declared > ws.steward.max_upload_bytes + MULTIPART_OVERHEAD:
            return _refused(
                ws,
                request,
                steward,
                contract,
                413,
                TooLarge(
                    f"Tệp lớn hơn giới hạn {ws.steward.max_upload_bytes:,} byte. / "
                    f"The file is over the {ws.steward.max_upload_bytes:,}-byte limit."
                ),
            )
        form = await _form(request, steward, max_files=2, max_fields=5)
        part, control = form.get("file"), form.get("control")
        if not isinstance(part, UploadFile):
            return _refused(
                ws,
                request,
                steward,
                contract,
                400,
                UploadRefused("Chưa chọn tệp. / No file chosen."),
            )
        try:
            result = await run_in_threadpool(
                _check_upload,
                ws,
                steward,
                dataset,
                part,
                str(form.get("period") or ""),
                control if isinstance(control, UploadFile) else None,
            )
        except UploadRefused as exc:
            return _refused(
                ws, request, steward, contract, 413 if isinstance(exc, TooLarge) else 400, exc
            )
        return RedirectResponse(f"/uploads/{result.id}", status_code=303)

    @app.get("/uploads/{upload_id}", response_class=HTMLResponse)
    def upload_page(request: Request, upload_id: str):
        steward = ws.signed_in(request)
        item = _upload_of(ws, steward, upload_id)
        contract = steward.contract(item.dataset)
        return _page(
            ws, request, "checked.html", {"steward": steward, "upload": item, "contract": contract}
        )

    @app.get("/uploads/{upload_id}/problems.csv")
    def problems(request: Request, upload_id: str):
        steward = ws.signed_in(request)
        item = _upload_of(ws, steward, upload_id)
        stem = item.landing_name.rsplit(".", 1)[0]
        return Response(
            problems_csv(item),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}_loi.csv"'},
        )

    @app.get("/uploads/{upload_id}/highlighted.xlsx")
    def highlighted_xlsx(request: Request, upload_id: str):
        steward = ws.signed_in(request)
        item = _upload_of(ws, steward, upload_id)
        if item.refused:
            raise NotFound(upload_id)
        contract = steward.contract(item.dataset)
        data = highlighted(ws.uploads.file(item), contract, item.failures)
        stem = item.landing_name.rsplit(".", 1)[0]
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{stem}_danh_dau_loi.xlsx"'},
        )

    @app.post("/uploads/{upload_id}/submit", response_class=HTMLResponse)
    async def submit(request: Request, upload_id: str):
        steward = ws.signed_in(request)
        await _form(request, steward, max_files=0, max_fields=2)
        item = _upload_of(ws, steward, upload_id)
        contract = steward.contract(item.dataset)
        if not item.submittable:
            return _page(
                ws,
                request,
                "checked.html",
                {"steward": steward, "upload": item, "contract": contract},
                status=409,
            )
        receipt, trigger = await run_in_threadpool(_submit, ws, item, contract)
        return _page(
            ws,
            request,
            "submitted.html",
            {
                "steward": steward,
                "upload": item,
                "contract": contract,
                "receipt": receipt,
                "trigger": trigger,
            },
        )


def _submit(ws: Workspace, item: Upload, contract):
    with LANDING_LOCK:
        control = ws.uploads.control(item)
        if control is not None and item.control_name:
            # The totals first: a scan between the two renames finds them waiting for their data.
            land(control, contract, item.control_name, ws.cfg)
        target = land(ws.uploads.file(item), contract, item.landing_name, ws.cfg)
        receipt = receipt_for(item, target, ws.cfg)
        append_receipt(ws.steward, receipt)
        item.submitted = receipt
        ws.uploads.save(item)
    return receipt, trigger_extract(ws.steward, contract.department.id, receipt)


def _periods(ws: Workspace, contract) -> list[str]:
    """The periods a steward may send a file for: every one due so far and the next."""
    from ddss.quality.freshness import expected_periods

    due = expected_periods(contract, ws.today())
    nxt = files.next_deadline(contract, set(due), ws.today())
    return list(reversed(due + ([nxt.period] if nxt else [])))


def _refused(ws, request, steward, contract, status: int, exc: Exception) -> HTMLResponse:
    return _page(
        ws,
        request,
        "upload.html",
        {
            "steward": steward,
            "contract": contract,
            "periods": _periods(ws, contract),
            "recent": ws.uploads.recent(steward.department.id, contract.id),
            "error": str(exc),
        },
        status=status,
    )


def _register_reports(app: FastAPI, ws: Workspace) -> None:
    @app.get("/reports/latest")
    def latest(request: Request):
        steward = ws.signed_in(request)
        reports = [files.latest_report(ws.cfg, c) for c in steward.contracts]
        found = sorted((r for r in reports if r), key=lambda r: r.modified)
        if not found:
            raise NotFound("report")
        return RedirectResponse(f"/reports/{found[-1].run_id}/index.html", status_code=303)

    @app.get("/reports/{run_id}/{name:path}")
    def report_file(request: Request, run_id: str, name: str):
        steward = ws.signed_in(request)
        if not RUN_ID.match(run_id) or run_id in (".", ".."):
            raise NotFound(run_id)
        folder = (ws.cfg.reports_dir / run_id / steward.department.id).resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise NotFound(name)
        response = FileResponse(path)
        if path.suffix in (".html", ".htm"):
            # Data Docs' scripts run, but in an opaque origin: no cookies, no workspace pages.
            response.headers["Content-Security-Policy"] = "sandbox allow-scripts allow-popups"
        return response


def _submission_of(ws: Workspace, steward: Steward, receipt_id: str):
    try:
        return find(ws.cfg, ws.steward, steward.department.id, receipt_id)
    except KeyError:
        raise NotFound(receipt_id) from None


def _register_submissions(app: FastAPI, ws: Workspace) -> None:
    @app.get("/submissions", response_class=HTMLResponse)
    def submission_list(request: Request):
        steward = ws.signed_in(request)
        listed = submissions(ws.cfg, ws.steward, steward.department.id)
        titles = {c.id: (c.title_vi, c.title_en) for c in steward.contracts}
        return _page(
            ws,
            request,
            "submissions.html",
            {"steward": steward, "submissions": listed, "titles": titles},
        )

    @app.get("/submissions/{receipt_id}/withdraw", response_class=HTMLResponse)
    def withdraw_form(request: Request, receipt_id: str):
        steward = ws.signed_in(request)
        item = _submission_of(ws, steward, receipt_id)
        contract = steward.contract(str(item.receipt.get("dataset")))
        context = {"steward": steward, "item": item, "contract": contract, "error": None}
        return _page(ws, request, "withdraw.html", context)

    @app.post("/submissions/{receipt_id}/withdraw", response_class=HTMLResponse)
    async def withdraw(request: Request, receipt_id: str):
        steward = ws.signed_in(request)
        form = await _form(request, steward, max_files=0, max_fields=3)
        item = _submission_of(ws, steward, receipt_id)
        contract = steward.contract(str(item.receipt.get("dataset")))
        reason = str(form.get("reason") or "")
        try:
            done = await run_in_threadpool(
                withdraw_submission,
                ws.cfg,
                ws.steward,
                steward.department.id,
                receipt_id,
                steward.account.username,
                reason,
            )
        except (NotWithdrawable, WarehouseBusy) as exc:
            busy = isinstance(exc, WarehouseBusy)
            error = (
                "Đường ống đang chạy và giữ kho dữ liệu; chưa có gì thay đổi. Hãy thử lại sau "
                "vài phút. / The pipeline is running and holds the warehouse; nothing was "
                "changed. Try again in a few minutes."
                if busy
                else str(exc)
            )
            context = {"steward": steward, "item": item, "contract": contract, "error": error}
            return _page(ws, request, "withdraw.html", context, status=503 if busy else 409)
        trigger = await run_in_threadpool(
            trigger_extract,
            ws.steward,
            steward.department.id,
            {"receipt": receipt_id, "dataset": contract.id},
            "steward withdrawal",
        )
        context = {
            "steward": steward,
            "item": item,
            "contract": contract,
            "done": done,
            "trigger": trigger,
        }
        return _page(ws, request, "withdrawn.html", context)
