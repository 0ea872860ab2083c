"""User accounts: creation, passwords (argon2), the first administrator."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from gis.core.domain import Role
from gis.core.errors import Conflict, InvalidInput, NotFound
from gis.core.lookups import project_by_code
from gis.models import Commune, Project, User, UserCommune, UserProject

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
DEFAULT_ADMIN = "admin"


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password that is easy to type: 4 groups of 4 letters/digits."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def check_password_strength(password: str) -> None:
    """Reject passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            message_vi="Mật khẩu phải có ít nhất {least} ký tự.",
            params={"least": MIN_PASSWORD_LENGTH},
        )


def create_user(
    session: Session,
    username: str,
    role: Role,
    password: str,
    *,
    full_name: str = "",
    projects: list[str] | None = None,
    communes: list[str] | None = None,
) -> User:
    """Create an account; field users may be limited to projects and communes."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            f"invalid username {username!r}: 3–64 of a-z, 0-9, '.', '_', '-'",
            message_vi="Tên đăng nhập chỉ gồm 3–64 ký tự a-z, 0-9, '.', '_', '-'.",
        )
    check_password_strength(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists",
                       message_vi="Tài khoản '{username}' đã tồn tại.",
                       params={"username": username})
    user = User(username=username, role=role, password_hash=hash_password(password),
                full_name=full_name)
    session.add(user)
    session.flush()
    _assign_scope(session, user, projects or [], communes or [])
    return user


def _assign_scope(session: Session, user: User, projects: list[str], communes: list[str]
                  ) -> None:
    """Give ``user`` exactly these project and commune codes (unknown codes refused)."""
    project_ids: set[int] = set()
    for code in projects:
        project_ids.add(project_by_code(session, code, field="projects").id)
    for code in communes:
        if session.get(Commune, code) is None:
            raise NotFound(f"commune {code!r} not found",
                           message_vi="Không tìm thấy xã/phường mã '{code}'.",
                           params={"code": code}, field="communes")
    session.execute(delete(UserProject).where(UserProject.user_id == user.id))
    session.execute(delete(UserCommune).where(UserCommune.user_id == user.id))
    session.add_all(UserProject(user_id=user.id, project_id=i) for i in sorted(project_ids))
    session.add_all(UserCommune(user_id=user.id, commune_code=c) for c in sorted(set(communes)))
    session.flush()


@dataclass(frozen=True)
class FirstAdmin:
    """The administrator created on first run, with the password shown once."""

    username: str
    password: str


def ensure_first_admin(session: Session) -> FirstAdmin | None:
    """Create ``admin`` with a generated password when there is no account at all."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = generate_password()
    create_user(session, DEFAULT_ADMIN, Role.ADMIN, password, full_name="Quản trị hệ thống")
    return FirstAdmin(DEFAULT_ADMIN, password)


def _get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"user {username!r} not found",
                       message_vi="Không tìm thấy tài khoản '{username}'.",
                       params={"username": username})
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to leave the system without an active administrator."""
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.is_active, User.id != user.id))
    if user.role == Role.ADMIN and user.is_active and not others:
        raise Conflict(f"{user.username} is the last active administrator",
                       reason="last_admin",
                       message_vi="'{username}' là quản trị viên duy nhất đang hoạt động; "
                       "tạo hoặc mở khoá một quản trị viên khác trước.",
                       params={"username": user.username})


def set_active(session: Session, username: str, *, active: bool) -> User:
    """Enable or disable an account (never the last active administrator)."""
    user = _get_user(session, username)
    if not active:
        _keep_an_admin(session, user)
    user.is_active = active
    session.flush()
    return user


def set_role(session: Session, username: str, role: Role) -> User:
    """Change an account's role (the last active administrator keeps hers)."""
    user = _get_user(session, username)
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    user.role = role
    session.flush()
    return user


def set_scope(session: Session, username: str, *, projects: list[str],
              communes: list[str]) -> User:
    """Replace the projects and communes an account is assigned to (field users work only
    there; an empty scope leaves a field account read-only)."""
    user = _get_user(session, username)
    _assign_scope(session, user, projects, communes)
    return user


@dataclass(frozen=True)
class Scope:
    """The project codes and commune codes an account is assigned to."""

    projects: tuple[str, ...]
    communes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """No assignment at all (a field account is then read-only)."""
        return not self.projects and not self.communes


def scope_of(session: Session, user_id: int) -> Scope:
    """What ``user_id`` is assigned to."""
    projects = session.scalars(select(Project.code).join(
        UserProject, UserProject.project_id == Project.id).where(
        UserProject.user_id == user_id).order_by(Project.code))
    communes = session.scalars(select(UserCommune.commune_code).where(
        UserCommune.user_id == user_id).order_by(UserCommune.commune_code))
    return Scope(tuple(projects), tuple(communes))


def reset_password(session: Session, username: str, password: str) -> User:
    """Set a new password and clear any lockout."""
    check_password_strength(password)
    user = _get_user(session, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def set_actor(session: Session, actor: str) -> None:
    """Name who makes the changes of the current transaction (read by the audit trigger)."""
    session.execute(text("SELECT set_config('gpmb.actor', :a, true)"), {"a": actor})
