"""The project map over HTTP: offline assets, page size, tiles with ETags, and the JSON
feeds behind search and the parcel panel (compared with the database, no personal IDs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE
from gis.core.lookups import project_by_code
from gis.maps import layers as mapdata
from gis.maps import tiles
from web.assets import VENDOR_DIR, missing_vendor_files
from web.maps import build_project_map, project_map_parts, render_parts

ASSET_URL = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
ANY_HTTP = re.compile(r"""(?:src|href)\s*=\s*["'](https?:)?//([^/"':]+)""", re.I)
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_vendor_files_are_installed() -> None:
    assert missing_vendor_files() == [], f"run `python -m web.assets` ({VENDOR_DIR})"


def test_folium_points_only_at_local_assets() -> None:
    empty = {"type": "FeatureCollection", "features": []}
    fmap = build_project_map(bounds=(21.8, 106.7, 21.9, 106.8), tile_url="/t/{z}/{x}/{y}.pbf",
                             layers={"footprint": empty, "centreline": empty, "km": empty},
                             communes=empty, config={})
    parts = render_parts(fmap)
    urls = ASSET_URL.findall(parts.head)
    assert any("leaflet.js" in u for u in urls) and any("VectorGrid" in u for u in urls)
    assert all(u.startswith("/static/") for u in urls), urls


def test_rendered_map_is_reused_until_its_inputs_change() -> None:
    empty = {"type": "FeatureCollection", "features": []}
    inputs: dict[str, Any] = {
        "bounds": (21.8, 106.7, 21.9, 106.8), "tile_url": "/t/{z}/{x}/{y}.pbf",
        "layers": {"footprint": empty, "centreline": empty, "km": empty},
        "communes": empty, "config": {"steps": {"notified": "Đã thông báo thu hồi"}}}
    first = project_map_parts(**inputs)
    assert project_map_parts(**inputs) is first
    english = project_map_parts(**inputs, lang="en")
    assert english is not first and "OpenStreetMap (needs Internet)" in english.script
    moved = project_map_parts(**{**inputs, "bounds": (21.7, 106.7, 21.9, 106.8)})
    assert moved is not first and "21.7" in moved.script
    # No initial zoom: the page's script sets the first view (shared link or bounds).
    assert '"zoom"' not in first.script


def test_map_page_is_small_and_uses_no_external_asset(web: httpx.Client, live_server: str) -> None:
    page = web.get(live_server + "/projects/CT-HNCL/map", timeout=30)
    assert page.status_code == 200
    assert len(page.content) < 300_000
    for _scheme, host in ANY_HTTP.findall(page.text):
        assert host in LOOPBACK, f"external asset host {host}"
    assets = ASSET_URL.findall(page.text)
    assert {"/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
            "/static/map/gpmb-map.js", "/static/map/gpmb-map.css"} <= set(assets)
    # The map needs Leaflet, not Folium's other defaults (slow to parse, unused here).
    for unused in ("bootstrap", "jquery", "fontawesome", "awesome-markers", "glyphicons"):
        assert not [u for u in assets if unused in u], unused
    with httpx.Client(base_url=live_server, timeout=10, cookies=web.cookies) as client:
        for url in assets:
            assert not urlsplit(url).netloc
            assert client.get(url).status_code == 200, url
        # Images the stylesheets pull in are served too.
        css = client.get("/static/vendor/leaflet/leaflet.css").text
        image = re.search(r"url\(images/([^)]+\.png)\)", css)
        assert image and client.get(f"/static/vendor/leaflet/images/{image[1]}").is_success


def test_project_bounds_from_boxes_cover_every_geometry(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        project = project_by_code(session, "CT-HNCL", scope=PROVINCE)
        south, west, north, east = mapdata.project_bounds(session, project.id)
        exact = session.execute(text("""
            SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
              SELECT ST_Extent(ST_Transform(g, 4326)) AS b FROM (
                SELECT footprint AS g FROM alignments WHERE project_id = :p
                UNION ALL
                SELECT recovered_geom FROM clearance_cases WHERE project_id = :p) u) s"""),
            {"p": project.id}).one()
    # The box of the boxes holds every geometry and is at most a few hundred metres wider.
    assert south <= exact[0] and west <= exact[1] and north >= exact[2] and east >= exact[3]
    assert max(exact[0] - south, exact[1] - west, north - exact[2], east - exact[3]) < 0.01


def test_cached_map_layers_follow_edits(demo_engine: Engine) -> None:
    """Alignments and commune boundaries are cached, and an edit shows at once."""
    with demo_engine.connect() as conn:
        tx = conn.begin()
        session = Session(bind=conn)
        project = project_by_code(session, "CT-HNCL", scope=PROVINCE)
        communes, _land_uses = mapdata.used_codes(session, project.id)
        layers = mapdata.alignment_layers(session, project.id)
        again = mapdata.alignment_layers(session, project.id)
        assert again == layers and again is not layers  # each caller gets its own copy
        boundaries = mapdata.commune_layer(session, project.id, communes)
        assert {f["properties"]["code"] for f in boundaries["features"]} <= set(communes)

        session.execute(text("""
            UPDATE alignments SET name = name || ' (sửa)',
                   footprint = ST_Multi(ST_Translate(footprint, 200, 0)),
                   centreline = ST_Translate(centreline, 200, 0)
            WHERE project_id = :p"""), {"p": project.id})
        session.execute(text(
            "UPDATE communes SET name = name || ' (sửa)' WHERE code = :c"), {"c": communes[0]})
        edited = mapdata.alignment_layers(session, project.id)
        assert edited != layers
        assert all(f["properties"]["name"].endswith(" (sửa)")
                   for f in edited["footprint"]["features"])
        first = (edited["centreline"]["features"][0]["geometry"]["coordinates"][0][0],
                 layers["centreline"]["features"][0]["geometry"]["coordinates"][0][0])
        assert first[0] > first[1]  # moved 200 m east
        renamed = mapdata.commune_layer(session, project.id, communes)
        assert any(f["properties"]["name"].endswith(" (sửa)") for f in renamed["features"])
        session.close()
        tx.rollback()
    with Session(demo_engine) as session:  # rolled back: the cache follows back
        assert mapdata.alignment_layers(session, project.id) == layers
        assert mapdata.commune_layer(session, project.id, communes) == boundaries


def test_overview_links_each_project_to_its_map(web: httpx.Client, live_server: str) -> None:
    page = web.get(live_server + "/", timeout=30).text
    assert "/projects/CT-HNCL/map" in page and "/projects/CA-LSN/map" in page


def test_unknown_project_map_is_404(web: httpx.Client, live_server: str) -> None:
    response = web.get(live_server + "/projects/NOPE/map", timeout=30)
    assert response.status_code == 404


def test_tile_endpoint_answers_mvt_with_etag(web: httpx.Client, live_server: str,
        demo_engine: Engine, scratch_dir: Path) -> None:
    with demo_engine.connect() as conn:
        lon, lat = conn.execute(text("""
            SELECT ST_X(pt), ST_Y(pt) FROM (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326)
            AS pt FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN projects j ON j.id = c.project_id WHERE j.code = 'CT-HNCL'
            ORDER BY c.id LIMIT 1) s""")).one()
    x, y = tiles.tile_for_lonlat(15, lon, lat)
    url = f"{live_server}/tiles/parcels/15/{x}/{y}.pbf?project=CT-HNCL"
    first = web.get(url, timeout=30)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert first.headers["cache-control"] == "no-cache"
    features = mapbox_vector_tile.decode(first.content)["parcels"]["features"]
    assert features
    again = web.get(url, headers={"If-None-Match": first.headers["etag"]}, timeout=30)
    assert again.status_code == 304
    assert web.get(f"{live_server}/tiles/parcels/3/9/0.pbf", timeout=30).status_code == 422
    assert web.get(f"{live_server}/tiles/parcels/15/{x}/{y}.pbf?project=NOPE",
                     timeout=30).status_code == 404
    # `gpmb serve` leaves answered tile requests out of its access log, not failed ones.
    log = (scratch_dir / "serve.log").read_text(errors="replace")
    tile_lines = [line for line in log.splitlines() if "GET /tiles/parcels/" in line]
    assert any("project=NOPE" in line and '" 404' in line for line in tile_lines)
    assert not [line for line in tile_lines if re.search(r'" (200|304)\b', line)]


@pytest.mark.parametrize("query", ["{sheet}/{parcel}", "tờ {sheet} thửa {parcel}"])
def test_search_by_sheet_and_parcel(web: httpx.Client, live_server: str,
        demo_engine: Engine, query: str) -> None:
    with demo_engine.connect() as conn:
        row = conn.execute(text("""
            SELECT p.id, p.sheet_no, p.parcel_no FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id JOIN projects j ON j.id = c.project_id
            WHERE j.code = 'CT-HNCL' ORDER BY c.id DESC LIMIT 1""")).one()
    q = query.format(sheet=row.sheet_no, parcel=row.parcel_no)
    hits = web.get(f"{live_server}/projects/CT-HNCL/map/search", params={"q": q},
                     timeout=30).json()["results"]
    assert row.id in {h["parcel_id"] for h in hits}
    assert all((h["sheet"], h["parcel"]) == (row.sheet_no, row.parcel_no) for h in hits)


def test_search_by_name_shows_no_personal_ids(web: httpx.Client, live_server: str,
        demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        user = conn.execute(text("""
            SELECT u.full_name, u.citizen_id, u.phone, pu.parcel_id FROM land_users u
            JOIN parcel_land_users pu ON pu.land_user_id = u.id
            JOIN clearance_cases c ON c.parcel_id = pu.parcel_id
            JOIN projects j ON j.id = c.project_id
            WHERE j.code = 'CT-HNCL' AND u.citizen_id IS NOT NULL AND u.phone IS NOT NULL
            ORDER BY u.id LIMIT 1""")).one()
    response = web.get(f"{live_server}/projects/CT-HNCL/map/search",
                         params={"q": user.full_name.upper()}, timeout=30)
    hits = response.json()["results"]
    assert user.parcel_id in {h["parcel_id"] for h in hits}
    assert user.citizen_id not in response.text and user.phone not in response.text


def test_parcel_panel_data_matches_the_database(web: httpx.Client, live_server: str,
        demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        case = conn.execute(text("""
            SELECT c.id, c.parcel_id, c.step::text AS step, c.paid_vnd, c.approved_total_vnd,
                   p.sheet_no, p.parcel_no, m.name AS commune,
                   (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) AS events,
                   (SELECT count(*) FROM payments y WHERE y.case_id = c.id) AS payments,
                   (SELECT string_agg(coalesce(u.citizen_id, '') || ' ' || coalesce(u.phone, ''),
                    ' ') FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
                    WHERE pu.parcel_id = p.id) AS secrets
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN communes m ON m.code = p.commune_code JOIN projects j ON j.id = c.project_id
            WHERE j.code = 'CT-HNCL' AND c.paid_vnd > 0 ORDER BY c.id LIMIT 1""")).one()
    response = web.get(f"{live_server}/projects/CT-HNCL/map/parcels/{case.parcel_id}",
                         timeout=30)
    body = response.json()
    assert (body["case_id"], body["step"], body["sheet"], body["parcel"], body["commune"]) == (
        case.id, case.step, case.sheet_no, case.parcel_no, case.commune)
    assert (body["paid_vnd"], body["approved_vnd"]) == (case.paid_vnd, case.approved_total_vnd)
    assert len(body["history"]) == case.events and len(body["payments"]) == case.payments
    for secret in (case.secrets or "").split():
        assert secret not in response.text
    missing = web.get(f"{live_server}/projects/CA-LSN/map/parcels/{case.parcel_id}",
                        timeout=30)
    assert missing.status_code == 404
