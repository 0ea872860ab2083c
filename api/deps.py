"""Request dependencies that read like types: ``SessionDep``, ``CurrentUser``,
``Annotated[Principal, Depends(RequireRole(Role.STAFF))]`` (aliased below).

Who is calling: an ``Authorization: Bearer`` token (API clients) or the ``gpmb_session``
cookie (pages). Cookie-authenticated unsafe requests must pass the CSRF check: the
session's CSRF token (readable cookie ``gpmb_csrf``) echoed in the ``X-CSRF-Token``
header or a ``csrf_token`` form field, and an ``Origin``/``Referer``, when sent, naming
this host. Bearer requests are exempt: browsers never attach that header on their own.

The pages (``web``) use the same session look-up (``cookie_session``, ``look_up``) and the
same CSRF check (``csrf_refusal``), so the API and the pages refuse alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.access.logins import (
    BEARER,
    SESSION,
    SESSION_COOKIE,
    LoginPolicy,
    csrf_matches,
    resolve_token,
)
from gis.access.scope import OFFICE_ROLES, PERSONAL_DATA_ROLES, Scope, load_scope
from gis.core.domain import Role
from gis.core.errors import AuthenticationFailed, PermissionDenied
from gis.core.settings import Settings
from gis.models import AuthToken, User

CSRF_COOKIE = "gpmb_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="Token from POST /api/auth/token")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                             description="Session cookie from POST /api/auth/login")


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The process's engine, owned by the lifespan."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit explicitly, anything else is rolled back."""
    with request.app.state.sessions() as session:
        yield session


def get_login_policy(request: Request) -> LoginPolicy:
    """Lockout and token lifetimes (``app.state.login_policy``)."""
    policy: LoginPolicy = request.app.state.login_policy
    return policy


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
PolicyDep = Annotated[LoginPolicy, Depends(get_login_policy)]


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    id: int
    username: str
    full_name: str
    role: Role
    via: str  # "session" or "bearer"
    token_id: int
    scope: Scope  # projects/communes the user may see and change (``gis.access.scope``)

    @property
    def sees_personal_data(self) -> bool:
        """Citizen ID and phone numbers are shown only to staff and admin."""
        return self.role in PERSONAL_DATA_ROLES


def client_ip(request: Request) -> str:
    """The caller's address (as uvicorn saw it, proxy headers applied)."""
    return request.client.host if request.client else "unknown"


def same_origin(request: Request) -> bool:
    """True unless an Origin (or Referer) header names another host."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # the token check alone decides
    return urlsplit(source).netloc == request.headers.get("host", request.url.netloc)


@dataclass(frozen=True)
class Presented:
    """What a request presented (a bearer token or the session cookie), resolved against
    the database: the active user, the live token and the user's scope."""

    user: User
    token: AuthToken
    via_cookie: bool
    scope: Scope


def look_up(session: Session, credential: str, kind: str) -> Presented | None:
    """The user, token and scope of a bearer token (``BEARER``) or session cookie
    (``SESSION``); None when it is unknown, expired or revoked, or its user is disabled.
    The one look-up of the API, the pages and the tiles."""
    found = resolve_token(session, credential, kind)
    if found is None:
        return None
    user, token = found
    return Presented(user, token, kind == SESSION, load_scope(session, user.id, user.role))


def cookie_session(request: Request) -> Presented | None:
    """The session of the request's ``gpmb_session`` cookie (the pages' sign-in). It calls
    the database: call it from a plain ``def`` (FastAPI runs those in the thread pool),
    never on the event loop."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with request.app.state.sessions() as session:
        return look_up(session, cookie, SESSION)


def csrf_refusal(request: Request, presented: Presented | None, sent: str | None
                 ) -> PermissionDenied | None:
    """Why a cookie-authenticated unsafe request fails the CSRF check, or None when it
    passes: an ``Origin``/``Referer`` naming another host, or ``sent`` not being the CSRF
    token issued with the session. No database call. The API raises the refusal (403 with
    its ``reason``); a page shows its Vietnamese message."""
    if not same_origin(request):
        return PermissionDenied("cross-origin request", reason="csrf_origin",
                                message_vi="Yêu cầu đến từ trang khác; đã bị chặn (CSRF).")
    if presented is None or not csrf_matches(presented.token, sent):
        return PermissionDenied("missing or wrong CSRF token", reason="csrf_token",
                                message_vi="Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải "
                                "lại trang rồi thử lại.")
    return None


def check_csrf(request: Request, presented: Presented | None, sent: str | None) -> None:
    """Raise the CSRF refusal (``PermissionDenied``, 403) unless the check passes."""
    refusal = csrf_refusal(request, presented, sent)
    if refusal is not None:
        raise refusal


async def sent_csrf_token(request: Request) -> str | None:
    """The CSRF token a request presents: the ``X-CSRF-Token`` header, else the
    ``csrf_token`` field of a form body (read once; Starlette keeps the parsed form)."""
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent


def _resolve_presented(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Presented | None:
    """Look the bearer token or session cookie up. A plain ``def``, so FastAPI runs it in
    the thread pool: a database call on the event loop would stall every request the
    moment the connection pool runs dry."""
    if bearer is not None and bearer.scheme.lower() == "bearer":
        return look_up(session, bearer.credentials, BEARER)
    if cookie:
        return look_up(session, cookie, SESSION)
    return None


async def current_user(
    request: Request,
    presented: Annotated[Presented | None, Depends(_resolve_presented)],
) -> Principal:
    """The signed-in user, or 401; 403 for a cookie request failing the CSRF check.

    Only the CSRF check runs here (it may have to read the form, which is async); it makes
    no database call."""
    if presented is None:
        raise AuthenticationFailed("not signed in", reason="not_authenticated",
                                   message_vi="Bạn chưa đăng nhập hoặc phiên đăng nhập đã hết"
                                   " hạn.")
    if presented.via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request, presented, await sent_csrf_token(request))
    user, token = presented.user, presented.token
    return Principal(user.id, user.username, user.full_name, user.role, token.kind, token.id,
                     presented.scope)


CurrentUser = Annotated[Principal, Depends(current_user)]


class RequireRole:
    """Dependency: the current user, provided their role is one of ``roles`` (else 403)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, user: CurrentUser) -> Principal:
        """Check the role."""
        if user.role not in self.roles:
            raise PermissionDenied(f"role {user.role} not in {sorted(self.roles)}",
                                   reason="role_not_allowed", role=user.role.value)
        return user


CaseWriter = Annotated[Principal, Depends(RequireRole(*OFFICE_ROLES))]
"""May change cases, money and resettlement (staff; admin too)."""
FieldWriter = Annotated[Principal, Depends(RequireRole(*OFFICE_ROLES, Role.FIELD))]
"""May record what field teams do on site (notes, handover); the workflow checks scope."""
AdminUser = Annotated[Principal, Depends(RequireRole(Role.ADMIN))]
"""May manage accounts."""
