"""Parcel vector tiles from PostGIS: decoded features and properties, the overdue flag from
the trigger-kept next deadlines (revision 0007), the query plan, the low-zoom overview and
the precise cache invalidation."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from gis.access.logins import SESSION_COOKIE
from gis.access.scope import NOTHING, PROVINCE, Scope
from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidInput
from gis.maps import tiles
from gis.models import CaseEvent, CaseNextDeadline, ClearanceCase, Project
from gis.workflow import overdue
from gis.workflow.overdue import case_deadlines, overdue_cases
from tests.support import rolled_back

TODAY = dt.date(2026, 11, 21)


def _after_history(session: Session) -> dt.date:
    """TODAY, or the day after the demo's last event if that is later (the materialised
    deadlines count every recorded event; the workflow refuses events in the future)."""
    last = session.scalar(text("SELECT max(occurred_on) FROM case_events"))
    return max(TODAY, last + dt.timedelta(days=1)) if last else TODAY


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
    today = _after_history(demo)
    z, x, y, case = _parcel_tile(demo)
    overdue = {d.case_id for d in overdue_cases(demo, pid, today)}
    data = tiles.render_tile(demo, z, x, y, project_id=pid, today=today)
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


def test_overdue_flags_follow_the_calendar(demo: Session) -> None:
    """A tile of a later day flags the cases whose deadline has passed by then."""
    pid = _project_id(demo)
    row = demo.execute(text("""
        SELECT d.case_id, d.due_on, c.parcel_id FROM case_next_deadlines d
        JOIN clearance_cases c ON c.id = d.case_id
        WHERE c.project_id = :p AND d.due_on >= :t ORDER BY d.due_on, d.case_id LIMIT 1"""),
        {"p": pid, "t": _after_history(demo)}).one_or_none()
    if row is None:  # every deadline has passed: pick any case with one
        row = demo.execute(text("""
            SELECT d.case_id, d.due_on, c.parcel_id FROM case_next_deadlines d
            JOIN clearance_cases c ON c.id = d.case_id WHERE c.project_id = :p
            ORDER BY d.case_id LIMIT 1"""), {"p": pid}).one()
    lon, lat = demo.execute(text(
        "SELECT ST_X(pt), ST_Y(pt) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326)"
        " AS pt FROM parcels WHERE id = :id) s"), {"id": row.parcel_id}).one()
    x, y = tiles.tile_for_lonlat(16, lon, lat)

    def flag(day: dt.date) -> bool:
        layer = mapbox_vector_tile.decode(tiles.render_tile(
            demo, 16, x, y, project_id=pid, today=day))["parcels"]
        return {f["properties"]["case_id"]: f["properties"]["overdue"]
                for f in layer["features"]}[row.case_id]

    assert flag(row.due_on) is False  # due today: not yet overdue
    assert flag(row.due_on + dt.timedelta(days=1)) is True


def test_next_deadlines_match_the_workflow_rules(demo: Session) -> None:
    """The trigger-kept table holds what gis.workflow.overdue computes, for every case."""
    today = _after_history(demo)
    expected = {(d.case_id, d.what.value, d.due_date, d.rule_version)
                for d in case_deadlines(demo, today, limit=10_000_000)}
    kept = {(r.case_id, r.what, r.due_on, r.rule_version)
            for r in demo.scalars(select(CaseNextDeadline))}
    assert expected and kept == expected
    for day in (today, today + dt.timedelta(days=45), today + dt.timedelta(days=400)):
        for pid in demo.scalars(select(Project.id)):
            overdue = {d.case_id for d in overdue_cases(demo, pid, day, limit=10_000_000)}
            flagged = set(demo.scalars(text(
                "SELECT d.case_id FROM case_next_deadlines d JOIN clearance_cases c"
                " ON c.id = d.case_id WHERE c.project_id = :p AND d.due_on < :day"),
                {"p": pid, "day": day}))
            assert flagged == overdue


def test_installed_refresh_function_is_the_rendered_rule(demo: Session) -> None:
    """The trigger-kept deadlines run the SQL rendered from the rule tables of
    gis.workflow.deadlines: a change to them without a revision that installs it fails here."""
    installed = demo.scalar(text(
        "SELECT prosrc FROM pg_proc WHERE proname = 'gpmb_refresh_case_deadlines'"))
    assert installed == overdue.REFRESH_FUNCTION_BODY


def test_triggers_keep_the_deadline_of_a_changed_case(demo_engine: Engine) -> None:
    """A step event, a step change and a resettlement allocation each move the deadline."""
    with demo_engine.connect() as conn:
        outer = conn.begin()
        case = conn.execute(text("""
            SELECT c.id, d.what, d.due_on FROM clearance_cases c
            JOIN case_next_deadlines d ON d.case_id = c.id
            WHERE c.step = 'plan_posted' ORDER BY c.id LIMIT 1""")).one()
        assert case.what == "plan_approval"
        approved_on = conn.scalar(text(
            "SELECT max(occurred_on) FROM case_events WHERE case_id = :c"), {"c": case.id})
        # What the workflow writes when a plan is approved: the event, then the step.
        conn.execute(text("""
            INSERT INTO case_events (case_id, kind, step_from, step_to, occurred_on,
                                     decision_no, decision_date, signer)
            VALUES (:c, 'step', 'plan_posted', 'plan_approved', :d, '1/QĐ-UBND', :d,
                    'Kiểm thử')"""), {"c": case.id, "d": approved_on})
        conn.execute(text("UPDATE clearance_cases SET step = 'plan_approved' WHERE id = :c"),
                     {"c": case.id})
        after = {d.what.value: d.due_date for d in case_deadlines(
            _session(conn), approved_on, case_id=case.id)}
        kept = conn.execute(text("SELECT what, due_on FROM case_next_deadlines"
                                 " WHERE case_id = :c"), {"c": case.id}).one()
        assert kept.what != "plan_approval"
        assert after == {kept.what: kept.due_on}
        # Resettlement needed and no plot yet: the decision is not due, payment still is.
        conn.execute(text("UPDATE clearance_cases SET resettlement_needed = true"
                          " WHERE id = :c"), {"c": case.id})
        assert conn.scalar(text("SELECT what FROM case_next_deadlines WHERE case_id = :c"),
                           {"c": case.id}) == "payment"
        outer.rollback()  # the demo database stays as it was


def _session(conn: Any) -> Session:
    return Session(bind=conn, join_transaction_mode="create_savepoint")


def test_tile_without_project_has_every_parcel(demo: Session) -> None:
    z, x, y, _case = _parcel_tile(demo, 15)
    layer = mapbox_vector_tile.decode(tiles.render_tile(demo, z, x, y, project_id=None,
                                                        today=TODAY))
    ids = {f["properties"]["parcel_id"] for f in layer["parcels"]["features"]}
    xmin, ymin, xmax, ymax = tiles.tile_bounds_3857(z, x, y)
    expected = set(demo.scalars(text(
        "SELECT id FROM parcels WHERE ST_Intersects(ST_Transform(geom, 3857),"
        " ST_MakeEnvelope(:a, :b, :c, :d, 3857))"), {"a": xmin, "b": ymin, "c": xmax, "d": ymax}))
    assert expected and expected <= ids  # plus the ones only in the 64-unit buffer


def test_empty_tile_is_empty_bytes(demo: Session) -> None:
    assert tiles.render_tile(demo, 16, 0, 0, project_id=None, today=TODAY) == b""


def test_low_zoom_tile_is_a_commune_summary(demo: Session) -> None:
    pid = _project_id(demo)
    z, x, y, case = _parcel_tile(demo, 10)
    decoded = mapbox_vector_tile.decode(tiles.render_tile(demo, z, x, y, project_id=pid,
                                                          today=TODAY))
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
    z, x, y, case = _parcel_tile(demo)
    raw = tiles.driver_connection(demo)
    scoped = Scope(frozenset({_project_id(demo)}), frozenset({case["commune_code"]}))
    for project_id, scope in itertools.product((_project_id(demo), None), (PROVINCE, scoped)):
        sql, params = tiles.tile_query(z, x, y, project_id=project_id, today=TODAY,
                                       scope=scope)
        plan = "\n".join(r[0] for r in raw.execute("EXPLAIN " + sql, params).fetchall())
        assert "ix_parcels_geom" in plan, plan
        assert "Seq Scan on parcels" not in plan, plan


def test_tiles_hold_only_the_readers_scope(demo: Session) -> None:
    z, x, y, case = _parcel_tile(demo, 14)
    pid = _project_id(demo)
    every = mapbox_vector_tile.decode(tiles.render_tile(demo, z, x, y, project_id=None,
                                                        today=TODAY))["parcels"]["features"]
    with_case = set(demo.scalars(select(ClearanceCase.parcel_id).where(
        ClearanceCase.project_id == pid)))
    here = {case["commune_code"]}
    expected = {
        "commune": {f["id"] for f in every if f["properties"]["commune"] in here},
        "project": {f["id"] for f in every if f["id"] in with_case},
        "nothing": set(),
    }
    for name, scope in (("commune", Scope(communes=frozenset(here))),
                        ("project", Scope(projects=frozenset({pid}))), ("nothing", NOTHING)):
        data = tiles.render_tile(demo, z, x, y, project_id=None, today=TODAY, scope=scope)
        got = mapbox_vector_tile.decode(data).get("parcels", {"features": []})["features"]
        assert {f["id"] for f in got} == expected[name], name
    assert expected["commune"] and expected["project"]
    low = tiles.render_tile(demo, 10, *tiles.tile_for_lonlat(10, case["lon"], case["lat"]),
                            project_id=None, today=TODAY,
                            scope=Scope(communes=frozenset({case["commune_code"]})))
    points = mapbox_vector_tile.decode(low)["communes"]["features"]
    assert {f["properties"]["commune"] for f in points} == {case["commune_code"]}
    key = tiles.cache_key(None, NOTHING, TODAY, z, x, y)
    assert key != tiles.cache_key(None, PROVINCE, TODAY, z, x, y)


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
    assert cache.get(tiles.cache_key(pid, PROVINCE, TODAY, z, x + 5, y + 5)) is far
    assert cache.get(tiles.cache_key(pid, PROVINCE, TODAY, z, x, y)) is None


def _touch_case(session: Session, case_id: int) -> None:
    row = session.get(ClearanceCase, case_id)
    assert row is not None
    row.step_changed_on = TODAY  # any change to the case counts


def _add_event(session: Session, case_id: int) -> None:
    session.add(CaseEvent(case_id=case_id, kind=EventKind.NOTE, occurred_on=TODAY,
                          note="Kiểm tra hiện trường"))


@pytest.mark.parametrize("change", [_touch_case, _add_event], ids=["case", "event"])
def test_a_committed_change_invalidates_its_case_tiles(
        demo_engine: Engine, change: Callable[[Session, int], None]) -> None:
    """A change to the case, or an event added through the ORM (it may move the deadline),
    drops its parcel's tiles once committed, and not the others."""
    tiles.install_invalidation_hooks()
    tiles.CACHE.clear()
    with rolled_back(demo_engine) as session:  # the demo database stays as it was
        pid = _project_id(session)
        z, x, y, case = _parcel_tile(session)
        tiles.get_tile(session, z, x, y, project_id=pid, today=TODAY)
        tiles.get_tile(session, z, x + 5, y, project_id=pid, today=TODAY)
        assert len(tiles.CACHE) == 2
        change(session, case["case_id"])
        session.commit()
        assert tiles.CACHE.get(tiles.cache_key(pid, PROVINCE, TODAY, z, x, y)) is None
        far = tiles.cache_key(pid, PROVINCE, TODAY, z, x + 5, y)
        assert tiles.CACHE.get(far) is not None
    tiles.CACHE.clear()


