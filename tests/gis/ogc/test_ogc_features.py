"""The OGC features query module on the real demo database: scope conditions, estimated
counts, streamed pages and the parameter parsers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from gis.core.errors import InvalidQuery
from gis.ogc import features
from gis.ogc.collections import CASES, COLLECTIONS, PARCELS, PLOTS
from gis.ogc.params import BBOX_PATTERN, parse_bbox, parse_crs, parse_datetime, parse_limit

TODAY = dt.date(2026, 1, 15)


def _ids(engine: Engine, q: features.ItemsQuery) -> list[int]:
    """Every id, page after page (keyset)."""
    ids: list[int] = []
    while True:
        stream = features.open_items(engine, q)
        body = "[" + "".join(stream.chunks()) + "]"
        ids += [f["id"] for f in json.loads(body)]
        if not stream.more_after:
            return ids
        q = dataclasses.replace(q, after=stream.last_id)


def _query(collection: object, **kw: object) -> features.ItemsQuery:
    params = {k: [str(v)] for k, v in kw.pop("params", {}).items()}  # type: ignore[attr-defined]
    return features.parse_items_query(collection, params, personal_data=False,  # type: ignore[arg-type]
                                      today=TODAY, **kw)  # type: ignore[arg-type]


def test_scope_keeps_project_and_commune_like_the_access_policy(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        project, commune = conn.execute(text(
            "SELECT c.project_id, p.commune_code FROM clearance_cases c JOIN parcels p ON "
            "p.id = c.parcel_id GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1")).one()
        expected = conn.execute(text(
            "SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id WHERE "
            "c.project_id = :p AND p.commune_code = :m ORDER BY c.id"),
            {"p": project, "m": commune}).scalars().all()
        parcels = conn.execute(text(
            "SELECT DISTINCT p.id FROM parcels p JOIN clearance_cases c ON c.parcel_id = p.id "
            "WHERE c.project_id = :p ORDER BY p.id"), {"p": project}).scalars().all()
    q = _query(CASES, params={"limit": 1000}, project_ids=[project], commune_codes=[commune])
    assert _ids(demo_engine, q) == expected
    assert _ids(demo_engine, _query(PARCELS, params={"limit": 1000}, project_ids=[project])
                ) == parcels
    assert _ids(demo_engine, _query(CASES, project_ids=[], commune_codes=None)) == []
    assert _ids(demo_engine, _query(PLOTS, project_ids=[], commune_codes=[])) == []


def test_number_matched_is_estimated_above_the_threshold(demo_engine: Engine) -> None:
    with demo_engine.begin() as conn:
        conn.execute(text("ANALYZE parcels"))
        exact = conn.execute(text("SELECT count(*) FROM parcels")).scalar_one()
    q = _query(PARCELS)
    assert features.number_matched(demo_engine, q) == features.Matched(exact, False)
    estimated = features.number_matched(demo_engine, q, estimate_above=1)
    assert estimated.estimated and abs(estimated.count - exact) <= exact * 0.05
    filtered = _query(PARCELS, params={"land_use_code": "LUC"})
    guess = features.number_matched(demo_engine, filtered, estimate_above=1)
    with demo_engine.connect() as conn:
        luc = conn.execute(text("SELECT count(*) FROM parcels WHERE land_use_code = 'LUC'")
                           ).scalar_one()
    assert guess.estimated and luc > 0 and 0.5 * luc <= guess.count <= 2 * luc
    assert features.number_matched(demo_engine, filtered).count == luc


def test_a_stream_left_unread_gives_its_connection_back(demo_engine: Engine) -> None:
    pool = demo_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    stream = features.open_items(demo_engine, _query(PARCELS, params={"limit": 1000}))
    chunks = stream.chunks()
    next(chunks)
    chunks.close()  # the client went away mid-page
    assert pool.checkedout() == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_every_collection_sql_runs_in_every_crs(demo_engine: Engine, name: str) -> None:
    for crs in ("CRS84", "EPSG:9215", "EPSG:4326", "EPSG:3857"):
        q = _query(COLLECTIONS[name], params={"limit": 3, "crs": crs})
        stream = features.open_items(demo_engine, q)
        page = json.loads("[" + "".join(stream.chunks()) + "]")
        assert len(page) == stream.returned == min(3, features.number_matched(
            demo_engine, q).count)
        assert all(f["geometry"]["coordinates"] for f in page)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=4,
                max_size=4))
def test_bbox_parser_accepts_what_the_pattern_says(values: list[float]) -> None:
    import re

    raw = ",".join(repr(v) for v in values)
    assert re.fullmatch(BBOX_PATTERN, raw)
    x1, y1, x2, y2 = values
    crs = parse_crs("EPSG:9215")
    if x1 <= x2 and y1 <= y2:
        assert parse_bbox(raw, crs) == (x1, y1, x2, y2)
    else:
        with pytest.raises(InvalidQuery):
            parse_bbox(raw, crs)


@pytest.mark.parametrize("bad", ["0", "1001", "-1", "ten", "1.5"])
def test_limit_outside_1_to_1000_is_refused(bad: str) -> None:
    with pytest.raises(InvalidQuery):
        parse_limit(bad)


@pytest.mark.parametrize("bad", ["2025-13-01", "2025-03-05T08:00:00", "../..", "a/b/c",
                                 "2025-03-02/2025-03-01"])
def test_bad_datetimes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidQuery):
        parse_datetime(bad)
