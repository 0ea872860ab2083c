"""Cadastral bookkeeping for the demo parcels: the fixed setting (communes, projects,
former communes), map sheets, parcel numbers, land-use codes and legal areas."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely import MultiLineString, MultiPolygon

from gis.core.landuse import LEGACY_CODES, LandGroup, land_use_type
from gis.demo import landscape
from gis.demo.communes import (
    Commune,
    approximate_boundaries,
    former_commune_parts,
    former_commune_seeds,
    load_communes,
    province_outline,
)
from gis.demo.corridor import expressway_alignments, police_hq_site, resettlement_area

FloatArray = NDArray[np.float64]
LEGACY_SHARE = 0.08
LEGAL_AREA_MISMATCH_SHARE = 0.03
URBAN_SHEET_M = 500.0
RURAL_SHEET_M = 1_000.0
_ROW_BAND_M = 40.0


@dataclass(frozen=True)
class SheetGrid:
    """Map sheets of one former commune: a square grid numbered from the north-west."""

    x0: float
    top: float
    size: float
    numbers: NDArray[np.int64]  # (rows, cols), 0 where the sheet misses the commune


@dataclass(frozen=True)
class Setting:
    """The fixed geography every parcel set is generated on."""

    communes: tuple[Commune, ...]
    commune_geoms: NDArray[np.object_]
    outline: shapely.Polygon
    centrelines: MultiLineString
    footprint: MultiPolygon
    sites: MultiPolygon
    former_keys: tuple[tuple[str, str], ...]
    former_geoms: NDArray[np.object_]
    urban_former: frozenset[str]
    sheets: dict[tuple[str, str], SheetGrid]


def _sheet_grid(part: MultiPolygon, size: float) -> SheetGrid:
    x0, y0, x1, y1 = part.bounds
    left, top = np.floor(x0 / size) * size, np.ceil(y1 / size) * size
    cols, rows = int(np.ceil((x1 - left) / size)), int(np.ceil((top - y0) / size))
    cx, cy = np.meshgrid(left + size * np.arange(cols), top - size * np.arange(1, rows + 1))
    boxes = shapely.box(cx, cy, cx + size, cy + size)
    hit = shapely.intersects(boxes, part)
    numbers = np.zeros(hit.shape, dtype=np.int64)
    numbers[hit] = np.arange(1, int(hit.sum()) + 1)  # row-major: north to south, west to east
    return SheetGrid(float(left), float(top), size, numbers)


@lru_cache(maxsize=1)
def setting() -> Setting:
    """Build (once) the communes, project geometry and former-commune sheets."""
    communes = load_communes()
    boundaries = approximate_boundaries(communes)
    parts = former_commune_parts(communes, boundaries)
    urban = frozenset(
        code
        for c in communes
        for code, name in zip(c.former_codes, c.former_names, strict=True)
        if name.startswith(("Phường", "Thị trấn"))
    )
    alignments = expressway_alignments()
    settlement, _ = resettlement_area()
    keys = tuple(sorted(parts))
    sheets = {
        key: _sheet_grid(parts[key], URBAN_SHEET_M if key[1] in urban else RURAL_SHEET_M)
        for key in keys
    }
    return Setting(
        communes=tuple(communes),
        commune_geoms=np.array([boundaries[c.code] for c in communes], dtype=object),
        outline=province_outline(communes),
        centrelines=MultiLineString([a.centreline for a in alignments]),
        footprint=MultiPolygon([p for a in alignments for p in a.footprint.geoms]),
        sites=MultiPolygon([police_hq_site(), settlement]),
        former_keys=keys,
        former_geoms=np.array([parts[k] for k in keys], dtype=object),
        urban_former=urban,
        sheets=sheets,
    )


def urban_former(s: Setting, x: FloatArray, y: FloatArray) -> NDArray[np.bool_]:
    """True where a point lies in a former ward or town (thị trấn)."""
    out = np.zeros(len(x), dtype=bool)
    for key, geom in zip(s.former_keys, s.former_geoms, strict=True):
        if key[1] in s.urban_former:
            out |= shapely.contains_xy(geom, x, y)
    return out


def which_former(s: Setting, communes: NDArray[np.str_], xy: FloatArray) -> NDArray[np.str_]:
    """Former commune (sheet commune) of each point, within its 2025 commune: the part
    containing it, else the nearest stand-in seed."""
    out = np.empty(len(xy), dtype=object)
    by_code = {c.code: c for c in s.communes}
    for code in np.unique(communes):
        sel = np.flatnonzero(communes == code)
        commune = by_code[str(code)]
        seeds = former_commune_seeds(commune, s.commune_geoms[s.communes.index(commune)])
        d = np.hypot(xy[sel, None, 0] - seeds[None, :, 0], xy[sel, None, 1] - seeds[None, :, 1])
        pick = np.array(commune.former_codes, dtype=object)[np.argmin(d, axis=1)]
        for key, geom in zip(s.former_keys, s.former_geoms, strict=True):
            if key[0] == code:
                pick[shapely.contains_xy(geom, xy[sel, 0], xy[sel, 1])] = key[1]
        out[sel] = pick
    return out.astype(str)


def sheet_numbers(
    s: Setting, communes: NDArray[np.str_], former: NDArray[np.str_], xy: FloatArray
) -> NDArray[np.int64]:
    """Map sheet number (số tờ) of each point in its former commune's sheet grid."""
    out = np.ones(len(xy), dtype=np.int64)
    pairs = np.unique(np.column_stack([communes, former]), axis=0)
    for code, old in pairs:
        grid = s.sheets[(str(code), str(old))]
        sel = np.flatnonzero((communes == code) & (former == old))
        rows, cols = grid.numbers.shape
        col = np.clip(((xy[sel, 0] - grid.x0) // grid.size).astype(int), 0, cols - 1)
        row = np.clip(((grid.top - xy[sel, 1]) // grid.size).astype(int), 0, rows - 1)
        numbers = grid.numbers[row, col]
        out[sel] = np.where(numbers > 0, numbers, max(int(grid.numbers.max()), 1))
    return out


def number_parcels(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by sheet and number the parcels 1..k on each sheet, in 40 m rows from the
    north, west to east within a row (as surveyors number them)."""
    band = np.floor(-frame["y"].to_numpy() / _ROW_BAND_M)
    frame = frame.assign(_band=band)
    frame = frame.sort_values(
        ["commune_code", "sheet_commune_code", "sheet_no", "_band", "x"], kind="stable"
    ).reset_index(drop=True)
    frame["parcel_no"] = (
        frame.groupby(["commune_code", "sheet_commune_code", "sheet_no"], sort=False).cumcount() + 1
    ).astype(np.int64)
    return frame.drop(columns=["_band", "x", "y"])


def pick_land_use(zone: NDArray[np.int8], rng: np.random.Generator) -> NDArray[np.object_]:
    """A land-use code for each parcel, drawn from its zone's mix."""
    u = rng.random(len(zone))
    out = np.empty(len(zone), dtype=object)
    for z, mix in landscape.ZONE_MIX.items():
        sel = zone == z
        codes = np.array([c for c, _ in mix], dtype=object)
        cum = np.cumsum([p for _, p in mix])
        out[sel] = codes[np.minimum(np.searchsorted(cum / cum[-1], u[sel]), len(codes) - 1)]
    return out


def source_codes(codes: NDArray[np.object_], rng: np.random.Generator) -> NDArray[np.object_]:
    """The code as surveyed: ~8 % of agricultural parcels carry a pre-2024 code."""
    legacy: dict[str, list[str]] = {}
    for old, new in sorted(LEGACY_CODES.items()):
        legacy.setdefault(new, []).append(old)
    agri = np.array([land_use_type(c).group is LandGroup.AGRICULTURAL for c in codes])
    eligible = np.array([c in legacy for c in codes]) & agri
    share = min(1.0, LEGACY_SHARE * agri.sum() / max(int(eligible.sum()), 1))
    u, pick = rng.random(len(codes)), rng.random(len(codes))
    out = codes.copy()
    for i in np.flatnonzero(eligible & (u < share)):
        options = legacy[codes[i]]
        out[i] = options[int(pick[i] * len(options))]
    return out


def legal_areas(area: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Legal areas: the plane area to 0.1 m², ~3 % off by 0.5-4 % as old records are."""
    off = rng.random(len(area)) < LEGAL_AREA_MISMATCH_SHARE
    factor = 1.0 + rng.choice([-1.0, 1.0], len(area)) * rng.uniform(0.005, 0.04, len(area))
    return np.asarray(np.round(np.where(off, area * factor, area), 1), dtype=np.float64)
