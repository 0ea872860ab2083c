"""Reading cases: the filtered, paged list, one case in full (ETag = version), history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import CurrentUser, Principal, SessionDep
from api.errors import problems
from api.http import Id, Limit, Offset, etag
from api.routers.parcels import PERSONAL_KEYS
from api.schemas import (
    AllocationOut,
    CaseDetailOut,
    CasePageOut,
    CaseSummary,
    DeadlineOut,
    EventOut,
    HistoryEntryOut,
    HistoryPageOut,
    HolderOut,
    PaymentOut,
)
from gis.cases.history import HistoryEntry, case_history
from gis.cases.queries import CaseDetail, CaseFilter, case_detail, get_case, search_cases
from gis.core.calendar import local_today
from gis.core.domain import STEP_LABELS_VI, CaseStep
from gis.workflow.deadlines import DEADLINE_LABELS_VI

router = APIRouter(prefix="/api/cases", tags=["cases"])


def detail_out(d: CaseDetail, user: Principal) -> CaseDetailOut:
    """Shape a case for ``user`` (personal data redacted unless staff/admin)."""
    c, p = d.case, d.parcel
    hidden = not user.sees_personal_data
    holders = [HolderOut(id=u.id, kind=u.kind, full_name=u.full_name,
                         citizen_id=None if hidden else u.citizen_id,
                         phone=None if hidden else u.phone, address=u.address,
                         share_pct=share, personal_data_redacted=hidden)
               for u, share in d.holders]
    due = d.next_deadline
    return CaseDetailOut(
        id=c.id, project_id=c.project_id, project_code=d.project_code, parcel_id=p.id,
        commune_code=p.commune_code, sheet_no=p.sheet_no, parcel_no=p.parcel_no,
        land_use_code=p.land_use_code, step=c.step, step_label_vi=STEP_LABELS_VI[c.step],
        step_changed_on=c.step_changed_on, recovered_area_m2=c.recovered_area_m2,
        is_whole_parcel=c.is_whole_parcel, approved_land_vnd=c.approved_land_vnd,
        approved_structures_vnd=c.approved_structures_vnd,
        approved_crops_vnd=c.approved_crops_vnd, approved_support_vnd=c.approved_support_vnd,
        approved_resettlement_vnd=c.approved_resettlement_vnd,
        approved_total_vnd=c.approved_total_vnd, paid_vnd=c.paid_vnd,
        outstanding_vnd=c.outstanding_vnd, resettlement_needed=c.resettlement_needed,
        complaint_open=c.complaint_open, enforcement_stage=c.enforcement_stage,
        handover_date=c.handover_date, version=c.version, holders=holders,
        events=[EventOut.model_validate(e) for e in d.events],
        payments=[PaymentOut.model_validate(x) for x in d.payments],
        next_deadline=None if due is None else DeadlineOut(
            what=due.what, label_vi=DEADLINE_LABELS_VI[due.what], due_date=due.due_date,
            rule_version=due.rule_version, days_left=due.days_left,
            is_overdue=due.is_overdue),
        allocations=[AllocationOut.model_validate(a) for a in d.allocations])


def history_out(total: int, entries: list[HistoryEntry], limit: int, offset: int,
                user: Principal) -> HistoryPageOut:
    """A history page, personal data removed from audit images unless staff/admin."""
    def clean(image: dict[str, Any] | None) -> dict[str, Any] | None:
        if image is None or user.sees_personal_data:
            return image
        return {k: (None if k in PERSONAL_KEYS else v) for k, v in image.items()}

    items = [HistoryEntryOut.model_validate(e).model_copy(
        update={"before": clean(e.before), "after": clean(e.after)}) for e in entries]
    return HistoryPageOut(total=total, limit=limit, offset=offset, items=items)


@router.get("", response_model=CasePageOut, responses=problems(401, 422),
            summary="List cases with filters, search and paging")
def list_cases(
    user: CurrentUser, session: SessionDep,
    project: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="project id")] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{5}$", description="commune code")
                       ] = None,
    step: Annotated[list[CaseStep] | None, Query(description="one or more steps")] = None,
    overdue: Annotated[bool | None, Query(description="only (true) / no (false) overdue")
                       ] = None,
    q: Annotated[str | None, Query(max_length=100, description="land user name, or "
                                   "'sheet/parcel' such as 12/345")] = None,
    limit: Limit = 50, offset: Offset = 0,
) -> CasePageOut:
    """Cases ordered by id; ``total`` counts all matches for paging. Only the cases in the
    user's scope (assigned projects/communes) are listed."""
    f = CaseFilter(project, commune, tuple(step or ()), overdue, q, scope=user.scope)
    page = search_cases(session, f, limit=limit, offset=offset, today=local_today())
    return CasePageOut(total=page.total, limit=limit, offset=offset,
                       items=[CaseSummary.model_validate(r) for r in page.items])


@router.get("/{case_id}", response_model=CaseDetailOut, responses=problems(401, 404, 422),
            summary="A case with events, payments and next deadline")
def read_case(case_id: Id, user: CurrentUser, session: SessionDep,
              response: Response) -> CaseDetailOut:
    """The case in full; the ``ETag`` header is its version (send it back as If-Match)."""
    out = detail_out(case_detail(session, case_id, local_today(), scope=user.scope), user)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/{case_id}/history", response_model=HistoryPageOut,
            responses=problems(401, 404, 422), summary="Everything recorded about a case")
def read_case_history(case_id: Id, user: CurrentUser, session: SessionDep,
                      limit: Limit = 100, offset: Offset = 0) -> HistoryPageOut:
    """Events, payments and audited changes (before/after) of the case, newest first."""
    get_case(session, case_id, scope=user.scope)
    total, entries = case_history(session, case_id, limit=limit, offset=offset)
    return history_out(total, entries, limit, offset, user)
