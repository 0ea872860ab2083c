"""Signing in: password checks with lockout and rate limiting, opaque tokens.

Tokens are 256-bit random strings handed to the client once; the database keeps only their
SHA-256, an expiry and a revocation time. Opaque rather than signed tokens because they
can be revoked at once (logout, a disabled account, a stolen tablet) and need no secret
key; checking one costs a single indexed query. A browser session also carries a CSRF
token (stored hashed the same way) that unsafe requests must echo back.

Functions run in the caller's transaction. ``authenticate`` writes even when it refuses
(failed-attempt counters): the caller commits before re-raising its error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from gis.access.accounts import hash_password, verify_password
from gis.core.errors import AuthenticationFailed
from gis.models import AuthToken, LoginAttempt, User

SESSION = "session"
BEARER = "bearer"
SESSION_COOKIE = "gpmb_session"
"""Cookie carrying a browser session token (HttpOnly)."""
_DUMMY_HASH = hash_password("không-phải-mật-khẩu-thật")  # equal work for unknown users


class LoginThrottled(AuthenticationFailed):
    """Too many failed sign-ins: the account is locked or the client is slowed down."""

    code = "login_throttled"
    message_vi = "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau."


@dataclass(frozen=True)
class LoginPolicy:
    """Lockout and lifetime limits (tests may pass tighter or looser ones)."""

    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    ip_window: dt.timedelta = dt.timedelta(minutes=15)
    ip_max_failures: int = 30
    session_ttl: dt.timedelta = dt.timedelta(hours=12)
    bearer_ttl: dt.timedelta = dt.timedelta(days=30)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token (shown to the client once) and, for sessions, its CSRF token."""

    token: str
    csrf_token: str | None
    expires_at: dt.datetime
    user_id: int


def digest(token: str) -> str:
    """SHA-256 hex of a token: what the database stores."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now(session: Session) -> dt.datetime:
    now: dt.datetime = session.execute(select(func.now())).scalar_one()  # the database's clock
    return now


def _minutes(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() // 60))


def authenticate(session: Session, username: str, password: str, *, client_ip: str,
                 policy: LoginPolicy) -> User:
    """The active user with this password, or ``AuthenticationFailed``/``LoginThrottled``.

    After ``policy.max_failures`` wrong passwords in a row the account is locked for
    ``policy.lockout``; a client address with too many failures in ``policy.ip_window`` is
    refused outright. Every attempt is recorded.
    """
    now = _now(session)
    name = username.strip().lower()[:64]
    ip_failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.client_ip == client_ip, LoginAttempt.ok.is_(False),
        LoginAttempt.at > now - policy.ip_window)) or 0
    if ip_failures >= policy.ip_max_failures:
        raise LoginThrottled(f"too many failed logins from {client_ip}",
                             reason="ip_throttled",
                             retry_after_s=int(policy.ip_window.total_seconds()))
    user = session.scalar(select(User).where(User.username == name))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        session.add(LoginAttempt(username=name, client_ip=client_ip, ok=False))
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise LoginThrottled(f"account {name} locked", reason="account_locked",
                             retry_after_s=wait, message_vi="Tài khoản tạm khoá do đăng nhập"
                             " sai nhiều lần; thử lại sau {minutes} phút hoặc nhờ quản trị đặt "
                             "lại mật khẩu.",
                             params={"minutes": _minutes(user.locked_until - now)})
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    session.add(LoginAttempt(username=name, client_ip=client_ip, ok=ok and user is not None))
    if user is None or not ok or not user.is_active:
        if user is not None and not ok:
            _count_failure(session, user, now, policy)
        session.flush()
        raise AuthenticationFailed(f"login refused for {name!r}", reason="bad_credentials")
    if user.failed_logins or user.locked_until is not None:
        session.execute(update(User).where(User.id == user.id).values(
            failed_logins=0, locked_until=None, version=User.version + 1))
    session.flush()
    return user


def _count_failure(session: Session, user: User, now: dt.datetime, policy: LoginPolicy) -> None:
    # One UPDATE, not an ORM read-modify-write: concurrent attempts must all count.
    failures = User.failed_logins + 1
    session.execute(update(User).where(User.id == user.id).values(
        failed_logins=failures, version=User.version + 1,
        locked_until=case((failures >= policy.max_failures, now + policy.lockout),
                          else_=User.locked_until)))


def issue_token(session: Session, user_id: int, kind: str, policy: LoginPolicy) -> IssuedToken:
    """Create a session (with a CSRF token) or a bearer token for ``user_id``."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if kind == SESSION else None
    expires = _now(session) + (policy.session_ttl if kind == SESSION else policy.bearer_ttl)
    session.add(AuthToken(token_hash=digest(token), user_id=user_id, kind=kind,
                          csrf_hash=digest(csrf) if csrf else None, expires_at=expires))
    session.flush()
    return IssuedToken(token, csrf, expires, user_id)


def resolve_token(session: Session, token: str, kind: str) -> tuple[User, AuthToken] | None:
    """The active user and the live token of this kind, or None."""
    row = session.execute(
        select(User, AuthToken).join(AuthToken, AuthToken.user_id == User.id).where(
            AuthToken.token_hash == digest(token), AuthToken.kind == kind,
            AuthToken.revoked_at.is_(None), AuthToken.expires_at > func.now(),
            User.is_active.is_(True))).first()
    return (row[0], row[1]) if row else None


def csrf_matches(token: AuthToken, presented: str | None) -> bool:
    """True when ``presented`` is the CSRF token issued with this session."""
    if not presented or token.csrf_hash is None:
        return False
    return hmac.compare_digest(digest(presented), token.csrf_hash)


def revoke_token(session: Session, token_id: int) -> None:
    """End a session or withdraw a bearer token."""
    session.execute(update(AuthToken).where(AuthToken.id == token_id,
                                            AuthToken.revoked_at.is_(None))
                    .values(revoked_at=func.now()))
