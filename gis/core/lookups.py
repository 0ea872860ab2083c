"""Look-ups every package needs, written once: a project by its code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.core.errors import NotFound
from gis.core.formats import Term
from gis.models import Project

if TYPE_CHECKING:
    from gis.access.scope import Scope


def project_by_code(session: Session, code: str, *, scope: Scope | None = None,
                    lock: bool = False, hint_vi: str = "", **extra: Any) -> Project:
    """The project with this code, or ``NotFound`` with a user-safe message (also for a
    project outside ``scope``, so codes cannot be probed). ``lock``: its row is locked so
    writes on the project are serialised; ``hint_vi`` is added to the message (what to do);
    ``extra`` goes into the error (``reason``, ``field``)."""
    query = select(Project).where(Project.code == code)
    project = session.scalar(query.with_for_update() if lock else query)
    if project is None or (scope is not None and not scope.allows_project(project.id)):
        raise NotFound(f"no project {code!r}", message_vi="Không có dự án {code}. {hint}"
                       if hint_vi else "Không có dự án {code}.",
                       params={"code": code, "hint": Term(hint_vi or "")}, **extra)
    return project
