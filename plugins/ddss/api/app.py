"""The read-only query API over the published versions, and the portal beside it.

    GET /api/v1/                                   help page (Vietnamese, then English)
    GET /api/v1/openapi.json                       the OpenAPI description
    GET /api/v1/versions                           the published versions, newest first
    GET /api/v1/datasets                           the current version's datasets
    GET /api/v1/datasets/{dataset_id}              metadata and columns
    GET /api/v1/datasets/{dataset_id}/rows         rows: filter, sort, page, columns, search
    GET /api/v1/versions/{version_id}/datasets...  the same for any published version
    GET /...                                       public/ as files (the portal)

FastAPI gives the OpenAPI description; DuckDB (the warehouse's engine) runs the queries over
each version's own Parquet files (``ddss.api.store``), compiled from typed parameters
(``ddss.api.query``). Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as Path_
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ddss.api import query as rows_query
from ddss.api.errors import ApiError, not_found
from ddss.api.help_page import HELP_HTML
from ddss.api.store import Version, Versions
from ddss.publish.publisher import neutralise

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
QUERY_SECONDS = 10.0  # a query still running after this is interrupted (503)
JSON_TYPE = "application/json; charset=utf-8"

DESCRIPTION = """Read-only access to the open data published by the portal, version by version.
Chỉ đọc: dữ liệu mở đã công bố trên cổng, theo từng phiên bản.

Filters are query parameters named after a dataset's columns (`?channel=online`; repeat one
for "any of": `?channel=online&channel=postal`; an empty value matches empty cells). Values
are read with the column's type: integers, numbers with a decimal point, dates as
YYYY-MM-DD, booleans as true/false. The columns and their types are listed by
`GET /api/v1/datasets/{dataset_id}`.
"""


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=_plain)
    return Response(text, status_code=status, media_type=JSON_TYPE, headers=headers)


def _finite(value: Any) -> Any:
    """NaN and infinities (possible in a DOUBLE column) as empty: JSON has no such numbers."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _plain(value: Any) -> Any:
    """JSON for the values DuckDB returns that json does not know."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


class Api:
    """The routes' state: the versions of one public/ folder."""

    def __init__(self, public: Path) -> None:
        self.versions = Versions(public)

    def version(self, version_id: str | None) -> Version:
        return self.versions.get(version_id)

    def listing(self, request: Request, version_id: str | None) -> dict:
        version = self.version(version_id)
        base = _base(version_id, version)
        return {
            "version": version.id,
            "current": version.id == self.versions.current_id(),
            "datasets": [
                {
                    "id": d.id,
                    "title": d.resource.get("title"),
                    "rows": d.rows,
                    "links": _links(base, d.id, version),
                }
                for d in version.datasets.values()
            ],
        }

    def metadata(self, version_id: str | None, dataset_id: str) -> dict:
        version = self.version(version_id)
        dataset = version.dataset(dataset_id)
        schema = dataset.resource.get("schema", {})
        fields = {f["name"]: f for f in schema.get("fields", [])}
        return {
            "version": version.id,
            "id": dataset.id,
            "title": dataset.resource.get("title"),
            "description": dataset.resource.get("description"),
            "licenses": dataset.resource.get("licenses", []),
            "rows": dataset.rows,
            "primary_key": schema.get("primaryKey", []),
            "columns": [
                _column(name, kind, fields.get(name, {})) for name, kind in dataset.columns.items()
            ],
            "downloads": [
                {
                    "url": f"/versions/{version.id}/{entry['path']}",
                    "bytes": entry["bytes"],
                    "sha256": entry["sha256"],
                }
                for entry in dataset.downloads
            ],
            "links": _links(_base(version_id, version), dataset.id, version),
        }

    def rows(self, request: Request, version_id: str | None, dataset_id: str) -> Response:
        version = self.version(version_id)
        dataset = version.dataset(dataset_id)
        asked = rows_query.parse(dataset, list(request.query_params.multi_items()))
        if asked.cursor_version and asked.cursor_version != version.id:
            if version_id is not None:  # a version's URL serves that version only
                raise rows_query.bad_parameter(
                    "_cursor",
                    request.query_params["_cursor"][:200],
                    f"con trỏ thuộc phiên bản {asked.cursor_version}, không phải {version_id}.",
                    f"the cursor belongs to version {asked.cursor_version}, not {version_id}.",
                )
            # The current version changed during a walk: finish it on the version it began.
            version = self.version(asked.cursor_version)
            dataset = version.dataset(dataset_id)
            asked = rows_query.parse(dataset, list(request.query_params.multi_items()))
        records, continue_after, total = _run(version, asked)
        next_cursor = (
            rows_query.encode_cursor(version.id, asked, continue_after)
            if continue_after is not None
            else None
        )
        next_url = _next_url(request, next_cursor) if next_cursor else None
        records = [tuple(_finite(v) for v in row) for row in records]
        if asked.format == "csv":
            return _csv(version, asked, records, next_cursor, next_url)
        body: dict[str, Any] = {
            "version": version.id,
            "dataset": dataset.id,
            "columns": asked.columns,
            "rows": [dict(zip(asked.columns, row, strict=True)) for row in records],
            "next_cursor": next_cursor,
            "next": next_url,
        }
        if total is not None:
            body["total"] = total
        return _json(body)


