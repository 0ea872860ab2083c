"""Who may see and change what: a user's scope (phạm vi được phân công).

A scope is a set of project ids and a set of commune codes; ``None`` on an axis means no
limit on it. A clearance case is in scope when its project is in the projects (if
limited) and its parcel's commune is in the communes (if limited). A parcel is in scope
when its commune is in the communes (if limited) and, when projects are limited, it has a
case of one of them. A project is visible when it is in the projects (if limited).

Where scopes come from (``user_projects``, ``user_communes``, set by ``gpmb user add
--project/--commune``):

- admin: always the whole province, whatever is assigned;
- staff and leader: the whole province when nothing is assigned, otherwise the assignment;
- field: only the assignment; a field user with none sees and changes nothing.

Reads outside the scope answer "not found" (so ids cannot be probed); lists are filtered.
Writes outside it raise ``OutOfScope``. Every read and write path applies ``Scope`` here,
in the domain, so the API, the pages, the field view, exports and tiles agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, null, select, true, union_all
from sqlalchemy.orm import Session

from gis.core.domain import Role
from gis.core.errors import NotFound, PermissionDenied
from gis.core.formats import Term
from gis.models import ClearanceCase, Parcel, Project, UserCommune, UserProject

OFFICE_ROLES = frozenset({Role.STAFF, Role.ADMIN})
"""The office: staff and admin. They change cases, money, household records and
resettlement, import parcel files and resolve field conflicts; leaders only read and field
teams record what they do on site."""
PERSONAL_DATA_ROLES = OFFICE_ROLES
"""Roles that see land users' citizen ID and phone numbers; every other role gets names only."""

OUT_OF_SCOPE_VI = "Hồ sơ không thuộc dự án/xã được phân công cho bạn."


class OutOfScope(PermissionDenied):
    """A write on a case, parcel or project outside the user's assigned scope."""

    code = "out_of_scope"
    message_vi = OUT_OF_SCOPE_VI


@dataclass(frozen=True)
class Scope:
    """Projects and communes a user may work on (``None``: no limit on that axis)."""

    projects: frozenset[int] | None = None
    communes: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        """True for the whole province."""
        return self.projects is None and self.communes is None

    @property
    def key(self) -> tuple[tuple[int, ...] | None, tuple[str, ...] | None]:
        """A hashable, order-free form for cache keys."""
        return (None if self.projects is None else tuple(sorted(self.projects)),
                None if self.communes is None else tuple(sorted(self.communes)))

    def allows(self, project_id: int, commune_code: str) -> bool:
        """Whether a case of ``project_id`` on a parcel of ``commune_code`` is in scope."""
        return self.allows_project(project_id) and self.allows_commune(commune_code)

    def allows_project(self, project_id: int) -> bool:
        """Whether the project is visible (its own data may still be commune-limited)."""
        return self.projects is None or project_id in self.projects

    def allows_commune(self, commune_code: str) -> bool:
        """Whether the commune is within the scope."""
        return self.communes is None or commune_code in self.communes

    def case_clause(self, project_col: Any = ClearanceCase.project_id,
                    commune_col: Any = Parcel.commune_code) -> ColumnElement[bool]:
        """SQL condition for cases in scope (the query joins the case's parcel)."""
        conds: list[ColumnElement[bool]] = []
        if self.projects is not None:
            conds.append(project_col.in_(sorted(self.projects)) if self.projects else false())
        if self.communes is not None:
            conds.append(commune_col.in_(sorted(self.communes)) if self.communes else false())
        return and_(*conds) if conds else true()

    def project_clause(self, project_col: Any = None) -> ColumnElement[bool]:
        """SQL condition for visible projects (over ``Project.id`` by default)."""
        if self.projects is None:
            return true()
        col = Project.id if project_col is None else project_col
        return col.in_(sorted(self.projects)) if self.projects else false()

    def parcel_clause(self) -> ColumnElement[bool]:
        """SQL condition for parcels in scope (over ``Parcel``)."""
        conds: list[ColumnElement[bool]] = []
        if self.communes is not None:
            conds.append(Parcel.commune_code.in_(sorted(self.communes))
                         if self.communes else false())
        if self.projects is not None:
            conds.append(exists().where(ClearanceCase.parcel_id == Parcel.id,
                                        ClearanceCase.project_id.in_(sorted(self.projects)))
                         if self.projects else false())
        return and_(*conds) if conds else true()

    def sql_params(self) -> dict[str, list[int] | list[str] | None]:
        """Parameters ``scope_projects`` / ``scope_communes`` for raw SQL using
        ``scope_case_sql`` (``None``: no limit; an empty list: nothing)."""
        return {"scope_projects": None if self.projects is None else sorted(self.projects),
                "scope_communes": None if self.communes is None else sorted(self.communes)}


PROVINCE = Scope()
"""The whole province: no limit."""
NOTHING = Scope(frozenset(), frozenset())
"""No project, no commune (a field user without an assignment)."""

