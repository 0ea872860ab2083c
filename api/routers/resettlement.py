"""Resettlement: areas, plots, allocations (with history) and households still waiting."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CaseWriter, CurrentUser, SessionDep
from api.errors import problems
from api.http import Id, IfMatch, etag, version_from
from api.routers.case_writes import current_state_on_conflict
from api.schemas import (
    AllocationIn,
    AllocationOut,
    AreaOut,
    PlotOut,
    ReleaseIn,
    WaitingCaseOut,
)
from gis.cases.resettlement import (
    allocate_plot,
    list_allocations,
    list_areas,
    list_plots,
    release_allocation,
    waiting_cases,
)

router = APIRouter(prefix="/api/resettlement", tags=["resettlement"])
OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


@router.get("/areas", response_model=list[AreaOut], responses=problems(401),
            summary="Resettlement areas with plot counts")
def areas(_user: CurrentUser, session: SessionDep) -> list[AreaOut]:
    """Every resettlement area, with how many plots are free."""
    return [AreaOut(**asdict(a)) for a in list_areas(session)]


@router.get("/areas/{area_id}/plots", response_model=list[PlotOut],
            responses=problems(401, 404, 422), summary="Plots of an area")
def plots(area_id: Id, _user: CurrentUser, session: SessionDep) -> list[PlotOut]:
    """The plots with their price and the case holding each, if any."""
    return [PlotOut(**asdict(p)) for p in list_plots(session, area_id)]


@router.get("/allocations", response_model=list[AllocationOut],
            responses=problems(401, 422), summary="Allocations, released ones included")
def allocations(user: CurrentUser, session: SessionDep, case: OptionalId = None,
                plot: OptionalId = None) -> list[AllocationOut]:
    """The allocation history (of the cases in the user's scope), optionally of one case
    or one plot."""
    return [AllocationOut.model_validate(a) for a in list_allocations(
        session, case_id=case, plot_id=plot, scope=user.scope)]


@router.get("/waiting", response_model=list[WaitingCaseOut], responses=problems(401, 422),
            summary="Cases needing resettlement that hold no plot")
def waiting(user: CurrentUser, session: SessionDep,
            project: OptionalId = None) -> list[WaitingCaseOut]:
    """Households (in the user's scope) still waiting for a resettlement plot."""
    return [WaitingCaseOut.model_validate(c)
            for c in waiting_cases(session, project, scope=user.scope)]


@router.post("/allocations", response_model=AllocationOut, status_code=201,
             responses=problems(401, 403, 404, 409, 422), summary="Give a plot to a case")
def allocate(body: AllocationIn, user: CaseWriter, session: SessionDep, response: Response,
             if_match: IfMatch = None) -> AllocationOut:
    """One free plot to one case that needs resettlement (bumps the case version)."""
    version = version_from(if_match, body.version, required=False)
    with current_state_on_conflict(session, body.case_id, user):
        allocation, case = allocate_plot(session, body.case_id, body.plot_id,
                                         allocated_on=body.allocated_on, actor_id=user.id,
                                         decision_no=body.decision_no,
                                         expected_version=version)
        out = AllocationOut.model_validate(allocation)
        response.headers["ETag"] = etag(case.version)
        session.commit()
    return out


@router.post("/allocations/{allocation_id}/release", response_model=AllocationOut,
             responses=problems(401, 403, 404, 409, 422), summary="Take a plot back")
def release(allocation_id: Id, body: ReleaseIn, user: CaseWriter, session: SessionDep,
            response: Response) -> AllocationOut:
    """Mark the allocation released (it stays in the history)."""
    with current_state_on_conflict(session, None, user):
        allocation, case = release_allocation(session, allocation_id,
                                              released_on=body.released_on, actor_id=user.id)
        out = AllocationOut.model_validate(allocation)
        response.headers["ETag"] = etag(case.version)
        session.commit()
    return out
