"""Projects API (read side for now)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep
from gis.domain import InvestmentForm
from gis.projects import project_summaries

router = APIRouter(prefix="/api/projects", tags=["projects"])


class ProjectOut(BaseModel):
    """A project with its headline clearance figures (areas in m², money in VND)."""

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


@router.get("", response_model=list[ProjectOut], summary="List projects with their figures")
def list_projects(session: SessionDep) -> list[ProjectOut]:
    """Every project with case counts, recovered and handed-over area, approved and paid VND."""
    return [ProjectOut.model_validate(s, from_attributes=True) for s in project_summaries(session)]