SCOPE_PROJECT_SQL = ("(CAST(:scope_projects AS integer[]) IS NULL "
                     "OR {project} = ANY(CAST(:scope_projects AS integer[])))")
SCOPE_COMMUNE_SQL = ("(CAST(:scope_communes AS text[]) IS NULL "
                     "OR {commune} = ANY(CAST(:scope_communes AS text[])))")


def scope_case_sql(project: str, commune: str) -> str:
    """A raw-SQL condition (``:scope_projects``, ``:scope_communes`` from
    ``Scope.sql_params``) for a case whose project and commune are the given columns."""
    return (SCOPE_PROJECT_SQL.format(project=project) + " AND "
            + SCOPE_COMMUNE_SQL.format(commune=commune))


def make_scope(role: Role, projects: Iterable[int], communes: Iterable[str]) -> Scope:
    """The scope of a user of ``role`` with these assignments (see the module's rules)."""
    assigned_projects, assigned_communes = frozenset(projects), frozenset(communes)
    if role == Role.ADMIN:
        return PROVINCE
    if role == Role.FIELD and not assigned_projects and not assigned_communes:
        return NOTHING
    return Scope(assigned_projects or None, assigned_communes or None)


def load_scope(session: Session, user_id: int, role: Role) -> Scope:
    """The scope of a user, read from ``user_projects`` and ``user_communes``."""
    if role == Role.ADMIN:
        return PROVINCE
    query: Any = union_all(  # one round trip: this runs on every request
        select(UserProject.project_id, null().label("commune"))
        .where(UserProject.user_id == user_id),
        select(null(), UserCommune.commune_code).where(UserCommune.user_id == user_id))
    rows: list[tuple[int | None, str | None]] = [(r[0], r[1]) for r in session.execute(query)]
    return make_scope(role, (p for p, _ in rows if p is not None),
                      (c for _, c in rows if c is not None))


def case_place(session: Session, case_id: int) -> tuple[int, str] | None:
    """(project id, commune code) of a case, or None when there is no such case."""
    row = session.execute(select(ClearanceCase.project_id, Parcel.commune_code)
                          .join(Parcel, Parcel.id == ClearanceCase.parcel_id)
                          .where(ClearanceCase.id == case_id)).first()
    return (row[0], row[1]) if row is not None else None


def case_not_found(case_id: int) -> NotFound:
    """The answer for a case that does not exist or is outside the reader's scope."""
    return NotFound(f"case {case_id} not found", message_vi="Không tìm thấy hồ sơ GPMB số "
                    "{case_id}.", params={"case_id": str(case_id)}, reason="case_not_found",
                    case_id=case_id)


def require_case(session: Session, scope: Scope, case_id: int) -> None:
    """NotFound unless the case exists and is within ``scope`` (reads)."""
    place = case_place(session, case_id)
    if place is None or not scope.allows(*place):
        raise case_not_found(case_id)


def check_case_write(scope: Scope, case_id: int, project_id: int, commune_code: str) -> None:
    """OutOfScope unless a case of ``project_id`` in ``commune_code`` is within ``scope``."""
    if not scope.allows(project_id, commune_code):
        raise OutOfScope(f"case {case_id} outside the user's assignment",
                         reason="out_of_scope", case_id=case_id)


def require_project(scope: Scope, project_id: int) -> None:
    """NotFound unless the project is visible in ``scope`` (reads)."""
    if not scope.allows_project(project_id):
        raise NotFound(f"project {project_id} not found", message_vi="Không tìm thấy dự án số "
                       "{project}.", params={"project": str(project_id)},
                       reason="project_not_found")


def check_project_write(scope: Scope, project_id: int) -> None:
    """OutOfScope unless the user may change project-wide data (capital plans,
    disbursements) of ``project_id``: it is in their projects and they are not limited
    to some communes only."""
    if not scope.allows_project(project_id) or scope.communes is not None:
        raise OutOfScope(f"project {project_id} outside the user's assignment",
                         message_vi="Dự án không thuộc phạm vi được phân công cho bạn."
                         if not scope.allows_project(project_id) else "Kế hoạch vốn và giải "
                         "ngân của dự án chỉ dành cho tài khoản được giao cả dự án; bạn chỉ "
                         "được phân công một số xã/phường.",
                         reason="out_of_scope", project_id=project_id)


def require_province(scope: Scope, what_vi: str) -> None:
    """OutOfScope for a user limited to some projects/communes doing something that
    reaches the whole province (imports, national rates)."""
    if not scope.unrestricted:
        raise OutOfScope("province-wide action by a scoped user",
                         message_vi="{what:cap} chỉ dành cho tài khoản được giao toàn tỉnh; "
                         "bạn chỉ được phân công một số dự án/xã.",
                         params={"what": Term(what_vi)}, reason="out_of_scope")
