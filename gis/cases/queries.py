"""Read side of clearance cases: the filtered, paged list and one case in full.

Text search: "12/345" (or "tờ 12 thửa 345") finds sheet 12, parcel 345; anything else is
matched against land users' names through the trigram index on ``lower(full_name)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE, Scope, case_not_found, require_case
from gis.core.collation import vi_name_key
from gis.core.domain import CaseStep
from gis.core.text import parse_sheet_parcel
from gis.models import (
    CaseEvent,
    CaseNextDeadline,
    ClearanceCase,
    Commune,
    LandUser,
    LandUseType,
    Parcel,
    ParcelLandUser,
    Payment,
    Project,
    ResettlementAllocation,
)
from gis.workflow.overdue import CaseDeadline, case_deadlines


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to (None: no condition). ``scope`` is the reader's
    (``gis.access.scope``): routes always pass the signed-in user's."""

    project_id: int | None = None
    commune_code: str | None = None
    steps: tuple[CaseStep, ...] = ()
    overdue: bool | None = None
    q: str | None = None
    land_use: str | None = None
    scope: Scope = PROVINCE


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: int
    project_id: int
    project_code: str
    parcel_id: int
    commune_code: str
    sheet_no: int
    parcel_no: int
    land_use_code: str
    step: CaseStep
    recovered_area_m2: Decimal
    approved_total_vnd: int
    paid_vnd: int
    outstanding_vnd: int
    holders: list[str]
    version: int
    responsible_officer: str | None = None
    responsible_unit: str | None = None


@dataclass(frozen=True)
class CasePage:
    """A page of the case list and the number of matching cases."""

    total: int
    items: list[CaseRow]


@dataclass(frozen=True)
class CaseDetail:
    """A case with its parcel, holders, history, ledger, next deadline and resettlement."""

    case: ClearanceCase
    project_code: str
    parcel: Parcel
    holders: list[tuple[LandUser, int]]
    events: Sequence[CaseEvent]
    payments: Sequence[Payment]
    next_deadline: CaseDeadline | None
    allocations: Sequence[ResettlementAllocation]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def overdue_among(session: Session, case_ids: Sequence[int], today: dt.date) -> set[int]:
    """Which of ``case_ids`` have an obligation overdue on ``today``: read from the
    trigger-kept ``case_next_deadlines`` (what ``gis.workflow.overdue`` computes; a test in
    tests/gis/maps/test_tiles.py holds the two together), by primary key."""
    if not case_ids:
        return set()
    return set(session.scalars(select(CaseNextDeadline.case_id).where(
        CaseNextDeadline.case_id.in_(case_ids), CaseNextDeadline.due_on < today)))


def _conditions(session: Session, f: CaseFilter, today: dt.date) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if not f.scope.unrestricted:
        conds.append(f.scope.case_clause())
    if f.project_id is not None:
        conds.append(ClearanceCase.project_id == f.project_id)
    if f.commune_code is not None:
        conds.append(Parcel.commune_code == f.commune_code)
    if f.steps:
        conds.append(ClearanceCase.step.in_(f.steps))
    if f.land_use is not None:
        conds.append(Parcel.land_use_code == f.land_use)
    if f.overdue is not None:
        late = exists().where(CaseNextDeadline.case_id == ClearanceCase.id,
                              CaseNextDeadline.due_on < today)
        conds.append(late if f.overdue else ~late)
    q = (f.q or "").strip()
    if q:
        sheet_parcel = parse_sheet_parcel(q)
        if sheet_parcel:
            conds.append(and_(Parcel.sheet_no == sheet_parcel[0],
                              Parcel.parcel_no == sheet_parcel[1]))
        else:
            conds.append(exists().where(
                ParcelLandUser.parcel_id == ClearanceCase.parcel_id,
                LandUser.id == ParcelLandUser.land_user_id,
                func.lower(LandUser.full_name).like(_like(q), escape="\\")))
    return conds


def _holder_names() -> Any:
    return (select(func.array_agg(func.distinct(LandUser.full_name)))
            .join(ParcelLandUser, ParcelLandUser.land_user_id == LandUser.id)
            .where(ParcelLandUser.parcel_id == ClearanceCase.parcel_id)
            .correlate(ClearanceCase).scalar_subquery())


SORTS: dict[str, tuple[Any, ...]] = {
    "id": (ClearanceCase.id,),
    "parcel": (Parcel.commune_code, Parcel.sheet_no, Parcel.parcel_no, ClearanceCase.id),
    "step": (ClearanceCase.step, ClearanceCase.id),
    "outstanding": ((ClearanceCase.approved_total_vnd - ClearanceCase.paid_vnd).desc(),
                    ClearanceCase.id),
    "area": (ClearanceCase.recovered_area_m2.desc(), ClearanceCase.id),
}
"""Orders the case list offers (each ends on the id, so paging is stable)."""


