"""Parcel vector tiles from PostGIS: decoded features and properties, the query plan, the
low-zoom overview and the precise cache invalidation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from gis import tiles
from gis.domain import CaseStep
from gis.errors import InvalidInput
from gis.models import ClearanceCase, Project
from gis.workflow.overdue import overdue_cases

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def demo(demo_engine: Engine) -> Iterator[Session]:
    with Session(demo_engine) as session:
        yield session


def _project_id(session: Session, code: str = "CT-HNCL") -> int:
    pid = session.scalar(select(Project.id).where(Project.code == code))
    assert pid is not None
    return pid


def _parcel_tile(session: Session, z: int = 16) -> tuple[int, int, int, dict[str, Any]]:
    """The z16 tile holding the first case's parcel, with that case's row."""
    row = session.execute(text("""
        SELECT c.id AS case_id, c.parcel_id, c.step::text AS step, p.commune_code,
               p.sheet_no, p.parcel_no, p.land_use_code,
               ST_X(pt) AS lon, ST_Y(pt) AS lat
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
        WHERE c.project_id = :p ORDER BY c.id LIMIT 1"""),
        {"p": _project_id(session)}).mappings().one()
    x, y = tiles.tile_for_lonlat(z, row["lon"], row["lat"])
    return z, x, y, dict(row)


def test_tile_holds_the_parcel_with_its_properties(demo: Session) -> None:
    pid = _project_id(demo)
    z, x, y, case = _parcel_tile(demo)
    overdue = {d.case_id for d in overdue_cases(demo, pid, TODAY)}
    data = tiles.render_tile(demo, z, x, y, project_id=pid, overdue_case_ids=overdue)
    layer = mapbox_vector_tile.decode(data)["parcels"]
    assert layer["extent"] == tiles.EXTENT
    by_parcel = {f["properties"]["parcel_id"]: f for f in layer["features"]}
    feature = by_parcel[case["parcel_id"]]
    assert feature["id"] == case["parcel_id"]
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert feature["properties"] == {
        "parcel_id": case["parcel_id"], "case_id": case["case_id"], "step": case["step"],
        "commune": case["commune_code"], "sheet": case["sheet_no"],
        "parcel": case["parcel_no"], "land_use": case["land_use_code"],
        "overdue": case["case_id"] in overdue,
    }
    # Every feature is a case of this project, with a known step.
    case_ids = {f["properties"]["case_id"] for f in layer["features"]}
    in_project = set(demo.scalars(select(ClearanceCase.id).where(
        ClearanceCase.project_id == pid, ClearanceCase.id.in_(case_ids))))
    assert case_ids == in_project
    assert {f["properties"]["step"] for f in layer["features"]} <= {s.value for s in CaseStep}
    flagged = {f["properties"]["case_id"] for f in layer["features"] if f["properties"]["overdue"]}
    assert flagged == case_ids & overdue


def test_tile_without_project_has_every_parcel(demo: Session) -> None:
    z, x, y, _case = _parcel_tile(demo, 15)
    layer = mapbox_vector_tile.decode(tiles.render_tile(demo, z, x, y, project_id=None))
    ids = {f["properties"]["parcel_id"] for f in layer["parcels"]["features"]}
    xmin, ymin, xmax, ymax = tiles.tile_bounds_3857(z, x, y)
    expected = set(demo.scalars(text(
        "SELECT id FROM parcels WHERE ST_Intersects(ST_Transform(geom, 3857),"
        " ST_MakeEnvelope(:a, :b, :c, :d, 3857))"), {"a": xmin, "b": ymin, "c": xmax, "d": ymax}))
    assert expected and expected <= ids  # plus the ones only in the 64-unit buffer


def test_empty_tile_is_empty_bytes(demo: Session) -> None:
    assert tiles.render_tile(demo, 16, 0, 0, project_id=None) == b""


def test_low_zoom_tile_is_a_commune_summary(demo: Session) -> None:
    pid = _project_id(demo)
    z, x, y, case = _parcel_tile(demo, 10)
    decoded = mapbox_vector_tile.decode(tiles.render_tile(demo, z, x, y, project_id=pid))
    assert set(decoded) == {"communes"}
    props = {f["properties"]["commune"]: f["properties"] for f in decoded["communes"]["features"]}
    expected = demo.execute(text("""
        SELECT count(*), count(*) FILTER (WHERE c.step = 'handed_over')
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        WHERE c.project_id = :p AND p.commune_code = :m"""),
        {"p": pid, "m": case["commune_code"]}).one()
    got = props[case["commune_code"]]
    assert (got["cases"], got["handed_over"]) == tuple(expected)
    assert all(f["geometry"]["type"] == "Point" for f in decoded["communes"]["features"])


def test_query_plan_uses_the_gist_index(demo: Session) -> None:
    z, x, y, _case = _parcel_tile(demo)
    demo.execute(text("SET LOCAL enable_seqscan = off"))  # tiny table: force the choice
    params = {"z": z, "x": x, "y": y, "margin": tiles.BUFFER / tiles.EXTENT,
              "project_id": _project_id(demo), "overdue": []}
    plan = "\n".join(demo.scalars(text("EXPLAIN " + tiles.PROJECT_PARCELS_SQL), params))
    assert "ix_parcels_geom" in plan
    demo.rollback()
    # Without forcing: with the planner's own choice on the demo table it still uses it.
    plan = "\n".join(demo.scalars(text("EXPLAIN " + tiles.ALL_PARCELS_SQL), params))
    assert "ix_parcels_geom" in plan


@pytest.mark.parametrize("zxy", [(-1, 0, 0), (23, 0, 0), (3, 8, 0), (3, 0, 8)])
def test_bad_tile_coordinates_are_refused(zxy: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidInput):
        tiles.check_tile(*zxy)


def test_cache_serves_and_invalidates_only_touched_tiles(demo: Session) -> None:
    pid = _project_id(demo)
    cache = tiles.TileCache()
    z, x, y, case = _parcel_tile(demo)
    touched = tiles.get_tile(demo, z, x, y, project_id=pid, today=TODAY, cache=cache)
    far = tiles.get_tile(demo, z, x + 5, y + 5, project_id=pid, today=TODAY, cache=cache)
    low = tiles.get_tile(demo, 10, *tiles.tile_for_lonlat(10, 106.7, 21.85),
                         project_id=pid, today=TODAY, cache=cache)
    assert len(cache) == 3 and touched.etag.startswith('"') and low.data
    assert tiles.get_tile(demo, z, x, y, project_id=pid, today=TODAY, cache=cache) is touched
    dropped = tiles.invalidate_parcels(demo, [case["parcel_id"]], cache=cache)
    assert dropped == 2  # the parcel's own tile and the overview tile, not the far one
    assert cache.get((pid, TODAY, z, x + 5, y + 5)) is far
    assert cache.get((pid, TODAY, z, x, y)) is None


def test_a_committed_step_change_invalidates_its_tiles(demo_engine: Engine) -> None:
    tiles.install_invalidation_hooks()
    tiles.CACHE.clear()
    with demo_engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            pid = _project_id(session)
            z, x, y, case = _parcel_tile(session)
            tiles.get_tile(session, z, x, y, project_id=pid, today=TODAY)
            tiles.get_tile(session, z, x + 5, y, project_id=pid, today=TODAY)
            assert len(tiles.CACHE) == 2
            row = session.get(ClearanceCase, case["case_id"])
            assert row is not None
            row.step_changed_on = TODAY  # any change to the case counts
            session.commit()
            assert tiles.CACHE.get((pid, TODAY, z, x, y)) is None
            assert tiles.CACHE.get((pid, TODAY, z, x + 5, y)) is not None
        outer.rollback()  # the demo database stays as it was
    tiles.CACHE.clear()
