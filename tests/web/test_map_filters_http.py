"""The project map's filters answered by the server (``/projects/{code}/map/summary``) on
the demo database: count, extent and legend figures agree with the database, with the
tiles' overdue flag and with the export of the same filters; parcels outside the project's
footprint are counted and found by the search, with their outline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from gis.core.calendar import local_today
from tests.web.map_fixtures import BANG_MAC, CASES_SQL

SUMMARY = "/projects/CT-HNCL/map/summary"


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


_CASES = CASES_SQL


def _extent(engine: Engine, where: str, **params: Any) -> tuple[float, float, float, float]:
    row = _rows(engine, f"""SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
        SELECT ST_Extent(ST_Transform(p.geom, 4326)) AS b {_CASES} AND {where}) s""",
                **params)[0]
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def test_summary_without_filters_is_the_whole_project(web: httpx.Client, live_server: str,
                                                      demo_engine: Engine) -> None:
    body = web.get(live_server + SUMMARY).json()
    by_step = dict(_rows(demo_engine, f"SELECT c.step::text, count(*) {_CASES} GROUP BY 1"))
    assert body["matching"] == body["total"] == sum(by_step.values())
    assert {s: f["cases"] for s, f in body["steps"].items() if f["cases"]} == by_step
    (south, west), (north, east) = body["bounds"]
    s, w, n, e = _extent(demo_engine, "true")
    assert south <= s + 1e-6 and west <= w + 1e-6 and north >= n - 1e-6 and east >= e - 1e-6
    assert north - south < (n - s) * 1.05 and east - west < (e - w) * 1.05


def test_commune_and_overdue_count_the_database_and_the_tiles_flag(
        web: httpx.Client, live_server: str, demo_engine: Engine) -> None:
    """Bằng Mạc, overdue only: the server's count is every matching case (the tiles'
    ``overdue`` flag, case_next_deadlines past today), not what some tiles hold."""
    today = local_today()
    late = f"p.commune_code = '{BANG_MAC}' AND d.due_on < :today"
    expected = _rows(demo_engine, f"SELECT count(*) {_CASES} AND {late}", today=today)[0][0]
    assert expected > 0  # the demo has overdue cases there
    body = web.get(live_server + SUMMARY,
                   params={"commune": BANG_MAC, "overdue": "true"}).json()
    assert body["matching"] == expected
    assert body["total"] > expected
    (south, west), (north, east) = body["bounds"]
    s, w, n, e = _extent(demo_engine, late, today=today)
    assert abs(south - s) < 1e-4 and abs(west - w) < 1e-4
    assert abs(north - n) < 1e-4 and abs(east - e) < 1e-4
    # The legend: per step under the other filters (commune, overdue).
    by_step = dict(_rows(demo_engine, f"SELECT c.step::text, count(*) {_CASES} AND {late}"
                         " GROUP BY 1", today=today))
    assert {s: f["cases"] for s, f in body["steps"].items() if f["cases"]} == by_step


def test_summary_and_export_use_one_filter_parser(web: httpx.Client, live_server: str,
                                                  demo_engine: Engine) -> None:
    params: dict[str, Any] = {"commune": [BANG_MAC, ""], "step": ["paid", "decided_paid"],
                              "land_use": ["", "LUC"]}
    body = web.get(live_server + SUMMARY, params=params).json()
    exported = web.get(live_server + "/api/exports/cases",
                       params={**params, "project": "CT-HNCL", "format": "geojson"})
    assert exported.status_code == 200, exported.text
    assert body["matching"] == int(exported.headers["X-Feature-Count"])
    expected = _rows(demo_engine, f"""SELECT count(*) {_CASES} AND p.commune_code = :m
        AND c.step IN ('paid', 'decided_paid') AND p.land_use_code = 'LUC'""", m=BANG_MAC)
    assert body["matching"] == expected[0][0]
    # The step filter leaves the legend's other rows: they say what ticking them adds.
    assert body["matching"] == body["steps"]["paid"]["cases"] + \
        body["steps"]["decided_paid"]["cases"]
    assert sum(f["cases"] for f in body["steps"].values()) >= body["matching"]


def test_nothing_matching_is_zero_without_bounds(web: httpx.Client, live_server: str,
                                                 demo_engine: Engine) -> None:
    step = "handed_over"
    found = _rows(demo_engine, f"SELECT count(*) {_CASES} AND c.step = 'handed_over'"
                  " AND d.due_on < CURRENT_DATE")[0][0]
    assert found == 0  # a handed-over case has no open deadline
    body = web.get(live_server + SUMMARY, params={"step": step, "overdue": "true"}).json()
    assert body["matching"] == 0 and body["bounds"] is None and body["total"] > 0


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"commune": "99999"}, "unknown_commune", "Không có xã/phường mã 99999"),
    ({"step": "done"}, "unknown_step", "Bước 'done' không hợp lệ"),
    ({"land_use": "XYZ"}, "unknown_land_use", "Mã loại đất 'XYZ'"),
])
def test_bad_filters_get_specific_messages(web: httpx.Client, live_server: str,
                                           params: dict[str, str], code: str,
                                           words: str) -> None:
    res = web.get(live_server + SUMMARY, params=params)
    assert res.status_code == 422
    body = res.json()
    assert body["code"] == code and words in body["detail"]


def _outside(engine: Engine) -> list[Any]:
    """Current parcels of the project's communes with no case of the project."""
    return _rows(engine, """
        SELECT p.id, p.sheet_no, p.parcel_no, p.commune_code FROM parcels p
        WHERE p.commune_code IN (SELECT DISTINCT q.commune_code FROM clearance_cases c
              JOIN parcels q ON q.id = c.parcel_id JOIN projects j ON j.id = c.project_id
              WHERE j.code = 'CT-HNCL')
          AND NOT EXISTS (SELECT 1 FROM clearance_cases c JOIN projects j
              ON j.id = c.project_id WHERE c.parcel_id = p.id AND j.code = 'CT-HNCL')
        ORDER BY p.id""")


