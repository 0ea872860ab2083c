"""Pages and their data need a signed-in user: HTML is redirected to /login, the rest 401.

``web`` does not import ``api``: it checks the session cookie with ``gis.access.logins`` directly.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gis.access.logins import SESSION, SESSION_COOKIE, resolve_token
from gis.access.scope import Scope, load_scope
from gis.models import User


class LoginRequired(Exception):
    """No valid session for a page or page-data request."""


def require_page_user(request: Request) -> User:
    """The signed-in user (any role) of a page request; stored on ``request.state.user``,
    their scope (``gis.access.scope``) on ``request.state.scope``."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with request.app.state.sessions() as session:
            found = resolve_token(session, token, SESSION)
            if found is not None:
                request.state.user = found[0]
                request.state.scope = load_scope(session, found[0].id, found[0].role)
                return found[0]
    raise LoginRequired


def page_scope(request: Request) -> Scope:
    """The projects/communes the page's user may see (set by ``require_page_user``)."""
    scope: Scope = request.state.scope
    return scope


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _login_required(request: Request, _exc: Exception) -> Response:
    if _wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return JSONResponse(
        {"type": "urn:gpmb:problem:authentication_required", "status": 401,
         "title": "Cần đăng nhập.", "detail": "Vui lòng đăng nhập để xem trang này.",
         "code": "authentication_required"},
        status_code=401, media_type="application/problem+json")


def install_login_redirect(app: FastAPI) -> None:
    """Register the handler that turns ``LoginRequired`` into a redirect or a 401."""
    app.add_exception_handler(LoginRequired, _login_required)
