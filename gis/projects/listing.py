"""Read-side queries about projects: the list with its headline figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.core.domain import CaseStep, InvestmentForm
from gis.models import ClearanceCase, Parcel, Project
from gis.progress.figures import EMPTY, progress_figures, sum_figures


@dataclass(frozen=True)
class ProjectSummary:
    """A project with the figures leaders ask for first."""

    id: int
    code: str
    name: str
    investment_form: InvestmentForm
    is_demo: bool
    cases: int
    handed_over: int
    recovered_area_m2: Decimal
    handed_over_area_m2: Decimal
    approved_vnd: int
    paid_vnd: int


def project_summaries(session: Session, scope: Scope,
                      as_of: dt.date | None = None) -> list[ProjectSummary]:
    """Every project ``scope`` may see with its case counts, areas and money, counting only
    the cases in ``scope`` (one query); with ``as_of``, the same figures as they stood at
    the end of that day (replayed from the history)."""
    if as_of is not None:
        return _summaries_as_of(session, scope, as_of)
    handed = ClearanceCase.step == CaseStep.HANDED_OVER
    joined = ClearanceCase.project_id == Project.id
    if scope.communes is not None:
        joined = and_(joined, ClearanceCase.parcel_id.in_(
            select(Parcel.id).where(Parcel.commune_code.in_(sorted(scope.communes)))))
    stmt = (
        select(
            Project.id, Project.code, Project.name, Project.investment_form, Project.is_demo,
            func.count(ClearanceCase.id),
            func.count(ClearanceCase.id).filter(handed),
            func.coalesce(func.sum(ClearanceCase.recovered_area_m2), 0),
            func.coalesce(func.sum(case((handed, ClearanceCase.recovered_area_m2), else_=0)), 0),
            func.coalesce(func.sum(ClearanceCase.approved_total_vnd), 0),
            func.coalesce(func.sum(ClearanceCase.paid_vnd), 0),
        )
        .outerjoin(ClearanceCase, joined)
        .where(scope.project_clause())
        .group_by(Project.id)
        .order_by(Project.is_demo.desc(), Project.code)
    )
    return [_summary(row) for row in session.execute(stmt)]


def _summaries_as_of(session: Session, scope: Scope, as_of: dt.date) -> list[ProjectSummary]:
    figures = progress_figures(session, as_of)
    projects = session.execute(
        select(Project.id, Project.code, Project.name, Project.investment_form,
               Project.is_demo).where(scope.project_clause())
        .order_by(Project.is_demo.desc(), Project.code)).all()
    out = []
    for pid, code, name, form, demo in projects:
        if scope.communes is None:
            f = figures.by_project.get(pid, EMPTY)
        else:  # the project's figures within the user's communes
            f = sum_figures([v for (p, c), v in figures.by_project_commune.items()
                             if p == pid and c in scope.communes] or [EMPTY])
        out.append(ProjectSummary(pid, code, name, form, demo, f.parcels,
                                  f.parcels_handed_over, f.area_m2, f.handed_over_m2,
                                  f.approved_vnd, f.paid_vnd))
    return out


def _summary(row: Any) -> ProjectSummary:
    return ProjectSummary(
        id=row[0], code=row[1], name=row[2], investment_form=row[3], is_demo=row[4],
        cases=int(row[5]), handed_over=int(row[6]), recovered_area_m2=Decimal(row[7]),
        handed_over_area_m2=Decimal(row[8]), approved_vnd=int(row[9]), paid_vnd=int(row[10]),
    )
