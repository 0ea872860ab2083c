"""``/login``: the server-rendered sign-in form for the pages (Vietnamese, or English after
``?lang=en``; it works without script)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PolicyDep, SessionDep, SettingsDep, same_origin
from api.routers.auth import Credentials, secure_cookies, set_session_cookies, sign_in
from gis.access.logins import SESSION
from gis.core.domain import Role
from gis.core.errors import GpmbError
from web.i18n import request_language, translator
from web.templating import templates

router = APIRouter(include_in_schema=False)
LOCKED_VI = ("Tài khoản tạm khoá do đăng nhập sai nhiều lần; thử lại sau {minutes} phút hoặc nhờ"
             " quản trị đặt lại mật khẩu.")
"""The locked-account message with its minutes left open (the catalogue's key)."""


def safe_next(target: str | None) -> str:
    """Only a path on this site ("/…", never "//host") may follow a sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _page(request: Request, status: int, *, error: str | None = None, username: str = "",
          next_url: str = "/") -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {
        "error": error, "username": username, "next": next_url}, status_code=status)


def _sign_in_refused(request: Request, exc: GpmbError) -> str:
    """Why the sign-in failed, in the page's language (the API keeps its Vietnamese)."""
    if request_language(request) != "en":
        return exc.message_vi
    _ = translator(request)
    if exc.extra.get("reason") == "account_locked":
        minutes = max(1, -(-int(exc.extra.get("retry_after_s", 60)) // 60))
        return str(_(LOCKED_VI, minutes=minutes))
    return str(_(exc.message_vi))


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
    _ = translator(request)
    if not same_origin(request):  # login CSRF: a foreign page must not sign us in
        return _page(request, 403, error=_("Yêu cầu đến từ trang khác; đã bị chặn."),
                     next_url=target)
    if not username or not password:
        return _page(request, 422, error=_("Nhập tên đăng nhập và mật khẩu."), username=username,
                     next_url=target)
    try:
        user, issued = sign_in(request, session, policy,
                               Credentials(username=username[:64], password=password[:1024]),
                               SESSION)
    except GpmbError as exc:
        status = 429 if exc.code == "login_throttled" else 401
        return _page(request, status, error=_sign_in_refused(request, exc), username=username,
                     next_url=target)
    if target == "/" and user.role == Role.FIELD:
        target = "/field"  # field teams start on the tablet view, not the desktop overview
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, issued, secure_cookies(request, settings))
    return response
