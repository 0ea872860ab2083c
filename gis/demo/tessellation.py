"""Voronoi tessellation of seed points over a partition of regions, tile by tile.

Memory stays bounded: the Voronoi diagram is computed per square tile, over the tile's
points plus a halo of neighbouring ones. A cell is kept only for a seed inside the tile,
and it is checked to be the cell the whole point set would give (every vertex of its
clipped pieces is nearer to the seed than to anything outside the halo); if not, the
tile is redone with a wider halo. Cells are snapped to the 1 mm grid before being cut by
the regions, so neighbours computed in different tiles share identical edges, and every
cut happens once per cell, so both sides of a region boundary get the same vertices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
GeomArray = NDArray[np.object_]
_POLYGON = 3
_MAX_HALO_ROUNDS = 5


@dataclass
class Pieces:
    """Polygons of cell ∩ region: ``cell`` indexes the seeds, ``region`` the regions."""

    geoms: GeomArray
    cell: IntArray
    region: IntArray


def point_array(xy: FloatArray) -> GeomArray:
    """Points for the rows of an (n, 2) coordinate array, always as an object array."""
    return np.asarray(shapely.points(np.asarray(xy).reshape(-1, 2)), dtype=object)


def snap_mm(geoms: GeomArray) -> GeomArray:
    """Round every coordinate to the 1 mm grid (fast; no topology repair)."""
    out = geoms.copy()
    coords = shapely.get_coordinates(out)
    return np.asarray(shapely.set_coordinates(out, np.round(coords, 3)), dtype=object)


def explode_polygons(geoms: GeomArray) -> tuple[GeomArray, IntArray]:
    """Polygon parts of each geometry (nested collections flattened) and their source index."""
    index = np.arange(len(geoms))
    parts = geoms
    while True:
        kinds = shapely.get_type_id(parts)
        if not np.any(kinds >= 4):
            break
        sub, sub_idx = shapely.get_parts(parts, return_index=True)
        parts, index = sub, index[sub_idx]
    keep = (shapely.get_type_id(parts) == _POLYGON) & (shapely.area(parts) > 0.0)
    return np.asarray(parts[keep], dtype=object), np.asarray(index[keep], dtype=np.int64)


def weld_vertices(geoms: GeomArray, tolerance: float = 0.005) -> GeomArray:
    """Move vertices closer than ``tolerance`` onto one of them (the lowest x, then y).

    Cells of neighbouring tiles come from separate Voronoi runs whose shared vertices can
    differ by a fraction of a millimetre, so rounding alone may split them; welding makes
    every shared vertex identical again, the same way in every polygon that has it.
    """
    coords = shapely.get_coordinates(geoms)
    order = np.lexsort((coords[:, 1], coords[:, 0]))
    ordered = coords[order]
    first = np.concatenate([[True], np.any(ordered[1:] != ordered[:-1], axis=1)])
    uid = np.cumsum(first) - 1
    inverse = np.empty(len(coords), dtype=np.int64)
    inverse[order] = uid
    uniq = ordered[first]
    # A vertex shared by cells of one tile appears in 3 pieces; a split one shows up as
    # copies used by only 1 or 2 pieces each: only those are worth a proximity search.
    cand = np.flatnonzero(np.bincount(uid) <= 2)
    points = point_array(uniq[cand])
    a, b = shapely.STRtree(points).query(points, predicate="dwithin", distance=tolerance)
    near = a < b
    if not near.any():
        return geoms
    rep = np.arange(len(uniq))
    a, b = cand[a[near]], cand[b[near]]
    while True:  # union-find by repeated min-label propagation over the few close pairs
        low = np.minimum(rep[a], rep[b])
        changed = (rep[a] != low) | (rep[b] != low)
        if not changed.any():
            break
        np.minimum.at(rep, a, low)
        np.minimum.at(rep, b, low)
        rep = rep[rep]
    # Repeated points are left for _repair: a sliver may collapse and must go through it.
    return np.asarray(shapely.set_coordinates(geoms.copy(), uniq[rep][inverse]),
                      dtype=object)


def _repair(geoms: GeomArray, index: IntArray) -> tuple[GeomArray, IntArray]:
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return geoms, index
    fixed, fixed_idx = explode_polygons(shapely.make_valid(geoms[bad]))
    good = ~bad
    return (
        np.concatenate([geoms[good], fixed]),
        np.concatenate([index[good], index[bad][fixed_idx]]),
    )


class Tessellator:
    """Cut the Voronoi cells of ``seeds`` by ``regions`` (which must tile the area)."""

    def __init__(self, seeds: FloatArray, regions: GeomArray, tile_m: float, halo_m: float):
        self.seeds = seeds
        self.regions = regions
        self.tree = shapely.STRtree(regions)
        self.tile_m = tile_m
        self.halo_m = halo_m
        keys = np.floor(seeds / tile_m).astype(np.int64)
        self.order = np.lexsort((keys[:, 1], keys[:, 0]))
        sorted_keys = keys[self.order]
        change = np.flatnonzero(np.any(np.diff(sorted_keys, axis=0) != 0, axis=1)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(seeds)]])
        self.tiles = {
            (int(sorted_keys[s, 0]), int(sorted_keys[s, 1])): (int(s), int(e))
            for s, e in zip(starts, ends, strict=True)
        }

    def _near(self, key: tuple[int, int], halo: float) -> IntArray:
        x0, y0 = key[0] * self.tile_m - halo, key[1] * self.tile_m - halo
        x1, y1 = x0 + self.tile_m + 2 * halo, y0 + self.tile_m + 2 * halo
        rings = int(np.ceil(halo / self.tile_m))
        found = []
        for i in range(key[0] - rings, key[0] + rings + 1):
            for j in range(key[1] - rings, key[1] + rings + 1):
                if (i, j) != key and (i, j) in self.tiles:
                    s, e = self.tiles[(i, j)]
                    idx = self.order[s:e]
                    xy = self.seeds[idx]
                    inside = ((xy[:, 0] >= x0) & (xy[:, 0] <= x1)
                              & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
                    found.append(idx[inside])
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    def _tile(self, key: tuple[int, int], halo: float) -> Pieces | None:
        s, e = self.tiles[key]
        inner = self.order[s:e]
        local = np.concatenate([inner, self._near(key, halo)])
        x0, y0 = key[0] * self.tile_m, key[1] * self.tile_m
        x1, y1 = x0 + self.tile_m, y0 + self.tile_m
        outer = shapely.box(x0 - 2 * halo, y0 - 2 * halo, x1 + 2 * halo, y1 + 2 * halo)
        if len(local) >= 2:
            vor = shapely.voronoi_polygons(
                shapely.multipoints(self.seeds[local]), extend_to=outer, ordered=True
            )
            cells = shapely.get_parts(vor)[: len(inner)]
        else:
            cells = np.array([outer], dtype=object)
        cells = snap_mm(np.asarray(cells, dtype=object))
        cand = self.tree.query(outer)
        local_regions = np.asarray(shapely.intersection(self.regions[cand], outer), dtype=object)
        shapely.prepare(local_regions)
        reg_i, cell_i = shapely.STRtree(cells).query(local_regions, predicate="intersects")
        whole = shapely.contains_properly(local_regions[reg_i], cells[cell_i])
        cut = np.asarray(cells[cell_i], dtype=object).copy()
        cut[~whole] = shapely.intersection(cells[cell_i[~whole]], local_regions[reg_i[~whole]])
        parts, src = explode_polygons(cut)
        parts = snap_mm(parts)
        parts, src = _repair(parts, src)
        piece_cell = inner[cell_i[src]]
        # Halo check: each vertex must be nearer its seed than the halo box's edge.
        xy, vi = shapely.get_coordinates(parts, return_index=True)
        seed = self.seeds[piece_cell[vi]]
        d_seed = np.hypot(xy[:, 0] - seed[:, 0], xy[:, 1] - seed[:, 1])
        d_edge = np.minimum.reduce(
            [xy[:, 0] - (x0 - halo), (x1 + halo) - xy[:, 0], xy[:, 1] - (y0 - halo),
             (y1 + halo) - xy[:, 1]]
        )
        if np.any(d_seed > d_edge + 1e-6):
            return None
        return Pieces(parts, piece_cell, cand[reg_i[src]].astype(np.int64))

    def run(self) -> Pieces:
        """Pieces for every seed, tiles in a fixed order."""
        out = []
        for key in sorted(self.tiles):
            halo = self.halo_m
            for _ in range(_MAX_HALO_ROUNDS):
                pieces = self._tile(key, halo)
                if pieces is not None:
                    break
                halo *= 2.0
            else:
                raise RuntimeError(f"tile {key}: Voronoi cells wider than a {halo:.0f} m halo")
            out.append(pieces)
        geoms, index = _repair(weld_vertices(np.concatenate([p.geoms for p in out])),
                               np.arange(sum(len(p.geoms) for p in out)))
        geoms = np.asarray(shapely.remove_repeated_points(geoms), dtype=object)
        return Pieces(
            geoms,
            np.concatenate([p.cell for p in out])[index],
            np.concatenate([p.region for p in out])[index],
        )


def merge_fragments(pieces: Pieces, seeds: FloatArray, land: NDArray[np.bool_]) -> IntArray:
    """Owner cell of every piece in a land region.

    The piece holding its seed (else the cell's largest) keeps its cell; any other piece
    (the part of a cell that spills over a region boundary) joins the neighbouring piece
    of the same region with which it shares the longest edge, repeatedly, until all are
    owned. -1 for pieces of non-land regions and for fragments with no owned neighbour.
    """
    n = len(pieces.geoms)
    sx, sy = seeds[pieces.cell, 0], seeds[pieces.cell, 1]
    primary = land[pieces.region] & shapely.contains_xy(pieces.geoms, sx, sy)
    # A seed within a millimetre of its cell's edge can fall outside it after snapping:
    # then the cell's largest land piece stands in as its primary.
    orphan = land[pieces.region] & ~np.isin(pieces.cell, pieces.cell[primary])
    if orphan.any():
        idx = np.flatnonzero(orphan)
        idx = idx[np.lexsort((-shapely.area(pieces.geoms[idx]), pieces.cell[idx]))]
        head = np.concatenate([[True], pieces.cell[idx][1:] != pieces.cell[idx][:-1]])
        primary[idx[head]] = True
    owner = np.where(primary, pieces.cell, -1).astype(np.int64)
    frag = np.flatnonzero(land[pieces.region] & ~primary)
    if len(frag) == 0:
        return owner
    tree = shapely.STRtree(pieces.geoms)
    qi, other = tree.query(pieces.geoms[frag], predicate="intersects")
    a = frag[qi]
    same = (a != other) & (pieces.region[a] == pieces.region[other])
    a, b = a[same], other[same]
    shared = np.asarray(shapely.length(shapely.intersection(pieces.geoms[a], pieces.geoms[b])))
    a, b, shared = a[shared > 0], b[shared > 0], shared[shared > 0]
    for _ in range(n):
        ready = (owner[a] < 0) & (owner[b] >= 0)
        if not ready.any():
            break
        ra, rb, rs = a[ready], b[ready], shared[ready]
        best = np.lexsort((rb, -rs, ra))
        ra, rb = ra[best], rb[best]
        first = np.concatenate([[True], ra[1:] != ra[:-1]])
        owner[ra[first]] = owner[rb[first]]
    return owner
