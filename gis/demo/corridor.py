"""Demo project geometry: the Hữu Nghị – Chi Lăng expressway and two small sites.

Everything is deterministic and in EPSG:9215 (metres). The centrelines are smoothed
(Chaikin corner cutting) polylines through hand-picked waypoints, resampled every ~20 m
and snapped to a 1 mm grid. The main line is cut at exactly 43,430 m; the Tân Thanh –
Cốc Nam link ends on the main line, its junction chainage solved so that it is exactly
16,440 m long.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString, MultiPolygon, Point, Polygon
from shapely.ops import substring

from gis.core.crs import STORAGE_SRID, WGS84_SRID, format_chainage, to_storage, transformer

MAIN_LENGTH_M = 43_430.0
LINK_LENGTH_M = 16_440.0
VERTEX_SPACING_M = 20.0
GRID_M = 0.001

# (lat, lon) waypoints; the smoothed main line is cut at MAIN_LENGTH_M near Mai Sao.
_MAIN_WAYPOINTS: tuple[tuple[float, float], ...] = (
    (21.9711, 106.7108),  # Hữu Nghị border gate
    (21.9590, 106.7010),
    (21.9440, 106.6870),  # west of Đồng Đăng
    (21.9250, 106.6610),
    (21.9030, 106.6500),
    (21.8830, 106.6660),
    (21.8650, 106.7100),  # Lạng Sơn interchange, west of the city
    (21.8450, 106.7220),
    (21.8230, 106.7050),
    (21.8020, 106.6680),
    (21.7800, 106.6440),
    (21.7570, 106.6380),
    (21.7350, 106.6380),
    (21.7180, 106.6270),
    (21.7060, 106.6100),
    (21.6960, 106.5920),  # Mai Sao, Chi Lăng (junction with Bắc Giang – Lạng Sơn)
    (21.6850, 106.5780),
)
_LINK_WAYPOINTS: tuple[tuple[float, float], ...] = (
    (22.0031, 106.6839),  # Tân Thanh border gate
    (21.9900, 106.6650),
    (21.9750, 106.6450),
    (21.9550, 106.6300),
    (21.9350, 106.6200),
    (21.9080, 106.6220),
)
_LS_INTERCHANGE = (21.8650, 106.7100)
_MAIN_ROW_M = 64.0
_LINK_ROW_M = 48.0


@dataclass(frozen=True)
class AlignmentSpec:
    """One alignment (tuyến) of a linear project: centreline, chainage origin, footprint."""

    code: str
    name: str
    centreline: LineString
    start_chainage_m: float
    row_width_m: float
    footprint: MultiPolygon


def _project(latlon: tuple[tuple[float, float], ...]) -> NDArray[np.float64]:
    lats = np.array([p[0] for p in latlon])
    lons = np.array([p[1] for p in latlon])
    e, n = transformer(WGS84_SRID, STORAGE_SRID).transform(lons, lats)
    return np.column_stack([e, n]).astype(np.float64)


def chaikin(points: NDArray[np.float64], iterations: int = 6) -> NDArray[np.float64]:
    """Chaikin corner cutting; the first and last points stay where they are."""
    pts = points
    for _ in range(iterations):
        a, b = pts[:-1], pts[1:]
        q = 0.75 * a + 0.25 * b
        r = 0.25 * a + 0.75 * b
        inner = np.empty((2 * len(a), 2))
        inner[0::2], inner[1::2] = q, r
        pts = np.vstack([pts[:1], inner[1:-1], pts[-1:]])
    return pts


def resample(line: LineString, spacing: float = VERTEX_SPACING_M) -> LineString:
    """Vertices every ``spacing`` metres (the last segment may be shorter)."""
    dist = np.append(np.arange(0.0, line.length, spacing), line.length)
    if dist[-1] - dist[-2] < spacing * 0.25:
        dist = np.delete(dist, -2)
    return LineString(shapely.get_coordinates(shapely.line_interpolate_point(line, dist)))


def snap(geom: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates to the 1 mm grid (no topology repair)."""
    return shapely.transform(geom, lambda xy: np.round(xy, 3))


