"""Property-based tests of the validation rules (hypothesis), run on in-memory layers
checked against the real province outline and commune list from PostGIS."""

from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import CRS
from shapely.geometry import Polygon
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.formats import fill
from gis.ingest.fields import resolve_columns
from gis.ingest.parcels import province_context
from gis.ingest.reader import SourceLayer
from gis.ingest.report import ValidationReport
from gis.ingest.validate import Context, Rules, validate

X0, Y0 = 449000.0, 2417400.0  # inside the commune holding the design's test point
CELL = 60.0
PROPS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def world(engine: Engine) -> tuple[Context, str]:
    """The province context and the commune at (X0, Y0)."""
    with Session(engine) as s:
        commune = s.execute(text(
            "SELECT code FROM communes WHERE ST_Contains(boundary,"
            " ST_SetSRID(ST_MakePoint(:x, :y), 9215))"), {"x": X0, "y": Y0}).scalar_one()
        return province_context(s), str(commune)


def check(world: tuple[Context, str], geoms: list[Polygon],
          keys: list[tuple[int, int]] | None = None,
          areas: list[float] | None = None) -> ValidationReport:
    ctx, commune = world
    n = len(geoms)
    keys = keys or [(1, i + 1) for i in range(n)]
    frame = gpd.GeoDataFrame({
        "MaXa": [commune] * n, "SoTo": [k[0] for k in keys], "SoThua": [k[1] for k in keys],
        "DienTich": areas or [round(g.area, 1) for g in geoms], "LoaiDat": ["LUC"] * n,
    }, geometry=geoms, crs=CRS.from_epsg(9215))
    layer = SourceLayer(frame, frame.crs, "GPKG", "Unicode", [])
    _rows, report = validate(layer, resolve_columns(frame.columns), frame.crs, ctx)
    return report


def star(cx: float, cy: float, angles: list[float], radii: list[float]) -> Polygon:
    """A star-shaped (hence simple) polygon around (cx, cy)."""
    return Polygon([(cx + r * math.cos(a), cy + r * math.sin(a))
                    for a, r in zip(angles, radii, strict=True)])


@st.composite
def stars(draw: st.DrawFn, index: int) -> Polygon:
    n = draw(st.integers(3, 12))
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
    # every angular gap below π keeps the star simple: lift them all by twice their sum
    gaps = [g + 2 * sum(raw) for g in raw]
    total = sum(gaps)
    angles = [sum(gaps[:i]) / total * 2 * math.pi for i in range(n)]
    radii = draw(st.lists(st.floats(5.0, 28.0), min_size=n, max_size=n))
    cx, cy = X0 + (index % 5) * CELL + CELL / 2, Y0 + (index // 5) * CELL + CELL / 2
    return star(cx, cy, angles, radii)


@PROPS
@given(st.integers(1, 10).flatmap(lambda n: st.tuples(*(stars(i) for i in range(n)))))
def test_valid_polygons_are_never_rejected(world: tuple[Context, str],
                                           polygons: tuple[Polygon, ...]) -> None:
    geoms = list(polygons)
    assert all(g.is_valid for g in geoms)
    report = check(world, geoms)
    assert report.ok, [p.as_dict() for p in report.errors]
    assert not [p for p in report.problems if p.code in ("geometry_repaired", "overlap")]


def bowtie(a: float, h: float, ratio: float) -> tuple[Polygon, float]:
    """A self-crossing quadrilateral (0,0),(a,h),(a,0),(0,h·ratio) placed at (X0, Y0), and
    the relative area change its repair makes, from the two lobes' areas."""
    h2 = h * ratio
    xc = a * h2 / (h + h2)
    small = 0.5 * h2 * xc
    large = 0.5 * h * (a - xc)
    ring = [(X0, Y0), (X0 + a, Y0 + h), (X0 + a, Y0), (X0, Y0 + h2)]
    return Polygon(ring), 2 * small / (large - small)


@PROPS
@given(a=st.floats(20, 200), h=st.floats(20, 200),
       ratio=st.one_of(st.floats(1e-4, 0.05), st.floats(0.05, 0.6)))
def test_repair_is_accepted_only_below_the_area_tolerance(
        world: tuple[Context, str], a: float, h: float, ratio: float) -> None:
    poly, change = bowtie(a, h, ratio)
    assert not poly.is_valid
    limit = Rules().repair_max_change
    assume(abs(change - limit) > 1e-6)
    report = check(world, [poly], areas=[round(0.5 * a * h, 1)])
    codes = {p.code for p in report.problems if p.row == 1}
    if change < limit:
        assert "geometry_repaired" in codes and "invalid_geometry" not in codes
        assert report.ok, [p.as_dict() for p in report.errors]
    else:
        assert "invalid_geometry" in codes and "geometry_repaired" not in codes
        assert not report.ok
        message = next(p.message_vi for p in report.problems if p.code == "invalid_geometry")
        # Vietnamese numbers, trailing zeros dropped: "0,2 %", "12,35 %"
        assert fill("{c:.2f} %", {"c": change * 100}) in message


@PROPS
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 6)), min_size=1, max_size=25))
def test_duplicates_are_always_detected(world: tuple[Context, str],
                                        keys: list[tuple[int, int]]) -> None:
    geoms = [shapely.box(X0 + (i % 5) * CELL, Y0 + (i // 5) * CELL,
                         X0 + (i % 5) * CELL + 40, Y0 + (i // 5) * CELL + 40)
             for i in range(len(keys))]
    report = check(world, geoms, keys=keys)
    seen = Counter(keys)
    expected = {i + 1 for i, k in enumerate(keys) if seen[k] > 1}
    flagged = {p.row for p in report.problems if p.code == "duplicate_parcel"}
    assert flagged == expected
    assert report.ok == (not expected)
    for p in report.problems:
        if p.code == "duplicate_parcel":
            assert p.row is not None
            twins = [i + 1 for i, k in enumerate(keys) if k == keys[p.row - 1] and i + 1 != p.row]
            assert all(f"{t}" in p.message_vi for t in twins)
