"""The demo landscape: towns, existing roads and the Kỳ Cùng river, and a smooth terrain
field that zones the land (rice in valleys, crops and orchards on foot slopes, forest on
hills, settlements along roads and around towns).

It is a fixed, invented geography (one internal seed), so every parcel set generated over
it agrees about where the towns, roads and forests are. Coordinates are EPSG:9215.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString

from gis.core.crs import STORAGE_SRID, WGS84_SRID, transformer
from gis.demo.corridor import chaikin, main_centreline, resample

LANDSCAPE_SEED = 20250701
FloatArray = NDArray[np.float64]


class Zone(IntEnum):
    """Land-use zones; each has a typical parcel size and a mix of land-use codes."""

    URBAN = 0  # town core in a former ward/town: ODT
    VILLAGE = 1  # rural settlement: ONT
    RICE = 2
    CROPS = 3
    ORCHARD = 4
    FOREST = 5
    PROTECTION = 6


ZONE_MEAN_AREA_M2: dict[Zone, float] = {
    Zone.URBAN: 180.0,
    Zone.VILLAGE: 480.0,
    Zone.RICE: 850.0,
    Zone.CROPS: 1_400.0,
    Zone.ORCHARD: 2_800.0,
    Zone.FOREST: 8_000.0,
    Zone.PROTECTION: 15_000.0,
}

ZONE_MIX: dict[Zone, tuple[tuple[str, float], ...]] = {
    Zone.URBAN: (("ODT", 0.88), ("TMD", 0.04), ("TSC", 0.02), ("DGD", 0.02), ("TIN", 0.02),
                 ("DVH", 0.01), ("DYT", 0.01)),
    Zone.VILLAGE: (("ONT", 0.80), ("CLN", 0.06), ("HNK", 0.04), ("TIN", 0.03), ("DGD", 0.02),
                   ("TSC", 0.01), ("NTS", 0.02), ("DVH", 0.02)),
    Zone.RICE: (("LUC", 0.55), ("LUK", 0.23), ("HNK", 0.10), ("NTS", 0.07), ("ONT", 0.03),
                ("DTL", 0.02)),
    Zone.CROPS: (("HNK", 0.50), ("LUK", 0.12), ("CLN", 0.25), ("NTS", 0.03), ("NTD", 0.04),
                 ("ONT", 0.04), ("TIN", 0.02)),
    Zone.ORCHARD: (("CLN", 0.62), ("RSX", 0.22), ("HNK", 0.10), ("NTD", 0.04), ("ONT", 0.02)),
    Zone.FOREST: (("RSX", 0.86), ("CLN", 0.08), ("RPH", 0.05), ("NTD", 0.01)),
    Zone.PROTECTION: (("RPH", 0.88), ("RSX", 0.10), ("RDD", 0.02)),
}


@dataclass(frozen=True)
class Strip:
    """A linear feature that is its own cadastral parcel: a road (DGT) or a river (SON)."""

    code: str
    name: str
    line: LineString
    width_m: float


@dataclass(frozen=True)
class Town:
    """A town centre; within ``radius_m`` the land is built up."""

    name: str
    x: float
    y: float
    radius_m: float


_TOWNS: tuple[tuple[str, float, float, float], ...] = (
    ("Lạng Sơn", 21.8530, 106.7610, 2_600.0),
    ("Cao Lộc", 21.8693, 106.7692, 900.0),
    ("Đồng Đăng", 21.9450, 106.7000, 1_000.0),
    ("Đồng Mỏ", 21.6627, 106.5731, 900.0),
    ("Chi Lăng", 21.5742, 106.5054, 700.0),
    ("Na Sầm", 22.0557, 106.6159, 800.0),
    ("Văn Quan", 21.8629, 106.5378, 700.0),
    ("Lộc Bình", 21.7654, 106.9211, 800.0),
    ("Na Dương", 21.6885, 106.9654, 600.0),
    ("Bình Gia", 21.9510, 106.3685, 600.0),
    ("Bắc Sơn", 21.9072, 106.3155, 600.0),
    ("Hữu Lũng", 21.5098, 106.3405, 700.0),
    ("Thất Khê", 22.2567, 106.4731, 700.0),
    ("Đình Lập", 21.5511, 107.0923, 600.0),
    ("Cửa khẩu Hữu Nghị", 21.9711, 106.7108, 350.0),
    ("Cửa khẩu Tân Thanh", 22.0031, 106.6839, 400.0),
)

_ROADS: tuple[tuple[str, str, float, tuple[tuple[float, float], ...]], ...] = (
    ("DGT", "Quốc lộ 1A", 24.0, (
        (21.9705, 106.7118), (21.9600, 106.7080), (21.9460, 106.7020), (21.9250, 106.7050),
        (21.9000, 106.7220), (21.8750, 106.7480), (21.8530, 106.7580), (21.8300, 106.7450),
        (21.8000, 106.7280), (21.7700, 106.7000), (21.7400, 106.6680), (21.7100, 106.6300),
        (21.6630, 106.5730), (21.6200, 106.5300), (21.5740, 106.5050), (21.5300, 106.4300),
        (21.5100, 106.3400))),
    ("DGT", "Quốc lộ 4A", 16.0, (
        (21.8560, 106.7600), (21.8800, 106.7350), (21.9050, 106.7050), (21.9400, 106.6700),
        (21.9850, 106.6400), (22.0560, 106.6160), (22.1500, 106.5500), (22.2570, 106.4730))),
    ("DGT", "Quốc lộ 1B", 14.0, (
        (21.8500, 106.7550), (21.8510, 106.7250), (21.8620, 106.6800), (21.8660, 106.6200),
        (21.8630, 106.5380), (21.9000, 106.4500), (21.9510, 106.3680))),
    ("DGT", "Quốc lộ 4B", 14.0, (
        (21.8460, 106.7650), (21.8200, 106.8200), (21.7900, 106.8800), (21.7650, 106.9210),
        (21.6900, 106.9900), (21.5510, 107.0920))),
    ("DGT", "Đường Đồng Đăng – Tân Thanh", 10.0, (
        (21.9460, 106.7020), (21.9650, 106.6950), (21.9850, 106.6900), (22.0020, 106.6850))),
    ("SON", "Sông Kỳ Cùng", 60.0, (
        (21.7600, 106.9200), (21.8000, 106.8400), (21.8350, 106.7950), (21.8570, 106.7650),
        (21.8750, 106.7350), (21.8850, 106.7000), (21.8950, 106.6600), (21.9400, 106.6200),
        (22.0000, 106.5800), (22.0800, 106.5500), (22.1500, 106.5000), (22.2500, 106.4700))),
)
_LOCAL_ROADS = 18
_HILL_BIAS = 0.7
_VALLEY_DEPTH = 0.6
_VALLEY_WIDTH_M = 700.0
_RELIEF_LEVELS = (-0.9, -0.4, 0.15, 1.3)  # rice | crops | orchard | forest | protection
_HAMLET_LEVEL = 1.6
_RIBBON_M = 40.0
_LOCAL_ROAD_WIDTH_M = 7.0


def _project(lats: list[float], lons: list[float]) -> FloatArray:
    e, n = transformer(WGS84_SRID, STORAGE_SRID).transform(np.array(lons), np.array(lats))
    return np.column_stack([e, n]).astype(np.float64)


def _round_line(points: FloatArray) -> LineString:
    line = resample(LineString(chaikin(points, 4)), 25.0)
    return LineString(np.round(shapely.get_coordinates(line), 3))


@lru_cache(maxsize=1)
def towns() -> tuple[Town, ...]:
    """Town centres with built-up radii."""
    xy = _project([t[1] for t in _TOWNS], [t[2] for t in _TOWNS])
    return tuple(
        Town(t[0], float(p[0]), float(p[1]), t[3]) for t, p in zip(_TOWNS, xy, strict=True)
    )


@lru_cache(maxsize=1)
def strips() -> tuple[Strip, ...]:
    """Existing roads and the river, in priority order (the river first, then by width).

    Besides the national roads there are a few local roads (đường liên xã) crossing the
    expressway, laid out from the landscape seed.
    """
    out = []
    for code, name, width, points in _ROADS:
        xy = _project([p[0] for p in points], [p[1] for p in points])
        out.append(Strip(code, name, _round_line(xy), width))
    rng = np.random.Generator(np.random.PCG64(LANDSCAPE_SEED))
    main = main_centreline()
    for k in range(_LOCAL_ROADS):
        at = main.length * (k + 0.5 + rng.uniform(-0.3, 0.3)) / _LOCAL_ROADS
        here = np.array(main.interpolate(at).coords[0])
        ahead = np.array(main.interpolate(min(at + 30.0, main.length)).coords[0])
        tangent = (ahead - here) / np.linalg.norm(ahead - here)
        normal = np.array([-tangent[1], tangent[0]])
        half = rng.uniform(4_000.0, 9_000.0)
        offsets = np.linspace(-half, half, 7)
        wiggle = rng.normal(0.0, 250.0, size=7)
        wiggle[3] = 0.0
        pts = here + offsets[:, None] * normal + wiggle[:, None] * tangent
        out.append(Strip("DGT", f"Đường liên xã {k + 1}", _round_line(pts), _LOCAL_ROAD_WIDTH_M))
    return tuple(sorted(out, key=lambda s: (s.code != "SON", -s.width_m)))


@lru_cache(maxsize=1)
def _waves() -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    rng = np.random.Generator(np.random.PCG64(LANDSCAPE_SEED + 1))
    lengths = np.concatenate([rng.uniform(2_500, 16_000, 12), rng.uniform(600, 1_600, 8)])
    amps = np.concatenate([np.full(12, 1.0), np.full(8, 0.35)])
    theta = rng.uniform(0, np.pi, lengths.size)
    k = 2 * np.pi / lengths
    phase = rng.uniform(0, 2 * np.pi, lengths.size)
    return np.column_stack([k * np.cos(theta), k * np.sin(theta)]), amps, phase, lengths


def _wave_sum(x: FloatArray, y: FloatArray, which: slice) -> FloatArray:
    vec, amps, phase, _ = _waves()
    total = np.zeros_like(x)
    for (kx, ky), a, p in zip(vec[which], amps[which], phase[which], strict=True):
        total += a * np.sin(kx * (x - 440_000.0) + ky * (y - 2_420_000.0) + p)
    norm: float = float(np.sqrt(np.sum(amps[which] ** 2) / 2.0))
    return total / norm


@lru_cache(maxsize=1)
def _strip_vertices() -> shapely.STRtree:
    xy = np.concatenate([shapely.get_coordinates(s.line) for s in strips()])
    return shapely.STRtree(np.asarray(shapely.points(xy), dtype=object))


def distance_to_strips(x: FloatArray, y: FloatArray) -> FloatArray:
    """Distance (m) to the nearest road or river centreline vertex (every 25 m)."""
    tree = _strip_vertices()
    idx, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    out = np.empty(len(x))
    out[idx[0]] = dist
    return out


def relief(x: FloatArray, y: FloatArray, d_strip: FloatArray | None = None) -> FloatArray:
    """Relief score (about standard normal): low in valleys along roads and the river,
    high on the hills that cover most of the province."""
    hills = _wave_sum(x, y, slice(0, 20)) + _HILL_BIAS
    d = distance_to_strips(x, y) if d_strip is None else d_strip
    valley = _VALLEY_DEPTH * np.exp(-((d / _VALLEY_WIDTH_M) ** 2))
    return np.asarray(hills - valley, dtype=np.float64)


def zones(x: FloatArray, y: FloatArray, urban_unit: NDArray[np.bool_]) -> NDArray[np.int8]:
    """Zone of each point; ``urban_unit`` marks points in a former ward or town (thị trấn),
    where residential land is urban (ODT)."""
    d_road = distance_to_strips(x, y)
    r = relief(x, y, d_road)
    core = np.zeros(len(x), dtype=bool)
    for town in towns():
        core |= np.hypot(x - town.x, y - town.y) < town.radius_m
    hamlet = _wave_sum(x, y, slice(12, 20)) > _HAMLET_LEVEL
    settled = core | ((d_road < _RIBBON_M) & (r < 0.3)) | (hamlet & (r < -0.4))
    out = np.select(
        [r < _RELIEF_LEVELS[0], r < _RELIEF_LEVELS[1], r < _RELIEF_LEVELS[2],
         r < _RELIEF_LEVELS[3]],
        [Zone.RICE, Zone.CROPS, Zone.ORCHARD, Zone.FOREST],
        default=Zone.PROTECTION,
    ).astype(np.int8)
    out[settled & urban_unit] = Zone.URBAN
    out[settled & ~urban_unit] = Zone.VILLAGE
    return out


def mean_area(zone: NDArray[np.int8]) -> FloatArray:
    """Typical parcel area (m²) for each zone value."""
    table = np.array([ZONE_MEAN_AREA_M2[z] for z in Zone])
    return np.asarray(table[zone], dtype=np.float64)
