"""Deterministic demo cadastre: irregular parcels that tile a band around the projects.

``generate_parcels(n, seed)`` returns exactly ``n`` parcels (n ≥ a few hundred) that tile
:func:`parcel_domain` without gaps or overlaps: Voronoi cells of seed points whose density
follows the land-use zoning of :mod:`gis.demo.landscape`, cut by commune boundaries and
by roads and the river (which are parcels of their own, one per commune and 1 km grid
square). The band around the expressway widens with ``n`` so that parcels keep realistic
sizes; at a million parcels it covers a large part of the province. Coordinates are
EPSG:9215 on a 1 mm grid.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import MultiPolygon, Polygon

from gis.core.crs import vn2000_tm3_107_15
from gis.demo import landscape
from gis.demo.cadastre import (
    Setting,
    legal_areas,
    number_parcels,
    pick_land_use,
    setting,
    sheet_numbers,
    source_codes,
    urban_former,
    which_former,
)
from gis.demo.tessellation import (
    Pieces,
    Tessellator,
    explode_polygons,
    merge_fragments,
    point_array,
)

GRID_M = 0.001
MIN_BAND_M = 40.0
SLIVER_M2 = 5.0
_SITE_BAND_M = (60.0, 250.0)
_GRID_CUT_M = 1_000.0
_TILE_TARGET = 20_000  # seeds per Voronoi tile
_LLOYD_ROUNDS = 1


def _band_polygon(s: Setting, half_width: float) -> shapely.Geometry:
    site_band = float(np.clip(half_width, *_SITE_BAND_M))
    parts = [
        shapely.buffer(s.centrelines, half_width, quad_segs=8),
        shapely.buffer(s.footprint, 25.0, quad_segs=4),
        shapely.buffer(s.sites, site_band, quad_segs=8),
    ]
    return shapely.intersection(shapely.union_all(parts), s.outline, grid_size=GRID_M)


def _raster_near(s: Setting, reach: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Raster points (spacing ``step``) within ``reach`` of the centrelines and inside the
    province: their distance to the centrelines and their expected parcels per m²."""
    block = max(step * 16.0, 250.0)
    x0, y0, x1, y1 = shapely.buffer(s.centrelines, reach).bounds
    bx, by = np.meshgrid(np.arange(x0, x1, block), np.arange(y0, y1, block))
    near = shapely.dwithin(shapely.box(bx, by, bx + block, by + block), s.centrelines, reach)
    offsets = np.arange(step / 2, block, step)
    ox, oy = np.meshgrid(offsets, offsets)
    x = (bx[near][:, None] + ox.ravel()[None, :]).ravel()
    y = (by[near][:, None] + oy.ravel()[None, :]).ravel()
    vertices = shapely.STRtree(point_array(shapely.get_coordinates(s.centrelines)))
    idx, dist = vertices.query_nearest(shapely.points(x, y), return_distance=True)
    d = np.empty(len(x))
    d[idx[0]] = dist
    keep = (d <= reach) & shapely.contains_xy(s.outline, x, y)
    x, y, d = x[keep], y[keep], d[keep]
    density = 1.0 / landscape.mean_area(landscape.zones(x, y, urban_former(s, x, y)))
    return d, density


@lru_cache(maxsize=16)
def band_half_width(n: int) -> float:
    """Half-width (m) of the band around the centrelines that holds about n parcels of
    the sizes the zoning asks for (at least MIN_BAND_M)."""
    s = setting()
    guess = max(n * 1_800.0 / (2.0 * float(s.centrelines.length)), MIN_BAND_M)
    reach = 3.0 * guess + 200.0
    while True:
        step = float(np.clip(reach / 16.0, 5.0, 500.0))
        d, density = _raster_near(s, reach, step)
        expected = np.cumsum(density[np.argsort(d, kind="stable")]) * step * step
        if expected[-1] >= n or reach > 150_000.0:
            break
        reach *= 2.0
    at = min(int(np.searchsorted(expected, n)), len(d) - 1)
    return round(max(float(np.sort(d, kind="stable")[at]), MIN_BAND_M), 1)


