"""Importing surveyors' data: read (``reader``, after the byte-level ``guards``), recognise CRS
and encodings, validate (``validate``, ``report``), write (``writer``, ``alignment``,
``households``), overlay the footprint on the parcels (``overlay``), uploads from the pages
(``uploads``) and import batches (``batches``). See ``docs/imports.md``."""

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
