"""The one table mapping domain errors to HTTP, answered as application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis import errors as e

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: dict[type[e.GpmbError], int] = {
    e.InvalidInput: 422,
    e.BadGeometry: 422,
    e.ImportRejected: 422,
    e.InvalidTransition: 409,
    e.Conflict: 409,
    e.NotFound: 404,
    e.AuthenticationFailed: 401,
    e.PermissionDenied: 403,
    e.DatabaseUnavailable: 503,
    e.PostgisMissing: 503,
    e.ClusterError: 503,
    e.ConfigurationError: 500,
}


def status_for(exc: e.GpmbError) -> int:
    """HTTP status of a domain error (the nearest mapped base class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem response with GPMB's machine ``code``."""
    body = {"type": f"urn:gpmb:problem:{code}", "title": title, "status": status,
            "detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.GpmbError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    return problem(status, exc.code, exc.message_vi, exc.message_vi, **exc.extra)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return problem(422, "validation_error", "Dữ liệu gửi lên không hợp lệ.",
                   "Kiểm tra lại các trường được liệt kê.", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Không tìm thấy trang hoặc dữ liệu.", 405: "Phương thức không được hỗ trợ."}
    title = titles.get(exc.status_code, str(exc.detail))
    return problem(exc.status_code, f"http_{exc.status_code}", title, str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal", "Lỗi hệ thống, vui lòng thử lại hoặc báo quản trị.",
                   "Lỗi hệ thống, vui lòng thử lại hoặc báo quản trị.")


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers once, in the app factory."""
    app.add_exception_handler(e.GpmbError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
