"""Key projects' detailed plans (kế hoạch chi tiết) by month, including disbursement.

A plan revision gives, for months of a year, cumulative targets to each month's end: area
handed over (ha) and households paid and handed over — totals of the project, as the
province reports them — and the year's capital disbursed (VND). A quarter's plan is its
last month's. Revisions are append-only; the one in force on day D is the latest submitted
on or before D. Writers name the revision they started from (0 for the first).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.capital.disbursement import refuse
from gis.committee.access import require_editor
from gis.committee.checks import (
    document_no,
    not_future,
    stale,
    year_of,
)
from gis.committee.register import key_projects
from gis.committee.vocab import MEASURE_LABELS_VI, Measure
from gis.core.formats import Term
from gis.core.lookups import project_by_code
from gis.core.text import clean_text
from gis.models import CommitteePlan, CommitteePlanMonth

MAX_VND = 10**16
MAX_HA = Decimal(100_000)


@dataclass(frozen=True)
class MonthPlan:
    """Cumulative targets to the end of one month."""

    month: int
    handed_over_ha: Decimal
    households_paid: int
    households_handed_over: int
    disbursed_vnd: int

    def value(self, measure: Measure) -> float:
        """The target of one measure (as a float for comparisons)."""
        return float(getattr(self, measure.value))


@dataclass(frozen=True)
class PlanInForce:
    """The revision of a project's plan in force on a day."""

    project_id: int
    year: int
    revision: int
    submitted_on: dt.date
    document_no: str | None
    months: dict[int, MonthPlan]


def plans_in_force(session: Session, year: int, as_of: dt.date,
                   project_ids: list[int] | None = None) -> dict[int, PlanInForce]:
    """Per project, the plan revision of ``year`` in force at the end of ``as_of``."""
    latest = (select(CommitteePlan.project_id, func.max(CommitteePlan.revision).label("rev"))
              .where(CommitteePlan.year == year, CommitteePlan.submitted_on <= as_of)
              .group_by(CommitteePlan.project_id))
    if project_ids is not None:
        latest = latest.where(CommitteePlan.project_id.in_(project_ids))
    sub = latest.subquery()
    rows = session.execute(
        select(CommitteePlan, CommitteePlanMonth)
        .join(sub, (sub.c.project_id == CommitteePlan.project_id)
              & (sub.c.rev == CommitteePlan.revision))
        .join(CommitteePlanMonth, CommitteePlanMonth.plan_id == CommitteePlan.id)
        .where(CommitteePlan.year == year)
        .order_by(CommitteePlan.project_id, CommitteePlanMonth.month)).all()
    out: dict[int, PlanInForce] = {}
    for plan, group in itertools.groupby(rows, key=lambda r: r[0]):
        months = {m.month: MonthPlan(m.month, m.handed_over_ha, m.households_paid,
                                     m.households_handed_over, m.disbursed_vnd)
                  for _, m in group}
        out[plan.project_id] = PlanInForce(plan.project_id, plan.year, plan.revision,
                                           plan.submitted_on, plan.document_no, months)
    return out


def plan_revisions(session: Session, project_id: int, year: int) -> list[CommitteePlan]:
    """Every revision of a project's plan for a year, oldest first."""
    return list(session.scalars(select(CommitteePlan).where(
        CommitteePlan.project_id == project_id, CommitteePlan.year == year)
        .order_by(CommitteePlan.revision)))


def _month_plan(raw: dict[str, object], i: int) -> MonthPlan:
    month = raw.get("month")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise refuse(f"month {month!r}", "Dòng {n}: tháng '{month}' không hợp lệ (1–12).",
                     "month_out_of_range", {"n": str(i + 1), "month": str(month)},
                     field=f"months[{i}].month")
    try:
        ha = Decimal(str(raw.get("handed_over_ha", 0))).quantize(Decimal("0.0001"))
    except InvalidOperation:
        raise refuse("bad area", "Tháng {month}: diện tích '{value}' không "
                     "phải là số.", "not_a_number",
                     {"month": str(month), "value": str(raw.get("handed_over_ha"))},
                     field=f"months[{i}].handed_over_ha") from None
    if not Decimal(0) <= ha <= MAX_HA:
        raise refuse("area out of range", "Tháng {month}: diện tích {ha} ha không hợp lệ.",
                     "negative_amount", {"month": str(month), "ha": ha},
                     field=f"months[{i}].handed_over_ha")
    counts: dict[str, int] = {}
    for key, limit in (("households_paid", 10**7), ("households_handed_over", 10**7),
                       ("disbursed_vnd", MAX_VND)):
        value = raw.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            raise refuse(f"{key} {value!r}", "Tháng {month}: {measure} "
                         "'{value}' phải là số nguyên không âm.", "negative_amount",
                         {"month": str(month), "measure": Term(MEASURE_LABELS_VI[Measure(key)]),
                          "value": str(value)},
                         field=f"months[{i}].{key}")
        counts[key] = value
    return MonthPlan(month, ha, counts["households_paid"], counts["households_handed_over"],
                     counts["disbursed_vnd"])


