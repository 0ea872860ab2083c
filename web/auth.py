"""Pages and their data need a signed-in user: HTML is redirected to /login, the rest 401.

The session cookie is looked up once per request, by the API's own look-up
(``api.deps.cookie_session``); what it found stays on the request for the CSRF check of a
form post (``web.page_posts``) and the scope checks of the page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.deps import Presented, cookie_session
from gis.access.scope import Scope
from gis.models import User


class LoginRequired(Exception):
    """No valid session for a page or page-data request."""


def require_page_user(request: Request) -> User:
    """The signed-in user (any role) of a page request; stored on ``request.state.user``,
    their scope (``gis.access.scope``) on ``request.state.scope``, the session itself on
    ``request.state.presented``. A plain ``def``: the look-up runs in the thread pool."""
    presented = cookie_session(request)
    if presented is None:
        raise LoginRequired
    request.state.presented = presented
    request.state.user = presented.user
    request.state.scope = presented.scope
    return presented.user


def page_session(request: Request) -> Presented | None:
    """The session ``require_page_user`` found for this request (None outside the pages)."""
    presented: Presented | None = getattr(request.state, "presented", None)
    return presented


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