@lru_cache(maxsize=8)
def parcel_domain(n: int) -> MultiPolygon:
    """The area the n demo parcels tile: a band around both centrelines and the sites,
    clipped to the province outline (EPSG:9215)."""
    band = _band_polygon(setting(), band_half_width(n))
    return MultiPolygon([p for p in shapely.get_parts(band) if isinstance(p, Polygon)])


def _regions(domain: MultiPolygon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partition of the domain: land per commune, and road/river strips per commune and
    1 km square. Returns (geometries, commune index, strip index or -1)."""
    s = setting()
    strips = landscape.strips()
    strip_polys = shapely.buffer(
        [st.line for st in strips], [st.width_m / 2 for st in strips], cap_style="flat"
    )
    any_strip = shapely.union_all(strip_polys)
    x0, y0, x1, y1 = domain.bounds
    xs = np.arange(np.floor(x0 / _GRID_CUT_M) + 1, np.ceil(x1 / _GRID_CUT_M)) * _GRID_CUT_M
    ys = np.arange(np.floor(y0 / _GRID_CUT_M) + 1, np.ceil(y1 / _GRID_CUT_M)) * _GRID_CUT_M
    grid = [shapely.linestrings([[x, y0], [x, y1]]) for x in xs]
    grid += [shapely.linestrings([[x0, y], [x1, y]]) for y in ys]
    cuts = shapely.intersection(shapely.multilinestrings(grid), any_strip)
    lines = [
        shapely.boundary(domain),
        *shapely.boundary(s.commune_geoms),
        *shapely.boundary(strip_polys),
        cuts,
    ]
    noded = shapely.union_all(shapely.intersection(lines, shapely.buffer(domain, 1.0)),
                              grid_size=GRID_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    probe = shapely.point_on_surface(faces)
    px, py = shapely.get_x(probe), shapely.get_y(probe)
    keep = shapely.contains_xy(domain, px, py)
    faces, px, py = faces[keep], px[keep], py[keep]
    commune = np.full(len(faces), -1)
    for i, geom in enumerate(s.commune_geoms):
        commune[shapely.contains_xy(geom, px, py)] = i
    strip = np.full(len(faces), -1)
    for k in range(len(strips) - 1, -1, -1):
        strip[shapely.contains_xy(strip_polys[k], px, py)] = k
    cell_x = np.where(strip >= 0, np.floor(px / _GRID_CUT_M), 0).astype(np.int64)
    cell_y = np.where(strip >= 0, np.floor(py / _GRID_CUT_M), 0).astype(np.int64)
    keys = np.column_stack([commune, strip, cell_x, cell_y])
    uniq, group = np.unique(keys, axis=0, return_inverse=True)
    geoms, communes, strip_of = [], [], []
    for g, key in enumerate(uniq):
        merged = shapely.coverage_union_all(faces[group.ravel() == g])
        for part in shapely.get_parts(merged):
            geoms.append(part)
            communes.append(key[0])
            strip_of.append(key[1])
    return _absorb_slivers(
        np.array(geoms, dtype=object), np.array(communes), np.array(strip_of)
    )


def _absorb_slivers(
    geoms: np.ndarray, communes: np.ndarray, strip_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge land regions under SLIVER_M2 (left where boundaries nearly meet) into the
    neighbour of the same commune they share most border with: too thin to hold a seed."""
    small = np.flatnonzero((strip_of < 0) & (shapely.area(geoms) < SLIVER_M2))
    if len(small) == 0:
        return geoms, communes, strip_of
    keep = np.ones(len(geoms), dtype=bool)
    tree = shapely.STRtree(geoms)
    for i in small:
        near = [j for j in tree.query(geoms[i], predicate="intersects")
                if j != i and keep[j] and communes[j] == communes[i]]
        shared = [float(shapely.length(shapely.intersection(geoms[i], geoms[j]))) for j in near]
        if not near or max(shared) <= 0:
            continue
        j = near[int(np.argmax(shared))]
        geoms[j] = shapely.coverage_union_all([geoms[j], geoms[i]])
        keep[i] = False
    return geoms[keep], communes[keep], strip_of[keep]


def _sample_seeds(
    regions: np.ndarray, land: np.ndarray, n_land: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n_land seed points in the land regions, density following the zoning; every land
    region gets at least one. Returns (xy, region index)."""
    s = setting()
    land_idx = np.flatnonzero(land)
    area = float(np.sum(shapely.area(regions[land_idx])))
    step = float(np.clip(np.sqrt(area / n_land) * 1.5, 8.0, 60.0))
    x0, y0, x1, y1 = shapely.total_bounds(regions[land_idx])
    gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    x, y = gx.ravel(), gy.ravel()
    pt_i, reg_i = shapely.STRtree(regions[land_idx]).query(shapely.points(x, y), predicate="within")
    order = np.argsort(pt_i, kind="stable")
    pt_i, reg = pt_i[order], land_idx[reg_i[order]]
    x, y = x[pt_i], y[pt_i]
    weight = 1.0 / landscape.mean_area(landscape.zones(x, y, urban_former(s, x, y)))
    if n_land < len(land_idx):
        raise ValueError(f"n is too small for {len(land_idx)} land regions")
    u = rng.random()
    budget = n_land
    for _ in range(8):
        cum = np.cumsum(weight) * (budget / weight.sum())
        counts = np.diff(np.floor(np.concatenate([[0.0], cum]) + u)).astype(np.int64)
        seeded = np.bincount(reg, weights=counts, minlength=len(regions)) > 0
        empty = land_idx[~seeded[land_idx]]  # regions the sampling missed get one seed each
        if budget == n_land - len(empty):
            break
        budget = n_land - len(empty)
    excess = int(counts.sum()) + len(empty) - n_land
    for i in np.argsort(-counts, kind="stable")[: abs(excess)]:
        counts[i] -= int(np.sign(excess))
    cell = np.repeat(np.arange(len(x)), counts)
    px = x[cell] + (rng.random(len(cell)) - 0.5) * step
    py = y[cell] + (rng.random(len(cell)) - 0.5) * step
    preg = reg[cell]
    for attempt in range(12):
        bad = np.zeros(len(cell), dtype=bool)
        for r in np.unique(preg):
            sel = np.flatnonzero(preg == r)
            bad[sel] = ~shapely.contains_xy(regions[r], px[sel], py[sel])
        if not bad.any():
            break
        # Redraw closer and closer to the raster cell's centre, which is in the region.
        scale = step * 0.6 ** (attempt + 1)
        px[bad] = x[cell[bad]] + (rng.random(bad.sum()) - 0.5) * scale
        py[bad] = y[cell[bad]] + (rng.random(bad.sum()) - 0.5) * scale
    forced = shapely.get_coordinates(shapely.point_on_surface(regions[empty]))
    xy = np.vstack([np.column_stack([px, py]), forced])
    _, first, counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):  # Voronoi needs distinct seeds
        dup = np.setdiff1d(np.arange(len(xy)), first)
        xy[dup] += rng.uniform(-0.01, 0.01, size=(len(dup), 2))
    return xy, np.concatenate([preg, empty])


def _relax(xy: np.ndarray, reg: np.ndarray, regions: np.ndarray, pieces: Pieces) -> np.ndarray:
    """One Lloyd step: move each seed to the centroid of its own piece, if that stays
    inside the seed's region."""
    own = pieces.region == reg[pieces.cell]
    own &= shapely.contains_xy(pieces.geoms, xy[pieces.cell, 0], xy[pieces.cell, 1])
    c = shapely.get_coordinates(shapely.centroid(pieces.geoms[own]))
    cells = pieces.cell[own]
    moved = xy.copy()
    for r in np.unique(reg[cells]):
        sel = np.flatnonzero(reg[cells] == r)
        ok = shapely.contains_xy(regions[r], c[sel, 0], c[sel, 1])
        moved[cells[sel[ok]]] = c[sel[ok]]
    return moved


def _tessellate(xy: np.ndarray, regions: np.ndarray, area: float) -> Pieces:
    tile = float(np.clip(np.sqrt(area / len(xy) * _TILE_TARGET), 1_500.0, 8_000.0))
    return Tessellator(xy, regions, tile, 600.0).run()


def generate_parcels(n: int = 5000, seed: int = 20250331) -> gpd.GeoDataFrame:
    """Generate ``n`` demo parcels (same n and seed give identical output everywhere).

    Columns: parcel_key (int64, 1..n), commune_code, sheet_commune_code (str), sheet_no,
    parcel_no (int64), land_use_code, land_use_code_source (str), legal_area_m2 (float64),
    geometry (Polygon, EPSG:9215).
    """
    streams = np.random.SeedSequence(seed).spawn(4)
    rng_points, rng_use, rng_area, rng_source = (np.random.Generator(np.random.PCG64(s))
                                                 for s in streams)
    s = setting()
    domain = parcel_domain(n)
    regions, commune_of, strip_of = _regions(domain)
    land = strip_of < 0
    n_strip = int(np.sum(~land))
    xy, reg = _sample_seeds(regions, land, n - n_strip, rng_points)
    area = float(domain.area)
    for _ in range(_LLOYD_ROUNDS):
        xy = _relax(xy, reg, regions, _tessellate(xy, regions, area))
    pieces = _tessellate(xy, regions, area)
    owner = merge_fragments(pieces, xy, land)
    strip_piece = ~land[pieces.region]
    key = np.where(strip_piece, len(xy) + pieces.region, owner)
    lost = key < 0
    if shapely.area(pieces.geoms[lost]).sum() > SLIVER_M2:
        raise RuntimeError(f"{int(lost.sum())} fragments could not be merged")
    geoms = _assemble(pieces.geoms[~lost], key[~lost])
    key = key[~lost]
    keys = np.unique(key)
    if len(keys) != n:
        raise RuntimeError(f"tessellation gave {len(keys)} parcels instead of {n}")
    is_strip = keys >= len(xy)
    rep = np.empty((len(keys), 2))
    rep[~is_strip] = xy[keys[~is_strip]]
    rep[is_strip] = shapely.get_coordinates(shapely.point_on_surface(geoms[is_strip]))
    region = np.where(is_strip, keys - len(xy), reg[np.minimum(keys, len(xy) - 1)])
    communes = np.array([s.communes[i].code for i in commune_of[region]])
    former = which_former(s, communes, rep)
    urban = np.array([code in s.urban_former for code in former])
    zone = landscape.zones(rep[:, 0], rep[:, 1], urban)
    strips = landscape.strips()
    use = pick_land_use(zone, rng_use)
    use[is_strip] = [strips[k].code for k in strip_of[region[is_strip]]]
    sheet = sheet_numbers(s, communes, former, rep)
    frame = pd.DataFrame({
        "commune_code": communes,
        "sheet_commune_code": former,
        "sheet_no": sheet.astype(np.int64),
        "x": rep[:, 0],
        "y": rep[:, 1],
        "land_use_code": use,
    })
    frame["geometry"] = geoms
    frame = number_parcels(frame)
    frame["land_use_code_source"] = source_codes(frame["land_use_code"].to_numpy(), rng_source)
    frame["legal_area_m2"] = legal_areas(shapely.area(frame["geometry"].to_numpy()), rng_area)
    frame.insert(0, "parcel_key", np.arange(1, len(frame) + 1, dtype=np.int64))
    columns = ["parcel_key", "commune_code", "sheet_commune_code", "sheet_no", "parcel_no",
               "land_use_code", "land_use_code_source", "legal_area_m2", "geometry"]
    return gpd.GeoDataFrame(frame[columns], geometry="geometry", crs=vn2000_tm3_107_15())


def _assemble(geoms: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Union the pieces sharing a key; single pieces are used as they are."""
    order = np.argsort(key, kind="stable")
    k_sorted = key[order]
    starts = np.flatnonzero(np.concatenate([[True], k_sorted[1:] != k_sorted[:-1]]))
    ends = np.append(starts[1:], len(k_sorted))
    out = np.asarray(geoms[order[starts]], dtype=object).copy()
    for g in np.flatnonzero(ends - starts > 1):
        merged = shapely.union_all(geoms[order[starts[g]:ends[g]]])
        parts, _ = explode_polygons(np.array([merged], dtype=object))
        out[g] = max(parts, key=lambda p: p.area) if len(parts) > 1 else parts[0]
    return out
