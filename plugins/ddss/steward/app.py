"""The steward workspace: FastAPI + Jinja2, one department per account.

Every route that shows or changes data takes the department from the signed-in account,
never from the request: a dataset, upload or report of another department is answered
404 (not found), exactly as one that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ddss.data_contracts import Department, SourceContract
from ddss.settings import Settings, load_settings
from ddss.steward import pipeline_files as files
from ddss.steward.accounts import Account, AccountStore
from ddss.steward.security import SESSION_COOKIE, LoginLimiter, Sessions
from ddss.steward.settings import StewardSettings, load_steward_settings
from ddss.steward.uploads import UploadStore

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
# dbt runs in-process and keeps global state: one check at a time.
_CHECK_LOCK = threading.Lock()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'none'; form-action 'self'; frame-ancestors 'none'",
}
HTTP_MESSAGES = {
    404: ("Không tìm thấy.", "Not found."),
    405: ("Trang này không nhận kiểu yêu cầu đó.", "This page does not take that kind of request."),
}
RUN_ID = re.compile(r"^[A-Za-z0-9_.:+-]{1,120}$")


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    pass


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Steward:
    """The signed-in account, its department and the session's CSRF token."""

    account: Account
    csrf: str
    department: Department
    contracts: tuple[SourceContract, ...]

    def contract(self, dataset: str) -> SourceContract:
        """One of the department's datasets; NotFound for any other id (or none)."""
        for contract in self.contracts:
            if contract.id == dataset:
                return contract
        raise NotFound(dataset)


@dataclass
class Workspace:
    cfg: Settings
    steward: StewardSettings
    accounts: AccountStore
    sessions: Sessions
    limiter: LoginLimiter
    uploads: UploadStore
    templates: Jinja2Templates

    def today(self) -> date:
        return self.steward.as_of or datetime.now(UTC).date()

    def signed_in(self, request: Request) -> Steward:
        """The steward of this request's session; NotSignedIn when there is none (or the
        account was disabled or its password reset since)."""
        session = self.sessions.read(request.cookies.get(SESSION_COOKIE))
        account = self.accounts.get(session.username) if session else None
        if not session or not account or not account.active:
            raise NotSignedIn()
        if account.generation != session.generation:
            raise NotSignedIn()
        contracts = tuple(files.department_contracts(self.cfg, account.department))
        department = files.departments(self.cfg).get(account.department)
        if department is None:
            raise NotSignedIn()
        return Steward(account, session.csrf, department, contracts)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(ws: Workspace, request: Request) -> bool:
    return ws.steward.https or request.url.scheme == "https"


def set_cookie(
    ws: Workspace, request: Request, response: Response, name: str, value: str, age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="lax",
        secure=_secure(ws, request),
        path="/",
    )


def create_app(cfg: Settings | None = None, steward: StewardSettings | None = None) -> FastAPI:
    cfg = cfg or load_settings()
    steward = steward or load_steward_settings(cfg)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["criteria"] = files.CRITERIA
    templates.env.globals["labels"] = files.CRITERION_LABELS
    ws = Workspace(
        cfg=cfg,
        steward=steward,
        accounts=AccountStore(steward.accounts_db),
        sessions=Sessions(steward.secret_key(), steward.session_seconds),
        limiter=LoginLimiter(steward.login_attempts, steward.login_window_seconds),
        uploads=UploadStore(steward.uploads_dir),
        templates=templates,
    )
    ws.uploads.prune(steward.upload_days)
    app = FastAPI(title="ddss steward workspace", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ws = ws

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return _message(ws, request, 403, "Yêu cầu bị từ chối.", "Request refused.", str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _message(ws, request, 404, "Không tìm thấy.", "Not found.", "")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        vi, en = HTTP_MESSAGES.get(exc.status_code, ("Yêu cầu không hợp lệ.", "Bad request."))
        return _message(ws, request, exc.status_code, vi, en, "")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return _message(ws, request, 400, "Yêu cầu không hợp lệ.", "Bad request.", "")

    from ddss.steward import routes

    routes.register(app, ws)
    return app


def _message(
    ws: Workspace, request: Request, status: int, vi: str, en: str, detail: str
) -> HTMLResponse:
    return ws.templates.TemplateResponse(
        request,
        "message.html",
        {"title_vi": vi, "title_en": en, "detail": detail, "steward": None},
        status_code=status,
    )
