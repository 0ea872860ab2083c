"""Sign-in state: session and bearer tokens (only their SHA-256 is stored), login attempts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CHAR, BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class AuthToken(Base):
    """An opaque token: a browser session (with its CSRF token) or an API bearer token."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_hash: Mapped[str] = mapped_column(CHAR(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    csrf_hash: Mapped[str | None] = mapped_column(CHAR(64))
    created_at: Mapped[dt.datetime] = created_at()
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """One sign-in attempt, for rate limiting by client address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    client_ip: Mapped[str] = mapped_column(Text)
    ok: Mapped[bool]
    at: Mapped[dt.datetime] = created_at()
