"""Read-side queries about projects: the list with its headline figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gis.access import Scope
from gis.domain import CaseStep, InvestmentForm
from gis.models import ClearanceCase, Parcel, Project


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


def project_summaries(session: Session, scope: Scope) -> list[ProjectSummary]:
    """Every project ``scope`` may see with its case counts, areas and money, counting only
    the cases in ``scope`` (one query)."""
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


def _summary(row: Any) -> ProjectSummary:
    return ProjectSummary(
        id=row[0], code=row[1], name=row[2], investment_form=row[3], is_demo=row[4],
        cases=int(row[5]), handed_over=int(row[6]), recovered_area_m2=Decimal(row[7]),
        handed_over_area_m2=Decimal(row[8]), approved_vnd=int(row[9]), paid_vnd=int(row[10]),
    )
