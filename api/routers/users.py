"""Accounts (admin) and the history of what a user did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from api.deps import AdminUser, CurrentUser, SessionDep
from api.errors import problems
from api.http import Limit, Offset
from api.routers.cases import history_out
from api.schemas import HistoryPageOut, UserIn, UserOut
from gis.access.accounts import create_user
from gis.cases.history import user_history
from gis.core.domain import Role
from gis.core.errors import PermissionDenied
from gis.models import User

router = APIRouter(prefix="/api/users", tags=["users"])
Username = Annotated[str, Path(max_length=64, description="tên đăng nhập")]


@router.get("", response_model=list[UserOut], responses=problems(401, 403),
            summary="List accounts (admin)")
def list_users(_admin: AdminUser, session: SessionDep) -> list[UserOut]:
    """Every account with its role, state and lockout."""
    return [UserOut.model_validate(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("", response_model=UserOut, status_code=201,
             responses=problems(401, 403, 404, 409, 422), summary="Create an account (admin)")
def add_user(body: UserIn, admin: AdminUser, session: SessionDep) -> UserOut:
    """A new account; field users may be limited to project codes and commune codes."""
    user = create_user(session, body.username, body.role, body.password,
                       full_name=body.full_name, projects=body.projects,
                       communes=body.communes)
    out = UserOut.model_validate(user)
    session.commit()
    return out


@router.get("/{username}/history", response_model=HistoryPageOut,
            responses=problems(401, 403, 404, 422), summary="What a user recorded or changed")
def read_user_history(username: Username, user: CurrentUser, session: SessionDep,
                      limit: Limit = 100, offset: Offset = 0) -> HistoryPageOut:
    """Events, payments and audited changes by this user, newest first. Field users may
    see only their own; a user limited to some projects/communes sees only what concerns
    the cases in them."""
    if user.role == Role.FIELD and username != user.username:
        raise PermissionDenied("field users see only their own history",
                               reason="own_history_only")
    total, entries = user_history(session, username, limit=limit, offset=offset,
                                  scope=user.scope)
    return history_out(total, entries, limit, offset, user)
