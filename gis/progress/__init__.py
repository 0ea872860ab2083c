"""Clearance progress: figures as of any day, S-curves, pace, forecasts and milestones.

Every figure is replayed from the append-only history (case events, payments ledger,
resettlement allocations), so asking about a past day gives what was true then.
"""

from gis.progress.figures import ADDITIVE_FIELDS, Figures, ProgressFigures, progress_figures
from gis.progress.milestones import MILESTONE_STATUS_VI, MilestoneCheck, MilestoneStatus
from gis.progress.overview import (
    CommuneRow,
    ProjectProgress,
    ProvinceProgress,
    project_progress,
    province_progress,
)
from gis.progress.timeline import CurvePoint, Pace, SCurve, pace, s_curve

__all__ = [
    "ADDITIVE_FIELDS",
    "MILESTONE_STATUS_VI",
    "CommuneRow",
    "CurvePoint",
    "Figures",
    "MilestoneCheck",
    "MilestoneStatus",
    "Pace",
    "ProgressFigures",
    "ProjectProgress",
    "ProvinceProgress",
    "SCurve",
    "pace",
    "progress_figures",
    "project_progress",
    "province_progress",
    "s_curve",
]