def _column(name: str, kind: str, field: dict) -> dict:
    column = {
        "name": name,
        "type": field.get("type", kind),
        "filter": kind if kind != "other" else None,
        "title": field.get("title"),
        "description": field.get("description"),
    }
    if "constraints" in field:
        column["constraints"] = field["constraints"]
    return column


def _base(version_id: str | None, version: Version) -> str:
    return f"{PREFIX}/versions/{version.id}" if version_id else PREFIX


def _links(base: str, dataset_id: str, version: Version) -> dict:
    return {
        "self": f"{base}/datasets/{dataset_id}",
        "rows": f"{base}/datasets/{dataset_id}/rows",
        "csv": f"{base}/datasets/{dataset_id}/rows?_format=csv",
        "page": f"/versions/{version.id}/datasets/{dataset_id}.html",
    }


def _next_url(request: Request, cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
    return f"{request.url.path}?{urlencode([*params, ('_cursor', cursor)])}"


def _run(
    version: Version, asked: rows_query.RowQuery
) -> tuple[list[tuple], int | None, int | None]:
    """The page's rows, the row key to continue after (None on the last page), and the total
    when asked for. DuckDB finds the page's row keys (reading only the filter and sort
    columns); the rows themselves are taken from the Arrow table by position. Interrupted
    after QUERY_SECONDS."""
    dataset = version.dataset(asked.dataset)
    if asked.search:
        version.make_searchable(dataset)
    table = dataset.rows_table
    assert table is not None  # loaded by version.dataset
    last = _last_row(table, asked) if asked.after_row is not None else None
    cursor = version.cursor()
    timer = threading.Timer(QUERY_SECONDS, cursor.interrupt)
    timer.start()
    try:
        keys = [row[0] for row in _fetch(cursor, rows_query.page_sql(asked, last))]
        total = _fetch(cursor, rows_query.count_sql(asked))[0][0] if asked.count else None
    except Exception as exc:
        if not timer.is_alive():
            raise ApiError(
                503,
                f"Truy vấn chạy quá {QUERY_SECONDS:.0f} giây và đã dừng; hãy thu hẹp bộ lọc.",
                f"The query ran over {QUERY_SECONDS:.0f} seconds and was stopped; narrow the filters.",
            ) from exc
        raise
    finally:
        timer.cancel()
        cursor.close()
    more = len(keys) > asked.size
    keys = keys[: asked.size]
    picked = table.take(keys).select(asked.columns).to_pylist() if keys else []
    records = [tuple(row[c] for c in asked.columns) for row in picked]
    return records, (keys[-1] if more else None), total


def _last_row(table: Any, asked: rows_query.RowQuery) -> tuple:
    """The sort values and row key of the cursor's row (a version never changes, so a
    cursor carries only the row's position)."""
    position = asked.after_row
    assert position is not None
    if position >= table.num_rows:
        raise rows_query.bad_parameter(
            "_cursor",
            str(position),
            "con trỏ chỉ tới một dòng không có trong phiên bản.",
            "the cursor points at a row the version does not have.",
        )
    if not asked.sort:
        return (position,)
    row = table.select([s.column for s in asked.sort]).take([position]).to_pylist()[0]
    return (*(row[s.column] for s in asked.sort), position)


def _fetch(cursor: Any, compiled: rows_query.Compiled) -> list[tuple]:
    return cursor.execute(compiled.sql, compiled.parameters).fetchall()


def _csv(
    version: Version,
    asked: rows_query.RowQuery,
    records: list[tuple],
    next_cursor: str | None,
    next_url: str | None,
) -> Response:
    """The page as CSV like the portal's downloads: UTF-8 with a byte-order mark, and text a
    spreadsheet would run as a formula prefixed with '."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(asked.columns)
    for row in records:
        writer.writerow([_csv_cell(value) for value in row])
    headers = {
        "Content-Disposition": f'inline; filename="{asked.dataset}-{version.id}.csv"',
        "X-DDSS-Version": version.id,
    }
    if next_cursor and next_url:
        headers["X-Next-Cursor"] = next_cursor
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime | Decimal):
        return str(_plain(value))
    return str(value)


def _current() -> None:
    return None


def _path_version(
    version_id: str = Path_(..., description="A published version's id (GET /api/v1/versions)"),
) -> str:
    return version_id


def _routes(api: Api, router: APIRouter, prefix: str, versioned: bool) -> None:
    """The three dataset routes, under /api/v1 (current) or /api/v1/versions/{version_id}."""
    where = "of a published version" if versioned else "of the current version"
    which = Depends(_path_version if versioned else _current)

    @router.get(f"{prefix}/datasets", summary=f"List the datasets {where}")
    def datasets(request: Request, version_id: str | None = which) -> Response:
        return _json(api.listing(request, version_id))

    @router.get(
        f"{prefix}/datasets/{{dataset_id}}", summary=f"A dataset {where}: metadata, columns"
    )
    def dataset(dataset_id: str, version_id: str | None = which) -> Response:
        return _json(api.metadata(version_id, dataset_id))

    @router.get(
        f"{prefix}/datasets/{{dataset_id}}/rows",
        summary=f"Rows of a dataset {where}",
        description=DESCRIPTION,
    )
    def rows(
        request: Request,
        dataset_id: str,
        version_id: str | None = which,
        _sort: str | None = Query(
            None, description="<col> ascending, -<col> descending; several: a,-b"
        ),
        _size: int = Query(
            rows_query.DEFAULT_SIZE, ge=1, le=rows_query.MAX_SIZE, description="Rows per page"
        ),
        _cursor: str | None = Query(None, description="next_cursor of the previous page"),
        _columns: str | None = Query(None, description="Columns to return: a,b"),
        _q: str | None = Query(
            None, description="Text search, ignoring case and diacritics (đ = d)"
        ),
        _format: str = Query("json", pattern="^(json|csv)$"),
        _count: bool = Query(False, description="Also count the matching rows (total)"),
    ) -> Response:
        return api.rows(request, version_id, dataset_id)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    def api_error(request: Request, exc: ApiError) -> Response:
        return _json(exc.body(), exc.status)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        name = str(first.get("loc", ["", "?"])[-1])
        value = str(request.query_params.get(name, ""))[:200]
        return _json(
            rows_query.bad_parameter(
                name, value, "sai kiểu hoặc ngoài giới hạn.", str(first.get("msg", "invalid"))
            ).body(),
            400,
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _json(not_found("địa chỉ", "path", request.url.path[:200]).body(), 404)
        return _json(
            ApiError(exc.status_code, "Yêu cầu không hợp lệ.", str(exc.detail)).body(),
            exc.status_code,
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("API error on %s", request.url.path)
        return _json(
            ApiError(500, "Lỗi máy chủ; đã ghi nhật ký.", "Server error; it was logged.").body(),
            500,
        )


def create_app(public: Path, *, portal: bool = True) -> FastAPI:
    """The API over ``public/``'s versions and, with ``portal``, ``public/`` itself at /."""
    api = Api(public)
    app = FastAPI(
        title="ddss open data API",
        version="1",
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: /api/v1/ is the help
        redoc_url=None,
    )
    router = APIRouter()

    @router.get(f"{PREFIX}/", response_class=HTMLResponse, include_in_schema=False)
    @router.get(PREFIX, response_class=HTMLResponse, include_in_schema=False)
    def help_page() -> HTMLResponse:
        return HTMLResponse(HELP_HTML)

    @router.get(f"{PREFIX}/versions", summary="List the published versions, newest first")
    def versions() -> Response:
        published = api.versions.published()
        current = api.versions.current_id() if published else None
        return _json(
            {
                "current": current,
                "versions": [
                    {
                        "version": v,
                        "current": v == current,
                        "datasets": f"{PREFIX}/versions/{v}/datasets",
                        "portal": f"/versions/{v}/index.html",
                    }
                    for v in sorted(published, reverse=True)
                ],
            }
        )

    _routes(api, router, PREFIX, versioned=False)
    _routes(api, router, f"{PREFIX}/versions/{{version_id}}", versioned=True)

    @router.get(f"{PREFIX}/{{rest:path}}", include_in_schema=False)
    def unknown(rest: str) -> Response:
        raise not_found("địa chỉ", "path", f"{PREFIX}/{rest}"[:200])

    app.include_router(router)
    _handlers(app)
    if portal:
        app.mount("/", StaticFiles(directory=public, html=True, check_dir=False), name="portal")
    return app


def serve(public: Path, port: int, echo: Callable[[str], None] = print) -> None:
    """Run the portal and the API on 127.0.0.1:port until interrupted."""
    import uvicorn

    echo(f"Cổng dữ liệu / portal: http://127.0.0.1:{port}/")
    echo(f"API: http://127.0.0.1:{port}{PREFIX}/  (OpenAPI: {PREFIX}/openapi.json)  Ctrl-C to stop")
    uvicorn.run(create_app(public), host="127.0.0.1", port=port, log_level="warning")
