"""``/api/auth``: sign in (cookie session or bearer token), sign out, who am I."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.deps import (
    CSRF_COOKIE,
    CurrentUser,
    PolicyDep,
    SessionDep,
    SettingsDep,
    client_ip,
)
from api.errors import problems
from gis.access.logins import (
    BEARER,
    SESSION,
    SESSION_COOKIE,
    IssuedToken,
    authenticate,
    issue_token,
    revoke_token,
)
from gis.access.session_cache import cache_of
from gis.core.domain import Role
from gis.core.errors import AuthenticationFailed
from gis.core.settings import Settings
from gis.models import User

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Credentials(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    """The signed-in user."""

    id: int
    username: str
    full_name: str
    role: Role
    via: str = Field(description="session or bearer")
    projects: list[int] | None = Field(
        default=None, description="project ids the user is limited to (null: any)")
    communes: list[str] | None = Field(
        default=None, description="commune codes the user is limited to (null: any)")


class SessionOut(BaseModel):
    """A new browser session; send ``csrf_token`` as X-CSRF-Token on unsafe requests."""

    user: Me
    csrf_token: str
    expires_at: dt.datetime


class TokenOut(BaseModel):
    """A bearer token for API clients (shown once)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Cookies are Secure in production and whenever the request came over HTTPS."""
    return settings.environment == "production" or request.url.scheme == "https"


def set_session_cookies(response: Response, issued: IssuedToken, secure: bool) -> None:
    """The HttpOnly session cookie and the script-readable CSRF cookie (double submit)."""
    max_age = int((issued.expires_at - dt.datetime.now(dt.UTC)).total_seconds())
    response.set_cookie(SESSION_COOKIE, issued.token, max_age=max_age, httponly=True,
                        samesite="lax", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, issued.csrf_token or "", max_age=max_age, httponly=False,
                        samesite="lax", secure=secure, path="/")


def sign_in(request: Request, session: SessionDep, policy: PolicyDep,
            credentials: Credentials, kind: str) -> tuple[User, IssuedToken]:
    """Check the password (recording the attempt even when refused) and issue a token."""
    try:
        user = authenticate(session, credentials.username, credentials.password,
                            client_ip=client_ip(request), policy=policy)
    except AuthenticationFailed:
        session.commit()  # failed attempts and lockouts must stick
        raise
    issued = issue_token(session, user.id, kind, policy)
    session.commit()
    return user, issued


@router.post("/login", response_model=SessionOut, summary="Sign in with a session cookie",
             responses=problems(401, 422, 429))
def login(request: Request, response: Response, credentials: Credentials, session: SessionDep,
          policy: PolicyDep, settings: SettingsDep) -> SessionOut:
    """Start a browser session: sets ``gpmb_session`` (HttpOnly, SameSite=Lax) and
    ``gpmb_csrf``. Five wrong passwords in a row lock the account for 15 minutes."""
    user, issued = sign_in(request, session, policy, credentials, SESSION)
    set_session_cookies(response, issued, secure_cookies(request, settings))
    me = Me(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
            via=SESSION)
    return SessionOut(user=me, csrf_token=issued.csrf_token or "",
                      expires_at=issued.expires_at)


@router.post("/token", response_model=TokenOut, status_code=201,
             summary="Get a bearer token for an API client", responses=problems(401, 422, 429))
def token(request: Request, credentials: Credentials, session: SessionDep,
          policy: PolicyDep) -> TokenOut:
    """An opaque token for ``Authorization: Bearer``, valid 30 days unless revoked."""
    _user, issued = sign_in(request, session, policy, credentials, BEARER)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/logout", status_code=204, summary="Sign out",
             responses=problems(401, 403))
def logout(request: Request, user: CurrentUser, session: SessionDep,
           response: Response) -> Response:
    """End this session (or revoke this bearer token) and clear the cookies."""
    revoke_token(session, user.token_id)
    session.commit()
    cache_of(request.app.state).forget_user(user.id)  # tiles stop now, not on the next check
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, summary="The signed-in user", responses=problems(401))
def me(user: CurrentUser) -> Me:
    """Who is signed in, with which role and scope (``docs/access.md``)."""
    projects, communes = user.scope.key
    return Me(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
              via=user.via, projects=None if projects is None else list(projects),
              communes=None if communes is None else list(communes))
