"""What keeps the HTTP answers to the OpenAPI document, at the mechanism rather than per
route:

- ``IsoDate``: a date given as text must be ``YYYY-MM-DD`` (pydantic alone would take
  ``as_of=0`` as 1970-01-01, though the document says ``format: date``);
- ``allowed_methods``: the ``Allow`` of a resource is every method of the route(s) that
  serve that path — Starlette names only the first route it tried — and a static path
  (``/api/cases/bulk-steps``) is not also "a case id" of the routes beside it;
- ``is_malformed_body``: a body that is not JSON at all is a malformed request (400),
  not an invalid one (422); ``document_bodies`` says so on every operation with a body.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi.routing import iter_route_contexts
from pydantic import BeforeValidator
from starlette.routing import BaseRoute
from starlette.types import Scope

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date must be written YYYY-MM-DD, e.g. 2025-03-31")
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a date must be written YYYY-MM-DD, e.g. 2025-03-31")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date that only an ISO 8601 calendar date (``2025-03-31``) gives."""


def _params(route: Any) -> int:
    return len(route.param_convertors)


def matching_routes(routes: list[BaseRoute], path: str) -> list[Any]:
    """The routes serving ``path`` (those of included routers too): those whose pattern
    matches it, keeping only the most specific ones (a literal path beats a path
    parameter that would also match it). Mounts (static files) have no methods: left out."""
    found = [r for r in iter_route_contexts(routes)
             if getattr(r, "methods", None) and r.path_regex.match(path)]
    if not found:
        return []
    fewest = min(_params(r) for r in found)
    return [r for r in found if _params(r) == fewest]


def allowed_methods(routes: list[BaseRoute], path: str) -> list[str]:
    """The ``Allow`` list of ``path`` (HEAD with GET; OPTIONS always), or [] if no route."""
    serving = matching_routes(routes, path)
    methods = {m for r in serving for m in (r.methods or ())}
    if not serving:
        return []
    methods.add("OPTIONS")
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


def wrong_method(routes: list[BaseRoute], scope: Scope) -> list[str] | None:
    """When the request reached a parametrised route only because a literal path of
    other methods also matched it (``GET /api/cases/bulk-steps``): that path's ``Allow``
    (the answer is 405); otherwise None."""
    path, method = scope.get("path", ""), scope.get("method", "")
    serving = matching_routes(routes, path)
    if not serving or any(method in (r.methods or ()) for r in serving):
        return None
    return allowed_methods(routes, path)


def is_malformed_body(errors: list[dict[str, Any]]) -> bool:
    """True when the request body could not even be parsed (not JSON)."""
    return any(err.get("type") == "json_invalid" for err in errors)


def document_bodies(schema: dict[str, Any], problem_ref: dict[str, Any]) -> None:
    """Every operation taking a body documents the 400 of a malformed one."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("400", {
                    "description": "Malformed body (not JSON, or a broken form)",
                    "content": problem_ref})