def _smooth(points: NDArray[np.float64]) -> LineString:
    return resample(LineString(chaikin(points)))


@lru_cache(maxsize=1)
def main_centreline() -> LineString:
    """The main line, exactly MAIN_LENGTH_M long from the Hữu Nghị border gate."""
    full = _smooth(_project(_MAIN_WAYPOINTS))
    cut = substring(full, 0.0, MAIN_LENGTH_M)
    line = snap(cut)
    assert isinstance(line, LineString)
    return line


def _link_for_junction(main: LineString, chainage: float) -> LineString:
    end = np.array(main.interpolate(chainage).coords)
    pts = np.vstack([_project(_LINK_WAYPOINTS), end])
    return _smooth(pts)


@lru_cache(maxsize=1)
def _link_and_junction() -> tuple[LineString, float]:
    main = main_centreline()
    lo, hi = 10_000.0, 14_000.0  # the link length grows with the junction chainage here
    shortest, longest = _link_for_junction(main, lo).length, _link_for_junction(main, hi).length
    if not shortest < LINK_LENGTH_M < longest:
        raise RuntimeError("link waypoints do not bracket the link length")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _link_for_junction(main, mid).length < LINK_LENGTH_M:
            lo = mid
        else:
            hi = mid
    chainage = 0.5 * (lo + hi)
    line = snap(_link_for_junction(main, chainage))
    assert isinstance(line, LineString)
    return line, chainage


def link_centreline() -> LineString:
    """The Tân Thanh – Cốc Nam link, LINK_LENGTH_M long, ending on the main line."""
    return _link_and_junction()[0]


def link_junction_chainage() -> float:
    """Chainage on the main line (m) where the link joins it."""
    return _link_and_junction()[1]


def _corridor(line: LineString, width: float) -> Polygon:
    """Flat-capped buffer; the line is stretched 1 cm at each end so the cap edges
    lie just beyond its end points and the footprint robustly contains it."""
    xy = np.array(line.coords)
    head = xy[0] + 0.01 * (xy[0] - xy[1]) / np.linalg.norm(xy[0] - xy[1])
    tail = xy[-1] + 0.01 * (xy[-1] - xy[-2]) / np.linalg.norm(xy[-1] - xy[-2])
    stretched = LineString(np.vstack([head, xy, tail]))
    poly = shapely.buffer(stretched, width / 2, cap_style="flat", quad_segs=8)
    assert isinstance(poly, Polygon)
    return poly


def _as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
    return MultiPolygon(parts)


def _bulb(line: LineString, chainage: float, radius: float, side: float) -> Polygon:
    """An interchange: a disc offset to one side of the line at ``chainage``."""
    here = np.array(line.interpolate(chainage).coords[0])
    ahead = np.array(line.interpolate(min(chainage + 50.0, line.length)).coords[0])
    behind = np.array(line.interpolate(max(chainage - 50.0, 0.0)).coords[0])
    tangent = (ahead - behind) / np.linalg.norm(ahead - behind)
    normal = np.array([-tangent[1], tangent[0]])
    centre = here + side * normal * radius * 0.55
    return Point(centre).buffer(radius, quad_segs=16)


