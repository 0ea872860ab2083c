"""The one table mapping domain errors to HTTP, answered as application/problem+json.

Body members: RFC 9457 ``type``, ``title``, ``status``, ``detail``, GPMB's machine ``code``,
``errors`` (request validation only) and ``extra`` — the domain error's own details
(``reason``, ``current_version``…), kept under one key so they never clash with the
standard members.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.contract import allowed_methods, document_bodies, is_malformed_body, wrong_method
from gis.access.logins import LoginThrottled
from gis.core import errors as e
from gis.db.translate import translate
from gis.ingest.guards import UploadTooLarge
from web.error_pages import error_page, wants_page
from web.i18n import error_text, request_language

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

TOO_LARGE_VI = "Tệp quá lớn: tối đa 10 MB."


class PreconditionRequired(e.InvalidInput):
    """A change that must name the version it was based on did not."""

    code = "version_required"
    message_vi = ("Thiếu phiên bản hồ sơ: gửi tiêu đề If-Match (ETag) hoặc trường 'version' "
                  "để tránh ghi đè thay đổi của người khác.")


class PayloadTooLarge(e.InvalidInput):
    """The uploaded file is bigger than the limit."""

    code = "payload_too_large"
    message_vi = TOO_LARGE_VI


STATUS_BY_ERROR: Mapping[type[e.GpmbError], int] = MappingProxyType({
    PreconditionRequired: 428,
    PayloadTooLarge: 413,
    UploadTooLarge: 413,
    e.InvalidInput: 422,
    e.InvalidQuery: 400,
    e.BadGeometry: 422,
    e.ImportRejected: 422,
    e.InvalidTransition: 409,
    e.Conflict: 409,
    e.NotFound: 404,
    LoginThrottled: 429,
    e.AuthenticationFailed: 401,
    e.PermissionDenied: 403,
    e.DatabaseUnavailable: 503,
    e.PostgisMissing: 503,
    e.ClusterError: 503,
    e.ConfigurationError: 500,
})
"""Every domain error's status, written here once and read-only: nothing adds to it at
import time. The nearest mapped base class of an error wins (``status_for``); the pages
answer the same status as the API."""


class FieldError(BaseModel):
    """One request-validation failure."""

    loc: list[str]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem body (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None
    extra: dict[str, Any] | None = None


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for a problem answer."""
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what error answers really are: every 4xx/5xx
    (FastAPI's generated 422 included) is ``application/problem+json`` with ``Problem``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in {"4", "5"}:
                    response["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    document_bodies(schema, {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}})
    return schema


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given problem statuses, with standard descriptions."""
    text = {400: "Bad request", 401: "Not signed in (or the token expired)",
            403: "Role or CSRF check refused the request", 404: "Not found",
            409: "Conflict: stale version, invalid transition or reused idempotency key",
            412: "Precondition failed", 413: "File too large", 415: "Unsupported media type",
            422: "Invalid input", 429: "Too many failed sign-ins",
            503: "Database unavailable"}
    return {s: problem_response(text.get(s, "Error")) for s in statuses}


def status_for(exc: e.GpmbError) -> int:
    """HTTP status of a domain error (the nearest mapped base class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem(status: int, code: str, title: str, detail: str, *,
            errors: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 9457 problem response with GPMB's machine ``code``."""
    body: dict[str, Any] = {"type": f"urn:gpmb:problem:{code}", "title": title,
                            "status": status, "detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    if extra:
        body["extra"] = extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.GpmbError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="gpmb"'
    if status == 429 and "retry_after_s" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after_s"])
    if isinstance(exc, e.DatabaseUnavailable):
        headers["Retry-After"] = str(exc.retry_after_s)
    if status != 401 and wants_page(request):  # a person on a page: the same status, as HTML
        return error_page(request, status, error_text(exc, request_language(request)),
                          headers=headers or None)
    return problem(status, exc.code, exc.message_vi, exc.message_vi,
                   extra=_jsonable(exc.extra), headers=headers or None)


def _method_not_allowed(allow: list[str]) -> JSONResponse:
    return problem(405, "http_405", "Phương thức không được hỗ trợ.",
                   f"Đường dẫn này chỉ nhận: {', '.join(allow)}.",
                   headers={"Allow": ", ".join(allow)})


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]
    if is_malformed_body(errors):
        return problem(400, "malformed_body", "Nội dung gửi lên không đọc được.",
                       "Thân yêu cầu không phải JSON hợp lệ; kiểm tra dấu ngoặc, dấu phẩy "
                       "và bảng mã UTF-8.", errors=errors)
    if all(err["loc"][:1] == ["path"] for err in errors):
        allow = wrong_method(request.app.router.routes, request.scope)
        if allow:
            return _method_not_allowed(allow)
    return problem(422, "validation_error", "Dữ liệu gửi lên không hợp lệ.",
                   "Kiểm tra lại các trường được liệt kê.", errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        allow = allowed_methods(request.app.router.routes, request.url.path)
        if request.method == "OPTIONS" and allow:
            return Response(status_code=204, headers={"Allow": ", ".join(allow)})
        if allow:
            return _method_not_allowed(allow)
    titles = {404: "Không tìm thấy trang hoặc dữ liệu.", 405: "Phương thức không được hỗ trợ."}
    title = titles.get(exc.status_code, str(exc.detail))
    if exc.status_code == 404 and wants_page(request):
        return error_page(request, 404, title)
    return problem(exc.status_code, f"http_{exc.status_code}", title, str(exc.detail),
                   headers=dict(exc.headers) if exc.headers else None)


async def _database_error(request: Request, exc: Exception) -> Response:
    """Driver and pool failures a person can act on (server down, pool exhausted, a time
    limit, NUL text) become their domain errors; anything else is a bug."""
    translated = translate(exc)
    if translated is None:
        return await _unexpected(request, exc)
    return await _domain_error(request, translated)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal", "Lỗi hệ thống, vui lòng thử lại hoặc báo quản trị.",
                   "Lỗi hệ thống, vui lòng thử lại hoặc báo quản trị.")


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers once, in the app factory."""
    app.add_exception_handler(e.GpmbError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(psycopg.Error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
