"""Refusals as pages: a person following a link to an unknown project or case gets the
site's error page, in the page's language, not a problem+json body meant for programs."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from web.templating import templates

DATA_PATHS = ("/api/", "/field/api/", "/tiles/", "/static/")


def wants_page(request: Request) -> bool:
    """A browser navigating to a page (not a script or a client of the API)."""
    path = request.url.path
    if path.startswith(DATA_PATHS) or "/map/" in path:
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page for ``status`` with a Vietnamese ``message`` (translated when the
    catalogue has it)."""
    return templates.TemplateResponse(request, "case_error.html",
                                      {"status": status, "message": message},
                                      status_code=status, headers=headers)