@lru_cache(maxsize=1)
def expressway_alignments() -> list[AlignmentSpec]:
    """The PPP-BOT Hữu Nghị – Chi Lăng expressway: main line and the Tân Thanh link.

    The link's footprint excludes the main line's, so the two never overlap.
    """
    main = main_centreline()
    link = link_centreline()
    junction = link_junction_chainage()
    ls_chainage = float(main.project(Point(to_storage(_LS_INTERCHANGE[1], _LS_INTERCHANGE[0]))))
    main_buffer = _corridor(main, _MAIN_ROW_M)
    bulbs = [
        _bulb(main, 150.0, 140.0, 1.0),
        _bulb(main, junction, 170.0, -1.0),
        _bulb(main, ls_chainage, 160.0, 1.0),
        _bulb(main, MAIN_LENGTH_M - 160.0, 150.0, -1.0),
    ]
    main_fp = _as_multipolygon(shapely.union_all([main_buffer, *bulbs], grid_size=GRID_M))
    link_buffer = _corridor(link, _LINK_ROW_M)
    # Floating-point difference: its edges along the main footprint reuse that boundary
    # exactly, where snap rounding would leave sub-millimetre slivers.
    link_fp = _as_multipolygon(shapely.difference(link_buffer, main_fp))
    return [
        AlignmentSpec("MAIN", "Tuyến chính Hữu Nghị – Chi Lăng", main, 0.0, _MAIN_ROW_M, main_fp),
        AlignmentSpec("TTCN", "Tuyến nhánh Tân Thanh – Cốc Nam", link, 0.0, _LINK_ROW_M, link_fp),
    ]


def km_markers(spec: AlignmentSpec) -> list[tuple[str, Point]]:
    """Kilometre posts (every 1,000 m from the alignment's start) with their labels."""
    line = spec.centreline
    out: list[tuple[str, Point]] = []
    for d in np.arange(0.0, line.length + 1e-6, 1000.0):
        out.append((format_chainage(spec.start_chainage_m + d), line.interpolate(float(d))))
    return out


def _oriented_rect(
    centre: tuple[float, float], along: float, across: float, bearing_deg: float
) -> Polygon:
    """A rectangle ``along`` x ``across`` metres, long side at ``bearing_deg`` from east."""
    t = np.radians(bearing_deg)
    u = np.array([np.cos(t), np.sin(t)])
    v = np.array([-u[1], u[0]])
    c = np.array(centre)
    corners = [c + sa * u * along / 2 + sb * v * across / 2 for sa, sb in
               ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return Polygon(corners)


def police_hq_site() -> Polygon:
    """The provincial police HQ site (~5.6 ha) on the west edge of Lạng Sơn city."""
    rect = _oriented_rect(to_storage(106.7400, 21.8600), 265.0, 215.0, 18.0)
    # Chamfer one corner where the site meets an existing lane: irregular, as real sites are.
    corner = np.array(rect.exterior.coords[2])
    cut = Point(corner).buffer(45.0, quad_segs=1)
    site = snap(shapely.difference(rect, cut))
    assert isinstance(site, Polygon)
    return site


def resettlement_area() -> tuple[Polygon, list[tuple[str, Polygon]]]:
    """A ~2 ha resettlement area (khu tái định cư) and its ~40 house plots.

    Two blocks (LK01, LK02) of 20 plots face a 13 m internal street; frontages vary
    between 5 and 7 m and depth is 20 m, so plots are 100-140 m².
    """
    centre = np.array(to_storage(106.7330, 21.8720))
    bearing = np.radians(-12.0)
    u = np.array([np.cos(bearing), np.sin(bearing)])
    v = np.array([-u[1], u[0]])
    area = _oriented_rect((float(centre[0]), float(centre[1])), 168.0, 120.0, -12.0)
    frontages = [5.0 + 2.0 * ((k * 7) % 11) / 10.0 for k in range(20)]
    run = sum(frontages)
    plots: list[tuple[str, Polygon]] = []
    for block, side in (("LK01", 1.0), ("LK02", -1.0)):
        start = -run / 2
        for k, width in enumerate(frontages):
            a0, a1 = start, start + width
            b0, b1 = side * 6.5, side * 26.5  # street half-width 6.5 m, depth 20 m
            corners = [centre + a * u + b * v for a, b in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))]
            poly = snap(Polygon(corners))
            assert isinstance(poly, Polygon)
            plots.append((f"{block}-{k + 1:02d}", shapely.orient_polygons(poly)))
            start = a1
    outline = snap(area)
    assert isinstance(outline, Polygon)
    return outline, plots
