"""Everything a leader's dashboard or a report needs about one project (or the province)
as of a day, assembled from the figures, the S-curve and the milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE, OutOfScope, Scope, require_project
from gis.core.lookups import project_by_code
from gis.models import Commune, Project, ProjectMilestone
from gis.progress.figures import (
    EMPTY,
    Figures,
    ProgressFigures,
    progress_figures,
    sum_figures,
)
from gis.progress.milestones import MilestoneCheck, check_milestone, measure
from gis.progress.timeline import PACE_WEEKS, Pace, SCurve, active_weeks, pace, s_curve


@dataclass(frozen=True)
class CommuneRow:
    """One commune's figures, with its display name ("xã Đồng Đăng")."""

    code: str
    name: str
    figures: Figures


@dataclass(frozen=True)
class ProjectProgress:
    """A project as of a day: figures, communes (ranked by area left), curve, deadlines."""

    project: Project
    as_of: dt.date
    figures: Figures
    communes: list[CommuneRow]
    curve: SCurve
    pace: Pace
    milestones: list[MilestoneCheck]

    @property
    def ranking(self) -> list[CommuneRow]:
        """Communes with the most area still to hand over first."""
        return sorted(self.communes, key=lambda r: (-r.figures.remaining_m2, r.code))


@dataclass(frozen=True)
class ProvinceProgress:
    """Every project and commune of the province as of a day."""

    as_of: dt.date
    figures: ProgressFigures
    projects: list[tuple[Project, Figures]]
    communes: list[CommuneRow]


def commune_names(session: Session) -> dict[str, str]:
    """Commune code -> "xã Đồng Đăng" / "phường Tam Thanh"."""
    rows = session.execute(select(Commune.code, Commune.name, Commune.unit_type))
    return {code: f"{'phường' if unit == 'phuong' else 'xã'} {name}"
            for code, name, unit in rows}


def project_for_report(session: Session, code: str, scope: Scope) -> Project:
    """The project whose whole-project figures (dashboard, Excel, PDF) a reader with
    ``scope`` may see: NotFound when the project is not theirs, OutOfScope when they are
    limited to some of its communes (the project's figures reach beyond them)."""
    project = project_by_code(session, code)
    require_project(scope, project.id)
    if scope.communes is not None:
        raise OutOfScope(f"project report of {code} for a commune-limited user",
                         message_vi="Số liệu, báo cáo toàn dự án chỉ dành cho tài khoản được "
                         "giao cả dự án; bạn chỉ được giao một số xã/phường.",
                         reason="out_of_scope", project=code)
    return project


def scoped_figures(figures: ProgressFigures, scope: Scope) -> ProgressFigures:
    """The figures of the cases in ``scope`` only, summed from the project × commune rows
    (households: an upper bound of the distinct count, see ``sum_figures``)."""
    if scope.unrestricted:
        return figures
    pairs = {k: f for k, f in figures.by_project_commune.items() if scope.allows(*k)}
    projects = sorted({p for p, _ in pairs})
    communes = sorted({c for _, c in pairs})
    return ProgressFigures(
        figures.as_of, sum_figures(list(pairs.values())),
        {p: sum_figures([f for (q, _), f in pairs.items() if q == p]) for p in projects},
        {c: sum_figures([f for (_, d), f in pairs.items() if d == c]) for c in communes},
        pairs)


def project_progress(session: Session, code: str, as_of: dt.date) -> ProjectProgress:
    """The dashboard of one project as of the end of ``as_of``."""
    project = project_by_code(session, code)
    now = progress_figures(session, as_of, project_id=project.id)
    earlier_day = as_of - dt.timedelta(weeks=PACE_WEEKS)
    earlier = progress_figures(session, earlier_day, project_id=project.id).total
    names = commune_names(session)
    communes = [CommuneRow(c, names.get(c, c), f) for c, f in now.by_commune.items()]
    curve = s_curve(session, project.id, as_of)
    weekly = {"handover": active_weeks(curve, PACE_WEEKS, lambda p: float(p.handed_over_m2)),
              "payment": active_weeks(curve, PACE_WEEKS, lambda p: float(p.paid_households))}
    milestones = [
        check_milestone(m.title, m.kind, m.due_date, m.target_share, now.total, earlier, as_of,
                        (as_of - earlier_day).days, weekly.get(measure(m.kind)))
        for m in session.scalars(select(ProjectMilestone).where(
            ProjectMilestone.project_id == project.id).order_by(ProjectMilestone.due_date))
    ]
    return ProjectProgress(project, as_of, now.total, communes, curve,
                           pace(curve, now.total.area_m2), milestones)


def province_progress(session: Session, as_of: dt.date, scope: Scope = PROVINCE
                      ) -> ProvinceProgress:
    """Every project and commune (of ``scope``) as of the end of ``as_of``."""
    figures = scoped_figures(progress_figures(session, as_of), scope)
    projects = list(session.scalars(select(Project).where(scope.project_clause())
                                    .order_by(Project.is_demo.desc(), Project.code)))
    names = commune_names(session)
    communes = [CommuneRow(c, names.get(c, c), f) for c, f in figures.by_commune.items()]
    communes.sort(key=lambda r: (-r.figures.remaining_m2, r.code))
    return ProvinceProgress(as_of, figures,
                            [(p, figures.by_project.get(p.id, EMPTY)) for p in projects],
                            communes)