def search_cases(session: Session, f: CaseFilter, *, limit: int, offset: int,
                 today: dt.date, sort: str = "id") -> CasePage:
    """Cases matching ``f`` in the order ``sort`` (a key of ``SORTS``), one page of them
    and the total."""
    conds = _conditions(session, f, today)
    base: Select[Any] = (select(ClearanceCase.id)
                         .join(Parcel, Parcel.id == ClearanceCase.parcel_id).where(*conds))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = (select(ClearanceCase, Project.code, Parcel.commune_code, Parcel.sheet_no,
                   Parcel.parcel_no, Parcel.land_use_code, _holder_names())
            .join(Parcel, Parcel.id == ClearanceCase.parcel_id)
            .join(Project, Project.id == ClearanceCase.project_id)
            .where(*conds).order_by(*SORTS.get(sort, SORTS["id"]))
            .limit(limit).offset(offset))
    items = [CaseRow(c.id, c.project_id, code, c.parcel_id, commune, sheet, no, land_use,
                     c.step, c.recovered_area_m2, c.approved_total_vnd, c.paid_vnd,
                     c.outstanding_vnd, sorted(names or []), c.version,
                     c.responsible_officer, c.responsible_unit)
             for c, code, commune, sheet, no, land_use, names in session.execute(stmt)]
    return CasePage(int(total), items)


def step_counts(session: Session, f: CaseFilter, today: dt.date) -> dict[CaseStep, int]:
    """How many cases match ``f`` at each step (the step condition itself left out)."""
    conds = _conditions(session, replace(f, steps=()), today)
    stmt = (select(ClearanceCase.step, func.count())
            .join(Parcel, Parcel.id == ClearanceCase.parcel_id).where(*conds)
            .group_by(ClearanceCase.step))
    return {step: int(n) for step, n in session.execute(stmt)}


def list_choices(session: Session, project_id: int | None, scope: Scope
                 ) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for the case list's filters: projects, and the communes and
    land-use codes that have cases (in ``project_id`` when given), in one scan; only
    what ``scope`` may see."""
    used = select(Parcel.commune_code, Parcel.land_use_code).distinct().join(
        ClearanceCase, ClearanceCase.parcel_id == Parcel.id)
    if project_id is not None:
        used = used.where(ClearanceCase.project_id == project_id)
    if not scope.unrestricted:
        used = used.where(scope.case_clause())
    pairs = session.execute(used).all()
    communes = {c for c, _ in pairs}
    land_uses = {u for _, u in pairs}
    names = sorted(session.execute(select(Commune.code, Commune.name)
                                   .where(Commune.code.in_(communes))).all(),
                   key=lambda r: vi_name_key(r[1]))
    uses = session.execute(select(LandUseType.code, LandUseType.name_vi)
                           .where(LandUseType.code.in_(land_uses)).order_by(LandUseType.code))
    projects = session.execute(select(Project.code, Project.name)
                               .where(scope.project_clause()).order_by(Project.code))
    return {"projects": [(code, f"{code} — {name}") for code, name in projects],
            "communes": [(code, name) for code, name in names],
            "land_uses": [(code, f"{code} — {name}") for code, name in uses]}


def get_case(session: Session, case_id: int, *, scope: Scope) -> ClearanceCase:
    """The case, or NotFound (also when it is outside ``scope``: ids cannot be probed)."""
    require_case(session, scope, case_id)
    case = session.get(ClearanceCase, case_id, populate_existing=True)
    if case is None:
        raise case_not_found(case_id)
    return case


def case_detail(session: Session, case_id: int, today: dt.date, *,
                scope: Scope) -> CaseDetail:
    """Everything about one case that its page shows (NotFound outside ``scope``)."""
    case = get_case(session, case_id, scope=scope)
    parcel = session.get(Parcel, case.parcel_id)
    assert parcel is not None  # foreign key
    holders = [(u, share) for u, share in session.execute(
        select(LandUser, ParcelLandUser.share_pct)
        .join(ParcelLandUser, ParcelLandUser.land_user_id == LandUser.id)
        .where(ParcelLandUser.parcel_id == parcel.id).order_by(LandUser.id))]
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                             .order_by(CaseEvent.occurred_on, CaseEvent.id)).all()
    payments = session.scalars(select(Payment).where(Payment.case_id == case_id)
                               .order_by(Payment.paid_on, Payment.id)).all()
    due = case_deadlines(session, today, case_id=case_id, limit=1)
    allocations = session.scalars(
        select(ResettlementAllocation).where(ResettlementAllocation.case_id == case_id)
        .order_by(ResettlementAllocation.id)).all()
    code = session.scalar(select(Project.code).where(Project.id == case.project_id)) or ""
    return CaseDetail(case, code, parcel, holders, events, payments,
                      due[0] if due else None, allocations)
