"""Resettlement: areas, plots, allocation of one plot to one case (with its history), and
the households still waiting.

Writes run like the workflow's (``gis.workflow.service``): in the caller's transaction, in
a savepoint, locking the case, checking the actor and the case version, bumping it.
Released allocations stay in the table: that is the allocation history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.core.calendar import local_today
from gis.core.errors import Conflict, NotFound
from gis.core.text import clean_decision_no
from gis.models import (
    ClearanceCase,
    Parcel,
    ResettlementAllocation,
    ResettlementArea,
    ResettlementPlot,
)
from gis.workflow.boundary import act_as, check_version, lock_case, touch, translate_db_errors
from gis.workflow.transitions import refuse


@dataclass(frozen=True)
class AreaSummary:
    """A resettlement area with its plot counts."""

    id: int
    code: str
    name: str
    project_id: int | None
    commune_code: str | None
    plots: int
    free_plots: int


@dataclass(frozen=True)
class PlotRow:
    """A plot and, when taken, the case it is allocated to."""

    id: int
    area_id: int
    code: str
    area_m2: Decimal
    price_vnd: int
    allocated_case_id: int | None


def list_areas(session: Session) -> list[AreaSummary]:
    """Every resettlement area with how many plots it has and how many are free."""
    taken = (select(ResettlementAllocation.plot_id)
             .where(ResettlementAllocation.released_on.is_(None)))
    stmt = (select(ResettlementArea, func.count(ResettlementPlot.id),
                   func.count(ResettlementPlot.id).filter(ResettlementPlot.id.not_in(taken)))
            .outerjoin(ResettlementPlot, ResettlementPlot.area_id == ResettlementArea.id)
            .group_by(ResettlementArea.id).order_by(ResettlementArea.code))
    return [AreaSummary(a.id, a.code, a.name, a.project_id, a.commune_code, int(n), int(free))
            for a, n, free in session.execute(stmt)]


def list_plots(session: Session, area_id: int) -> list[PlotRow]:
    """The plots of an area, with their current allocation."""
    if session.get(ResettlementArea, area_id) is None:
        raise NotFound(f"resettlement area {area_id} not found", message_vi="Không tìm thấy "
                       "khu tái định cư số {area}.", params={"area": str(area_id)},
                       reason="area_not_found")
    stmt = (select(ResettlementPlot, ResettlementAllocation.case_id)
            .outerjoin(ResettlementAllocation,
                       (ResettlementAllocation.plot_id == ResettlementPlot.id)
                       & ResettlementAllocation.released_on.is_(None))
            .where(ResettlementPlot.area_id == area_id).order_by(ResettlementPlot.code))
    return [PlotRow(p.id, p.area_id, p.code, p.area_m2, p.price_vnd, case_id)
            for p, case_id in session.execute(stmt)]


def list_allocations(session: Session, *, scope: Scope, case_id: int | None = None,
                     plot_id: int | None = None) -> list[ResettlementAllocation]:
    """Allocations of cases in ``scope``, released ones included (the history), oldest
    first."""
    stmt = select(ResettlementAllocation).order_by(ResettlementAllocation.id)
    if not scope.unrestricted:
        stmt = (stmt.join(ClearanceCase, ClearanceCase.id == ResettlementAllocation.case_id)
                .join(Parcel, Parcel.id == ClearanceCase.parcel_id).where(scope.case_clause()))
    if case_id is not None:
        stmt = stmt.where(ResettlementAllocation.case_id == case_id)
    if plot_id is not None:
        stmt = stmt.where(ResettlementAllocation.plot_id == plot_id)
    return list(session.scalars(stmt))


def waiting_cases(session: Session, project_id: int | None = None, *,
                  scope: Scope) -> list[ClearanceCase]:
    """Cases in ``scope`` that need resettlement and hold no plot yet."""
    held = select(ResettlementAllocation.case_id).where(
        ResettlementAllocation.released_on.is_(None))
    stmt = select(ClearanceCase).where(ClearanceCase.resettlement_needed.is_(True),
                                       ClearanceCase.id.not_in(held)).order_by(ClearanceCase.id)
    if project_id is not None:
        stmt = stmt.where(ClearanceCase.project_id == project_id)
    if not scope.unrestricted:
        stmt = stmt.join(Parcel, Parcel.id == ClearanceCase.parcel_id).where(
            scope.case_clause())
    return list(session.scalars(stmt))


def allocate_plot(session: Session, case_id: int, plot_id: int, *, allocated_on: dt.date,
                  actor_id: int, decision_no: str | None = None,
                  expected_version: int | None = None, today: dt.date | None = None
                  ) -> tuple[ResettlementAllocation, ClearanceCase]:
    """Give a free plot to a case that needs resettlement and holds none."""
    today = today or local_today()
    number = clean_decision_no(decision_no)
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        user = act_as(session, actor_id, case)
        check_version(case, expected_version)
        plot = session.get(ResettlementPlot, plot_id, with_for_update=True)
        if plot is None:
            raise NotFound(f"plot {plot_id} not found", message_vi="Không tìm thấy lô tái định"
                           " cư số {plot}.", params={"plot": str(plot_id)},
                           reason="plot_not_found")
        if not case.resettlement_needed:
            raise refuse("case needs no resettlement", "Hồ sơ này không thuộc diện bố trí tái "
                         "định cư.", "no_resettlement_needed")
        if allocated_on > today:
            raise refuse("allocation in the future", "Ngày giao lô ({day})"
                         " ở tương lai — hôm nay là {today}.", "date_in_future",
                         {"day": allocated_on, "today": today}, field="allocated_on")
        for cond, reason, text in (
            (ResettlementAllocation.plot_id == plot_id, "plot_taken",
             "Lô {plot} đã được giao cho hồ sơ khác."),
            (ResettlementAllocation.case_id == case_id, "case_has_plot",
             "Hồ sơ đã được giao một lô tái định cư; hãy thu hồi lô cũ trước."),
        ):
            holder = session.scalar(select(ResettlementAllocation.case_id).where(
                cond, ResettlementAllocation.released_on.is_(None)))
            if holder is not None:
                raise Conflict(reason, message_vi=text, params={"plot": plot.code},
                               reason=reason, case_id=holder)
        allocation = ResettlementAllocation(plot_id=plot_id, case_id=case_id,
                                            allocated_on=allocated_on, decision_no=number,
                                            recorded_by=user.id)
        session.add(allocation)
        touch(case)
        session.flush()
        session.refresh(case)
        return allocation, case


def release_allocation(session: Session, allocation_id: int, *, released_on: dt.date,
                       actor_id: int, today: dt.date | None = None
                       ) -> tuple[ResettlementAllocation, ClearanceCase]:
    """Take a plot back from a case (the allocation row stays, with its release date)."""
    today = today or local_today()
    with translate_db_errors(), session.begin_nested():
        allocation = session.get(ResettlementAllocation, allocation_id)
        if allocation is None:
            raise NotFound(f"allocation {allocation_id} not found", message_vi="Không tìm thấy"
                           " quyết định giao lô số {allocation}.",
                           params={"allocation": str(allocation_id)},
                           reason="allocation_not_found")
        case = lock_case(session, allocation.case_id)
        act_as(session, actor_id, case)
        if allocation.released_on is not None:
            raise Conflict("already released", message_vi="Lô này đã được thu hồi trước đó.",
                           reason="already_released")
        if not allocation.allocated_on <= released_on <= today:
            raise refuse("release date out of range", "Ngày thu hồi lô ({day})"
                         " phải từ ngày giao lô đến hôm nay.", "bad_date", {"day": released_on},
                         field="released_on")
        allocation.released_on = released_on
        touch(case)
        session.flush()
        session.refresh(case)
        return allocation, case
