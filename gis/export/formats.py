"""Export formats and coordinate systems: what a person may ask for, and what it means."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gis.core.crs import STORAGE_SRID, WGS84_SRID
from gis.export.errors import BadCrs, UnknownFormat


class Format(StrEnum):
    """A file format GPMB exports."""

    GPKG = "gpkg"
    SHP = "shp"
    GEOJSON = "geojson"
    KML = "kml"
    XLSX = "xlsx"


@dataclass(frozen=True)
class FormatInfo:
    """How a format is written and served."""

    extension: str
    media_type: str
    driver: str | None  # GDAL driver; None: written with openpyxl
    label_vi: str
    max_features: int


MAX_FEATURES = 1_000_000
"""GeoPackage, Shapefile, GeoJSON: rows are streamed in chunks, so this bounds file size and
time, not memory (peak RSS ~250 MB whatever the size)."""
MAX_XLSX_FEATURES = 200_000
"""openpyxl writes ~1,000–2,000 rows/s on this machine (19 formatted cells a row): 200,000
rows is a few minutes; more is a job for GeoPackage, not a spreadsheet."""
MAX_KML_FEATURES = 50_000
"""KML is written in one piece (GDAL's KML driver cannot append) and Google Earth is slow
well before this; larger selections should use GeoPackage."""

FORMATS: dict[Format, FormatInfo] = {
    Format.GPKG: FormatInfo(".gpkg", "application/geopackage+sqlite3", "GPKG", "GeoPackage",
                            MAX_FEATURES),
    Format.SHP: FormatInfo(".zip", "application/zip", "ESRI Shapefile",
                           "Shapefile (nén .zip)", MAX_FEATURES),
    Format.GEOJSON: FormatInfo(".geojson", "application/geo+json", "GeoJSON", "GeoJSON",
                               MAX_FEATURES),
    Format.KML: FormatInfo(".kml", "application/vnd.google-earth.kml+xml", "KML",
                           "KML (Google Earth)", MAX_KML_FEATURES),
    Format.XLSX: FormatInfo(".xlsx", "application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", None, "Excel", MAX_XLSX_FEATURES),
}

_FORMAT_ALIASES = {"gpkg": Format.GPKG, "geopackage": Format.GPKG, "shp": Format.SHP,
                   "shapefile": Format.SHP, "zip": Format.SHP, "geojson": Format.GEOJSON,
                   "json": Format.GEOJSON, "kml": Format.KML, "xlsx": Format.XLSX,
                   "excel": Format.XLSX}
_CRS_ALIASES = {"9215": STORAGE_SRID, "epsg:9215": STORAGE_SRID, "vn2000": STORAGE_SRID,
                "vn-2000": STORAGE_SRID, "4326": WGS84_SRID, "epsg:4326": WGS84_SRID,
                "wgs84": WGS84_SRID, "wgs-84": WGS84_SRID}
CRS_LABELS_VI = {STORAGE_SRID: "VN-2000 / TM-3 107°15' (EPSG:9215)",
                 WGS84_SRID: "WGS84 kinh độ/vĩ độ (EPSG:4326)"}


def parse_format(value: str) -> Format:
    """``gpkg``, ``shp``, ``geojson``, ``kml`` or ``xlsx`` (a few synonyms too)."""
    found = _FORMAT_ALIASES.get(value.strip().lower().lstrip("."))
    if found is None:
        raise UnknownFormat(f"unknown export format {value!r}",
                            message_vi=f"Không xuất được định dạng '{value}'. Chọn gpkg "
                            "(GeoPackage), shp (Shapefile nén zip), geojson, kml (Google Earth) "
                            "hoặc xlsx (Excel).", format=value)
    return found


def parse_crs(value: str | int) -> int:
    """EPSG:9215 (VN-2000, the legal one and the default) or EPSG:4326 (WGS84)."""
    key = str(value).strip().lower().replace(" ", "")
    srid = _CRS_ALIASES.get(key)
    if srid is None:
        raise BadCrs(f"unsupported export CRS {value!r}",
                     message_vi=f"Không xuất được theo hệ toạ độ '{value}'. Chọn EPSG:9215 "
                     "(VN-2000 TM-3 107°15', hệ toạ độ pháp lý) hoặc EPSG:4326 (WGS84).",
                     crs=str(value))
    return srid
