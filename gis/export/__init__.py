"""Exporting filtered parcels or clearance cases: GeoPackage, Shapefile (zip), GeoJSON,
KML (Google Earth) and Excel, in EPSG:9215 or WGS84. A new format is a ``Format`` with its
``FormatInfo`` (``formats``) and, if GDAL cannot write it, a writer (``writers``); the
columns are the import's own (``columns``), the rows come from ``query``."""

from gis.export.columns import CASE_COLUMNS, PARCEL_COLUMNS, PERSONAL_FIELDS, Column, Kind
from gis.export.formats import (
    FORMATS,
    MAX_FEATURES,
    MAX_KML_FEATURES,
    MAX_XLSX_FEATURES,
    Format,
)
from gis.export.query import ExportFilters, Selection
from gis.export.service import ExportRequest, ExportResult, ascii_fallback, export

__all__ = [
    "CASE_COLUMNS",
    "FORMATS",
    "MAX_FEATURES",
    "MAX_KML_FEATURES",
    "MAX_XLSX_FEATURES",
    "PARCEL_COLUMNS",
    "PERSONAL_FIELDS",
    "Column",
    "ExportFilters",
    "ExportRequest",
    "ExportResult",
    "Format",
    "Kind",
    "Selection",
    "ascii_fallback",
    "export",
]
