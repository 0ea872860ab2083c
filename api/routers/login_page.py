"""``/login``: the server-rendered sign-in form for the pages (Vietnamese, no script)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import PolicyDep, SessionDep, SettingsDep, same_origin
from api.routers.auth import Credentials, secure_cookies, set_session_cookies, sign_in
from gis.errors import GpmbError
from gis.logins import SESSION

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "web" / "templates")
router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site ("/…", never "//host") may follow a sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _page(request: Request, status: int, *, error: str | None = None, username: str = "",
          next_url: str = "/") -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "login.html", {
        "error": error, "username": username, "next": next_url}, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _page(request, 200, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, session: SessionDep, policy: PolicyDep,
                 settings: SettingsDep, username: Annotated[str, Form()] = "",
                 password: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "/") -> Response:
    """Check the form; on success set the session cookies and go to ``next``."""
    target = safe_next(next)
    if not same_origin(request):  # login CSRF: a foreign page must not sign us in
        return _page(request, 403, error="Yêu cầu đến từ trang khác; đã bị chặn.",
                     next_url=target)
    if not username or not password:
        return _page(request, 422, error="Nhập tên đăng nhập và mật khẩu.", username=username,
                     next_url=target)
    try:
        _user, issued = sign_in(request, session, policy,
                                Credentials(username=username[:64], password=password[:1024]),
                                SESSION)
    except GpmbError as exc:
        status = 429 if exc.code == "login_throttled" else 401
        return _page(request, status, error=exc.message_vi, username=username, next_url=target)
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, issued, secure_cookies(request, settings))
    return response
