"""Importing surveyors' data: read, recognise CRS and encodings, validate, write, overlay."""

from gis.ingest.overlay import Chainage, OverlayResult, chainage_of, overlay_project
from gis.ingest.parcels import ImportResult, import_parcels
from gis.ingest.report import Problem, Severity, ValidationReport
from gis.ingest.validate import Rules

__all__ = [
    "Chainage",
    "ImportResult",
    "OverlayResult",
    "Problem",
    "Rules",
    "Severity",
    "ValidationReport",
    "chainage_of",
    "import_parcels",
    "overlay_project",
]
