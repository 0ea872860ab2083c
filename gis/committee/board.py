"""The committee's view as of a day: every key project's plan against its actual for the
month and the quarter, traffic lights, who answers, open and overdue tasks — the worst
deviations first; and the same for one member (their projects and tasks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.committee.actuals import Actual, Comparison, actuals_on, compare, quarter_target
from gis.committee.plans import PlanInForce, plans_in_force
from gis.committee.register import KeyProject, key_projects
from gis.committee.series import Money
from gis.committee.tasks import TaskView, task_views
from gis.committee.vocab import LIGHT_ORDER, Light, Measure
from gis.core.errors import NotFound
from gis.models import CommitteeMember


@dataclass(frozen=True)
class ProjectRow:
    """One key project on the committee's page."""

    key: KeyProject
    plan: PlanInForce | None
    actual: Actual
    money: Money
    month: dict[Measure, Comparison]
    quarter: dict[Measure, float | None]
    open_tasks: int
    overdue_tasks: int

    @property
    def light(self) -> Light:
        """The worst light of its measures (none when nothing is planned)."""
        return min((c.light for c in self.month.values()), key=lambda x: LIGHT_ORDER[x])

    @property
    def worst_ratio(self) -> float:
        """The lowest actual/plan share among its measures (2.0 when nothing is planned)."""
        ratios = [c.ratio for c in self.month.values() if c.ratio is not None]
        return min(ratios, default=2.0)


@dataclass(frozen=True)
class Board:
    """The committee's page (or one member's) as of a day."""

    as_of: dt.date
    year: int
    rows: list[ProjectRow]
    tasks: list[TaskView]
    member: CommitteeMember | None = None

    @property
    def open_tasks(self) -> list[TaskView]:
        """Tasks not done, overdue first, then by deadline."""
        return sorted((t for t in self.tasks if t.is_open),
                      key=lambda t: (-t.days_overdue, t.due_on, t.id))

    @property
    def overdue_tasks(self) -> list[TaskView]:
        """Tasks past their deadline and not done, longest overdue first."""
        return [t for t in self.open_tasks if t.days_overdue > 0]

    def lights(self) -> dict[Light, int]:
        """How many projects show each light."""
        return {light: sum(1 for r in self.rows if r.light == light) for light in Light}


def _rank(row: ProjectRow) -> tuple[int, float, str]:
    return LIGHT_ORDER[row.light], row.worst_ratio, row.key.code


def committee_board(session: Session, as_of: dt.date, *, year: int | None = None,
                    member_id: int | None = None) -> Board:
    """The key projects of ``year`` (default: the as-of year) as of the end of ``as_of``,
    worst deviations first; with ``member_id`` only that member's projects and tasks."""
    year = as_of.year if year is None else year
    member = None
    keys = key_projects(session, year, as_of)
    if member_id is not None:
        member = session.get(CommitteeMember, member_id)
        if member is None:
            raise NotFound(f"no member {member_id}", message_vi="Không có thành viên Ban Chỉ "
                           "đạo số {member}.", params={"member": str(member_id)})
        keys = [k for k in keys if k.member_id == member_id]
    ids = [k.project_id for k in keys]
    plans = plans_in_force(session, year, as_of, ids)
    actual, money = actuals_on(session, as_of, year, ids)
    tasks = task_views(session, as_of)
    if member_id is not None:
        tasks = [t for t in tasks if t.member_id == member_id
                 or (t.project_id is not None and t.project_id in ids)]
    rows = []
    for k in keys:
        plan, mine = plans.get(k.project_id), [t for t in tasks if t.project_id == k.project_id]
        rows.append(ProjectRow(
            k, plan, actual[k.project_id], money[k.project_id],
            compare(plan, actual[k.project_id], year),
            {m: quarter_target(plan, m, as_of) for m in Measure},
            sum(1 for t in mine if t.is_open), sum(1 for t in mine if t.days_overdue > 0)))
    return Board(as_of, year, sorted(rows, key=_rank), tasks, member)


def members(session: Session) -> list[CommitteeMember]:
    """The committee's members, chair first."""
    order = {"chair": 0, "vice_chair": 1, "member": 2}
    return sorted(session.scalars(select(CommitteeMember)),
                  key=lambda m: (order.get(m.position, 3), m.id))
