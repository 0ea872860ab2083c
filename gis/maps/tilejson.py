"""TileJSON 3.0 and a Mapbox GL (MapLibre) style for the parcel vector tiles of
``gis.maps.tiles``, so QGIS ("Vector Tiles" connection, style URL) and GDAL's MVT driver can
read them without being told the layers, zooms, fields or bounds.

The document is both TileJSON (``tiles``, ``vector_layers`` at the top) and a tippecanoe
``metadata.json`` (the same layers as a JSON string under ``json``, ``bounds`` as text),
the form GDAL's MVT driver looks for next to a tile set's zoom-level directories.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gis.maps.tiles import DETAIL_MIN_ZOOM, MAX_ZOOM

PARCEL_FIELDS: dict[str, str] = {
    "parcel_id": "Number", "case_id": "Number", "step": "String", "commune": "String",
    "sheet": "Number", "parcel": "Number", "land_use": "String", "overdue": "Boolean"}
"""The properties of layer ``parcels`` (``gis.maps.tiles._PROPS``), as TileJSON types."""
COMMUNE_FIELDS: dict[str, str] = {
    "commune": "String", "name": "String", "cases": "Number", "handed_over": "Number",
    "area_m2": "Number"}
"""The properties of layer ``communes`` (``gis.maps.tiles.COMMUNES_SQL``)."""

VECTOR_LAYERS: list[dict[str, Any]] = [
    {"id": "parcels", "description": "Thửa đất và bước GPMB của hồ sơ",
     "minzoom": DETAIL_MIN_ZOOM, "maxzoom": MAX_ZOOM, "fields": PARCEL_FIELDS},
    {"id": "communes", "description": "Số hồ sơ theo xã (thu nhỏ)",
     "minzoom": 0, "maxzoom": DETAIL_MIN_ZOOM - 1, "fields": COMMUNE_FIELDS},
]
DEFAULT_BOUNDS = (106.0, 21.3, 107.4, 22.5)  # Lạng Sơn province, lon/lat


def tilejson(tiles_url: str, bounds: tuple[float, float, float, float] | None, *,
             name: str, description: str) -> dict[str, Any]:
    """The TileJSON 3.0 document of a parcel tile set whose tiles are at ``tiles_url``
    (``…/{z}/{x}/{y}.pbf``); ``bounds`` in lon/lat, Lạng Sơn when unknown."""
    west, south, east, north = bounds or DEFAULT_BOUNDS
    centre = [round((west + east) / 2, 6), round((south + north) / 2, 6), DETAIL_MIN_ZOOM]
    return {
        "tilejson": "3.0.0", "name": name, "description": description,
        "version": "1.0.0", "attribution": "GPMB Lạng Sơn", "scheme": "xyz",
        "format": "pbf", "type": "overlay", "tiles": [tiles_url],
        "minzoom": 0, "maxzoom": MAX_ZOOM,
        "bounds": [west, south, east, north], "center": centre,
        "vector_layers": VECTOR_LAYERS,
        # tippecanoe's metadata.json, read by GDAL's MVT driver
        "json": json.dumps({"vector_layers": VECTOR_LAYERS}, ensure_ascii=False),
    }


def style(tilejson_url: str, colours: Mapping[str, str], *, name: str) -> dict[str, Any]:
    """A Mapbox GL style v8: parcels filled by clearance step (overdue outlined red),
    communes as circles sized by their case count."""
    step_colour: list[Any] = ["match", ["get", "step"]]
    for step, colour in colours.items():
        step_colour += [step, colour]
    step_colour.append("#cccccc")  # parcels without a case
    return {
        "version": 8, "name": name,
        "sources": {"gpmb": {"type": "vector", "url": tilejson_url}},
        "layers": [
            {"id": "parcels-fill", "type": "fill", "source": "gpmb",
             "source-layer": "parcels", "minzoom": DETAIL_MIN_ZOOM,
             "paint": {"fill-color": step_colour, "fill-opacity": 0.6}},
            {"id": "parcels-line", "type": "line", "source": "gpmb",
             "source-layer": "parcels", "minzoom": DETAIL_MIN_ZOOM,
             "paint": {"line-color": ["case", ["get", "overdue"], "#b10026", "#444444"],
                       "line-width": ["case", ["get", "overdue"], 2.0, 0.5]}},
            {"id": "communes", "type": "circle", "source": "gpmb",
             "source-layer": "communes", "maxzoom": DETAIL_MIN_ZOOM,
             "paint": {"circle-color": "#3182bd", "circle-opacity": 0.7,
                       "circle-radius": ["interpolate", ["linear"], ["get", "cases"],
                                         0, 4, 1000, 24]}},
        ],
    }