def test_parcels_outside_the_footprint_are_counted(web: httpx.Client, live_server: str,
                                                   demo_engine: Engine) -> None:
    outside = _outside(demo_engine)
    assert outside
    crossed = _rows(demo_engine, """SELECT count(DISTINCT p.id) FROM parcels p
        JOIN alignments a ON ST_Intersects(a.footprint, p.geom)
        JOIN projects j ON j.id = a.project_id AND j.code = 'CT-HNCL'
        WHERE p.id = ANY(:ids) AND ST_Area(ST_Intersection(a.footprint, p.geom)) >= 1""",
                    ids=[r.id for r in outside])[0][0]
    body = web.get(live_server + SUMMARY).json()
    assert (body["outside"], body["not_overlaid"]) == (len(outside) - crossed, crossed)
    commune = outside[0].commune_code
    in_commune = [r for r in outside if r.commune_code == commune]
    body = web.get(live_server + SUMMARY, params={"commune": commune}).json()
    assert body["outside"] + body["not_overlaid"] == len(in_commune)


def test_a_parcel_imported_after_the_overlay_is_told_apart(
        web: httpx.Client, live_server: str, demo_engine: Engine, not_overlaid: Any) -> None:
    before = web.get(live_server + SUMMARY, params={"commune": BANG_MAC}).json()
    hits = web.get(live_server + "/projects/CT-HNCL/map/search", params={"q": "9999/1"}).json()
    hit = next(h for h in hits["outside"] if h["parcel_id"] == not_overlaid.id)
    assert hit["in_footprint"] is True and hits["results"] == []
    far = _outside(demo_engine)
    some = next(r for r in far if r.id != not_overlaid.id)
    other = web.get(live_server + "/projects/CT-HNCL/map/search",
                    params={"q": f"{some.sheet_no}/{some.parcel_no}"}).json()["outside"]
    assert any(h["in_footprint"] is False for h in other)
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM parcels WHERE id = :i"), {"i": not_overlaid.id})
    after = web.get(live_server + SUMMARY, params={"commune": BANG_MAC}).json()
    assert after["not_overlaid"] == before["not_overlaid"] - 1
    assert after["outside"] == before["outside"]