def check_months(raw_months: list[dict[str, object]]) -> list[MonthPlan]:
    """Months 1–12, each once, with cumulative targets that never fall month to month."""
    if not raw_months:
        raise refuse("no months", "Kế hoạch cần ít nhất một tháng.", "required", field="months")
    months = sorted((_month_plan(m, i) for i, m in enumerate(raw_months)),
                    key=lambda m: m.month)
    for a, b in itertools.pairwise(months):
        if a.month == b.month:
            raise refuse(f"month {a.month} twice", "Tháng {month} được nhập hai lần.",
                         "duplicate_month", {"month": str(a.month)}, field="months")
        for measure in Measure:
            if b.value(measure) < a.value(measure):
                raise refuse(f"{measure} falls in month {b.month}", "Kế hoạch là số lũy kế: "
                             "{measure} tháng {later} nhỏ hơn tháng {earlier}.",
                             "plan_not_cumulative",
                             {"measure": Term(MEASURE_LABELS_VI[measure]),
                              "later": str(b.month), "earlier": str(a.month)}, field="months",
                             month=b.month, measure=measure.value)
    return months


def record_plan(session: Session, actor_id: int, *, project_code: str, year: int,
                months: list[dict[str, object]], submitted_on: dt.date, version: int,
                today: dt.date, document: str | None = None,
                note: str | None = None) -> CommitteePlan:
    """Record a new revision of a key project's plan for ``year``."""
    actor = require_editor(session, actor_id)
    year = year_of(year)
    checked = check_months(months)
    number = document_no(document, "document_no", "Số văn bản", required=False)
    not_future(submitted_on, today, "submitted_on", "Ngày nộp kế hoạch")
    project = project_by_code(session, project_code, lock=True)
    if project.id not in {k.project_id for k in key_projects(session, year, dt.date.max)}:
        raise refuse("not a key project", "Dự án {project} không có trong danh mục dự án "
                     "trọng điểm năm {year}.", "not_key",
                     {"project": project.code, "year": str(year)}, field="project")
    revisions = plan_revisions(session, project.id, year)
    current = revisions[-1].revision if revisions else 0
    if version != current:
        raise stale("Kế hoạch", current, version)
    if revisions and submitted_on < revisions[-1].submitted_on:
        raise refuse("submitted before the previous revision", "Ngày {day} "
                     "trước lần điều chỉnh trước ({previous}).", "decision_before_previous",
                     {"day": submitted_on, "previous": revisions[-1].submitted_on},
                     field="submitted_on")
    plan = CommitteePlan(project_id=project.id, year=year, revision=current + 1,
                         submitted_on=submitted_on, document_no=number,
                         note=clean_text(note, field="note", label_vi="Ghi chú"),
                         recorded_by=actor.user_id)
    session.add(plan)
    session.flush()
    session.add_all(CommitteePlanMonth(
        plan_id=plan.id, month=m.month, handed_over_ha=m.handed_over_ha,
        households_paid=m.households_paid, households_handed_over=m.households_handed_over,
        disbursed_vnd=m.disbursed_vnd) for m in checked)
    session.flush()
    return plan


def plan_history(session: Session, project_id: int, year: int
                 ) -> list[tuple[CommitteePlan, list[MonthPlan]]]:
    """Every revision of a project's plan for a year with its months, oldest first."""
    revisions = plan_revisions(session, project_id, year)
    months: dict[int, list[MonthPlan]] = {r.id: [] for r in revisions}
    for m in session.scalars(select(CommitteePlanMonth).where(
            CommitteePlanMonth.plan_id.in_(list(months))).order_by(CommitteePlanMonth.month)):
        months[m.plan_id].append(MonthPlan(m.month, m.handed_over_ha, m.households_paid,
                                           m.households_handed_over, m.disbursed_vnd))
    return [(r, months[r.id]) for r in revisions]