# ---- the HTTP endpoint (web.map_routes) on a real server ----------------------------------

def _corridor_tile_url(demo_engine: Engine, live_server: str, z: int = 15) -> str:
    with demo_engine.connect() as conn:
        lon, lat = conn.execute(text("""
            SELECT ST_X(pt), ST_Y(pt) FROM (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326)
            AS pt FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN projects j ON j.id = c.project_id WHERE j.code = 'CT-HNCL'
            ORDER BY c.id DESC LIMIT 1) s""")).one()
    x, y = tiles.tile_for_lonlat(z, lon, lat)
    return f"{live_server}/tiles/parcels/{z}/{x}/{y}.pbf?project=CT-HNCL"


def test_tiles_need_a_signed_in_session(live_server: str, demo_engine: Engine) -> None:
    url = _corridor_tile_url(demo_engine, live_server)
    assert httpx.get(url, timeout=30).status_code == 401
    assert httpx.get(url, cookies={SESSION_COOKIE: "not-a-session"}, timeout=30
                     ).status_code == 401


def test_fast_path_answers_like_the_route(web: httpx.Client, live_server: str,
                                          demo_engine: Engine) -> None:
    """The first request goes through the route (it checks the session and the project);
    later ones are answered before routing: same bytes, ETag, 304 and error answers."""
    url = _corridor_tile_url(demo_engine, live_server, 16)
    first = web.get(url)
    second = web.get(url)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert int(second.headers["content-length"]) == len(second.content)
    assert mapbox_vector_tile.decode(second.content)["parcels"]["features"]
    assert web.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    other = url.replace("/16/", "/15/").rsplit("/", 2)[0] + "/0/0.pbf?project=CT-HNCL"
    assert web.get(other).content == b""  # an empty tile, far from the corridor
    assert web.get(f"{live_server}/tiles/parcels/3/9/0.pbf").status_code == 422
    assert web.get(url.replace("CT-HNCL", "NOPE")).status_code == 404