def test_search_finds_a_parcel_outside_the_footprint(web: httpx.Client, live_server: str,
                                                     demo_engine: Engine) -> None:
    parcel = _outside(demo_engine)[0]
    res = web.get(live_server + "/projects/CT-HNCL/map/search",
                  params={"q": f"{parcel.sheet_no}/{parcel.parcel_no}"}).json()
    assert parcel.id not in {h["parcel_id"] for h in res["results"]}
    hit = next(h for h in res["outside"] if h["parcel_id"] == parcel.id)
    assert hit["geometry"]["type"] == "MultiPolygon"
    (south, west), (north, east) = hit["bounds"]
    assert 21 < south < north < 23 and 106 < west < east < 108
    # A parcel of the project is never listed as outside it.
    inside = _rows(demo_engine, f"SELECT p.sheet_no, p.parcel_no, p.id {_CASES} LIMIT 1")[0]
    res = web.get(live_server + "/projects/CT-HNCL/map/search",
                  params={"q": f"{inside.sheet_no}/{inside.parcel_no}"}).json()
    assert inside.id in {h["parcel_id"] for h in res["results"]}
    assert inside.id not in {h["parcel_id"] for h in res["outside"]}


def test_overdue_filter_agrees_with_the_tiles_flag_in_every_commune(
        web: httpx.Client, live_server: str, demo_engine: Engine) -> None:
    """The summary (the export's overdue rule) and the tiles (case_next_deadlines) flag the
    same cases, commune by commune: what the map draws is what it counts."""
    flagged = dict(_rows(demo_engine, f"""SELECT p.commune_code,
        count(*) FILTER (WHERE d.due_on < :today) {_CASES} GROUP BY 1""", today=local_today()))
    assert sum(flagged.values()) > 0
    for commune, n in flagged.items():
        body = web.get(live_server + SUMMARY,
                       params={"commune": commune, "overdue": "true"}).json()
        assert body["matching"] == n, commune


def test_a_commune_scoped_reader_gets_figures_of_that_commune_only(
        live_server: str, demo_engine: Engine) -> None:
    from gis.access.accounts import create_user, set_scope
    from gis.core.domain import Role
    from gis.db.engine import session_factory

    with session_factory(demo_engine).begin() as s:
        create_user(s, "lanhdao.bangmac", Role.LEADER, "mat-khau-bang-mac-2026")
        set_scope(s, "lanhdao.bangmac", projects=[], communes=[BANG_MAC])
    login = httpx.post(live_server + "/api/auth/login", timeout=30, json={
        "username": "lanhdao.bangmac", "password": "mat-khau-bang-mac-2026"})
    assert login.status_code == 200
    outside = _outside(demo_engine)
    elsewhere = next(r for r in outside if r.commune_code != BANG_MAC)
    with httpx.Client(cookies=dict(login.cookies), timeout=30) as client:
        body = client.get(live_server + SUMMARY).json()
        n = _rows(demo_engine, f"SELECT count(*) {_CASES} AND p.commune_code = :m",
                  m=BANG_MAC)[0][0]
        assert body["matching"] == body["total"] == n
        assert body["outside"] == len([r for r in outside if r.commune_code == BANG_MAC])
        other = client.get(live_server + SUMMARY,
                           params={"commune": elsewhere.commune_code}).json()
        assert other["matching"] == 0 and other["bounds"] is None and other["outside"] == 0
        found = client.get(live_server + "/projects/CT-HNCL/map/search",
                           params={"q": f"{elsewhere.sheet_no}/{elsewhere.parcel_no}"}).json()
        assert elsewhere.id not in {h["parcel_id"] for h in found["outside"]}