def test_renderer_on_the_event_loop_matches_the_sql(demo_engine: Engine) -> None:
    """The web endpoint's renderer (asyncio, own connections) encodes the same tile as the
    plain query, keeps it in its cache and closes its connections."""
    with Session(demo_engine) as session:
        pid = _project_id(session)
        z, x, y, _case = _parcel_tile(session)
        expected = tiles.render_tile(session, z, x, y, project_id=pid, today=TODAY)
    cache = tiles.TileCache()
    renderer = tiles.TileRenderer(demo_engine, cache, connections=2)

    async def run() -> list[tiles.Tile]:
        try:
            return list(await asyncio.gather(*(
                renderer.atile(z, x, y, project_id=pid, today=TODAY) for _ in range(3))))
        finally:
            await renderer.aclose()

    got = asyncio.run(run())
    assert expected and all(t.data == expected for t in got)
    assert cache.get(tiles.cache_key(pid, PROVINCE, TODAY, z, x, y)) is not None
    assert renderer.tile(z, x, y, project_id=pid, today=TODAY).data == expected


def test_a_tile_rendered_across_an_invalidation_is_not_kept() -> None:
    cache = tiles.TileCache()
    key = (1, TODAY, 16, 1, 1)
    generation = cache.generation
    cache.invalidate_bbox((0.0, 0.0, 1.0, 1.0))  # a commit lands while the tile renders
    cache.put(key, tiles.make_tile(b"old"), generation)
    assert cache.get(key) is None
    cache.put(key, tiles.make_tile(b"new"), cache.generation)
    assert cache.get(key) is not None
