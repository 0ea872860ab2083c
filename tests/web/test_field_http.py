"""The field view over HTTP on the live server: the page, the parcel under a GPS point,
nearby ordering, look-up, compact gzipped payloads with ETags, personal data per role, and
the on-site writes (note, photo, handover) with their CSRF, role and workflow checks."""

from __future__ import annotations

import gzip
import io
import statistics
import time
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine, select, text

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.db.engine import session_factory
from gis.models import User

PROJECT = "CT-HNCL"
PASSWORD = "mat-khau-hien-truong-2026"
FIELD_USER = "hientruong.kiemthu"  # assigned to CT-HNCL
OTHER_FIELD_USER = "hientruong.duankhac"  # assigned to another project only
STAFF_USER = "canbo.hientruong"


def ensure_user(engine: Engine, username: str, role: Role,
                projects: list[str] | None = None) -> None:
    """Create a demo account once per test session (several modules share the database)."""
    with session_factory(engine).begin() as s:
        if s.scalar(select(User.id).where(User.username == username)) is None:
            create_user(s, username, role, PASSWORD, full_name=f"Kiểm thử {username}",
                        projects=projects)


def sign_in(base: str, username: str) -> httpx.Client:
    """A client signed in as ``username``, sending the session's CSRF token on writes."""
    res = httpx.post(base + "/api/auth/login", json={"username": username,
                                                     "password": PASSWORD}, timeout=30)
    assert res.status_code == 200, res.text
    client = httpx.Client(base_url=base, cookies=dict(res.cookies), timeout=30,
                          headers={"X-CSRF-Token": res.json()["csrf_token"]})
    return client


@pytest.fixture(scope="module")
def accounts(demo_engine: Engine) -> None:
    ensure_user(demo_engine, FIELD_USER, Role.FIELD, [PROJECT])
    ensure_user(demo_engine, OTHER_FIELD_USER, Role.FIELD, ["CA-LSN"])
    ensure_user(demo_engine, STAFF_USER, Role.STAFF)


@pytest.fixture
def fielder(live_server: str, accounts: None) -> Any:
    with sign_in(live_server, FIELD_USER) as client:
        yield client


def case_where(engine: Engine, where: str, order: str = "p.legal_area_m2 DESC, c.id"
               ) -> dict[str, Any]:
    """A case of the expressway matching ``where``, with an inside point of its parcel."""
    with engine.connect() as conn:
        row = conn.execute(text(f"""
            SELECT c.id AS case_id, c.parcel_id, c.step::text AS step, c.version,
                   p.commune_code, p.sheet_no, p.parcel_no, m.name AS commune,
                   ST_X(pt) AS lon, ST_Y(pt) AS lat
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN communes m ON m.code = p.commune_code JOIN projects j ON j.id = c.project_id
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
            WHERE j.code = :code AND {where} ORDER BY {order} LIMIT 1"""),
            {"code": PROJECT}).mappings().first()
    assert row is not None, f"the demo has no {PROJECT} case where {where}"
    return dict(row)


def _locate(client: httpx.Client, case: dict[str, Any], **params: Any) -> httpx.Response:
    return client.get("/field/api/locate", params={"lat": case["lat"], "lon": case["lon"],
                                                   "project": PROJECT, **params})


def test_field_page_is_small_and_local(web: httpx.Client, live_server: str) -> None:
    page = web.get(live_server + "/field", params={"project": PROJECT})
    assert page.status_code == 200
    assert len(page.content) < 40_000
    for needle in ("Định vị tôi", "Tra cứu theo tờ/thửa", "/static/field/field.js",
                   "/static/vendor/leaflet/leaflet.js", f'"project": "{PROJECT}"'):
        assert needle in page.text, needle
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/static/field/field.js", "/static/field/field.css", "/field/sw.js"):
        assert web.get(live_server + asset).status_code == 200, asset
    sw = web.get(live_server + "/field/sw.js")
    assert sw.headers["service-worker-allowed"] == "/field"
    english = web.get(live_server + "/field", params={"lang": "en"})
    assert "Locate me" in english.text and "Định vị tôi" not in english.text
    web.get(live_server + "/field", params={"lang": "vi"})
    unknown = web.get(live_server + "/field", params={"project": "KHONG-CO"})
    assert unknown.status_code == 422 and "KHONG-CO" in unknown.json()["title"]


def test_pages_and_feeds_need_a_signed_in_user(live_server: str) -> None:
    page = httpx.get(live_server + "/field", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    feed = httpx.get(live_server + "/field/api/locate", params={"lat": 21.85, "lon": 106.76})
    assert feed.status_code == 401


def test_locate_finds_the_parcel_under_the_point_and_orders_neighbours(
        web: httpx.Client, live_server: str, demo_engine: Engine) -> None:
    case = case_where(demo_engine, "true")
    with httpx.Client(base_url=live_server, cookies=web.cookies, timeout=30) as client:
        body = _locate(client, case).json()
    card = body["card"]
    assert card["parcel_id"] == case["parcel_id"] and card["case"]["id"] == case["case_id"]
    assert (card["sheet"], card["parcel"], card["commune"]) == (
        case["sheet_no"], case["parcel_no"], case["commune"])
    assert card["outline"]["type"] in {"Polygon", "MultiPolygon"}
    near = body["nearby"]
    assert near[0]["parcel_id"] == case["parcel_id"] and near[0]["distance_m"] == 0
    distances = [n["distance_m"] for n in near]
    assert distances == sorted(distances) and len(near) > 1
    with demo_engine.connect() as conn:
        expected = conn.execute(text("""
            SELECT p.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN projects j ON j.id = c.project_id
            WHERE j.code = :code AND ST_DWithin(p.geom, ST_Transform(
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 9215), 150)
            ORDER BY ST_Distance(p.geom, ST_Transform(
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 9215)), p.id LIMIT 12"""),
            {"code": PROJECT, "lon": case["lon"], "lat": case["lat"]}).scalars().all()
    assert [n["parcel_id"] for n in near] == expected


def test_payloads_are_small_gzipped_and_revalidated(web: httpx.Client, live_server: str,
                                                     demo_engine: Engine) -> None:
    case = case_where(demo_engine, "true")
    url = live_server + "/field/api/locate"
    params = {"lat": case["lat"], "lon": case["lon"], "project": PROJECT}
    headers = {"Accept-Encoding": "gzip"}
    with web.stream("GET", url, params=params, headers=headers) as res:
        raw = b"".join(res.iter_raw())
        assert res.headers["content-encoding"] == "gzip"
        etag = res.headers["etag"]
        assert "no-cache" in res.headers["cache-control"]
    plain = gzip.decompress(raw)
    print(f"locate: {len(plain)} bytes JSON, {len(raw)} bytes gzipped")
    assert len(raw) < 4_000 and len(plain) < 16_000
    again = web.get(url, params=params, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    card = web.get(f"{live_server}/field/api/parcels/{case['parcel_id']}",
                   params={"project": PROJECT}, headers=headers)
    assert card.status_code == 200 and len(card.content) < 8_000
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        assert web.get(url, params=params, headers=headers).status_code == 200
        timings.append(time.perf_counter() - started)
    median_ms = statistics.median(timings) * 1000
    print(f"locate (parcel under the point + card + nearby): median {median_ms:.0f} ms")
    assert median_ms < 1000


def test_locate_on_no_parcel_and_bad_points(web: httpx.Client, live_server: str) -> None:
    empty = web.get(live_server + "/field/api/locate", params={"lat": 20.1, "lon": 105.1})
    assert empty.status_code == 200 and empty.json()["card"] is None
    assert empty.json()["nearby"] == []
    swapped = web.get(live_server + "/field/api/locate", params={"lat": 106.7, "lon": 21.8})
    assert swapped.status_code == 422
    outside = web.get(live_server + "/field/api/locate", params={"lat": 10.8, "lon": 106.6})
    assert outside.status_code == 422 and "Lạng Sơn" in outside.json()["title"]


def test_lookup_by_commune_sheet_and_parcel(web: httpx.Client, live_server: str,
                                            demo_engine: Engine) -> None:
    case = case_where(demo_engine, "true")
    res = web.get(live_server + "/field/api/lookup", params={
        "commune": case["commune_code"], "sheet": case["sheet_no"],
        "parcel": case["parcel_no"], "project": PROJECT})
    assert res.status_code == 200
    assert case["parcel_id"] in [h["parcel_id"] for h in res.json()["results"]]
    bad = web.get(live_server + "/field/api/lookup", params={"commune": "x", "sheet": 1,
                                                            "parcel": 1})
    assert bad.status_code == 422


def test_personal_data_follows_the_role(web: httpx.Client, live_server: str,
                                        demo_engine: Engine, accounts: None) -> None:
    with demo_engine.connect() as conn:
        row = conn.execute(text("""
            SELECT c.parcel_id, u.phone, u.citizen_id FROM clearance_cases c
            JOIN projects j ON j.id = c.project_id
            JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id
            JOIN land_users u ON u.id = pu.land_user_id
            WHERE j.code = :code AND u.phone IS NOT NULL AND u.citizen_id IS NOT NULL
            ORDER BY c.id LIMIT 1"""), {"code": PROJECT}).mappings().one()
    url = f"/field/api/parcels/{row['parcel_id']}"
    leader = web.get(live_server + url).text
    with sign_in(live_server, FIELD_USER) as fielder:
        field_text = fielder.get(url).text
    with sign_in(live_server, STAFF_USER) as staff:
        staff_text = staff.get(url).text
    for shown in (leader, field_text):
        assert row["phone"] not in shown and row["citizen_id"] not in shown
    assert row["phone"] in staff_text and row["citizen_id"] not in staff_text


def test_field_user_adds_a_note_once_and_sees_it(fielder: httpx.Client,
                                                 demo_engine: Engine) -> None:
    case = case_where(demo_engine, "c.step <> 'handed_over'", "c.id")
    note = f"Hộ dân vắng nhà, hẹn lại {uuid.uuid4().hex[:6]}"
    key = f"test-{uuid.uuid4()}"
    url = f"/field/api/cases/{case['case_id']}/notes"
    first = fielder.post(url, json={"note": note}, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = fielder.post(url, json={"note": note}, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    with demo_engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c "
                                  "AND note = :n"), {"c": case["case_id"], "n": note}).scalar()
    assert count == 1
    card = fielder.get(f"/field/api/parcels/{case['parcel_id']}",
                       params={"project": PROJECT}).json()
    assert card["case"]["history"][0]["note"] == note
    assert card["case"]["history"][0]["by"] == f"Kiểm thử {FIELD_USER}"


def test_writes_need_csrf_same_origin_and_the_right_role(
        fielder: httpx.Client, web: httpx.Client, live_server: str, demo_engine: Engine,
        accounts: None) -> None:
    case = case_where(demo_engine, "c.step <> 'handed_over'", "c.id")
    url = f"/field/api/cases/{case['case_id']}/notes"
    no_token = httpx.post(live_server + url, json={"note": "x"}, cookies=fielder.cookies)
    assert no_token.status_code == 403 and no_token.json()["extra"]["reason"] == "csrf_token"
    foreign = fielder.post(url, json={"note": "x"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["extra"]["reason"] == "csrf_origin"
    leader_csrf = web.cookies.get("gpmb_csrf")
    leader = web.post(live_server + url, json={"note": "x"},
                      headers={"X-CSRF-Token": leader_csrf or ""})
    assert leader.status_code == 403 and leader.json()["extra"]["reason"] == "role_not_allowed"
    with sign_in(live_server, OTHER_FIELD_USER) as outsider:
        refused = outsider.post(url, json={"note": "x"})
        card = outsider.get(f"/field/api/parcels/{case['parcel_id']}")
    assert refused.status_code == 403 and refused.json()["extra"]["reason"] == "out_of_scope"
    # outside their assignment the parcel is not theirs to read either (or shows only the
    # case of their own project on it)
    assert card.status_code == 404 or card.json()["case"]["id"] != case["case_id"]
    empty = fielder.post(url, json={"note": ""})
    assert empty.status_code == 422


def test_handover_on_site_only_when_the_workflow_allows_it(fielder: httpx.Client,
                                                           demo_engine: Engine) -> None:
    early = case_where(demo_engine, "c.step IN ('notified', 'inventoried', 'plan_posted')")
    card = fielder.get(f"/field/api/parcels/{early['parcel_id']}",
                       params={"project": PROJECT}).json()["case"]
    assert card["handover"]["allowed"] is False
    refused = fielder.post(f"/field/api/cases/{early['case_id']}/handover",
                           json={"version": card["version"], "minutes_no": "21/BB-BGMB"})
    assert refused.status_code == 409  # InvalidTransition
    assert refused.json()["title"] == card["handover"]["reason"]
    assert "Chưa thể chuyển sang bước 'Đã bàn giao mặt bằng'" in refused.json()["title"]

    ready = case_where(demo_engine, "c.step = 'decided_paid'", "p.legal_area_m2, c.id")
    card = fielder.get(f"/field/api/parcels/{ready['parcel_id']}",
                       params={"project": PROJECT}).json()["case"]
    assert card["handover"] == {"allowed": True, "reason": None}
    url = f"/field/api/cases/{ready['case_id']}/handover"
    no_minutes = fielder.post(url, json={"version": card["version"]})
    assert no_minutes.status_code == 422  # the handover minutes number is required
    stale = fielder.post(url, json={"version": card["version"] + 1, "minutes_no": "21/BB-BGMB"})
    assert stale.status_code == 409 and stale.json()["extra"]["reason"] == "stale_version"
    done = fielder.post(url, json={"version": card["version"], "minutes_no": "21/bb-bgmb",
                                   "note": "Bàn giao tại thực địa"},
                        headers={"Idempotency-Key": f"test-{uuid.uuid4()}"})
    assert done.status_code == 201, done.text
    assert done.json()["step"] == "handed_over"
    after = fielder.get(f"/field/api/parcels/{ready['parcel_id']}",
                        params={"project": PROJECT}).json()
    assert after["step"] == "handed_over" and after["case"]["handover_date"]
    assert after["case"]["handover"]["allowed"] is False
    assert after["case"]["history"][0]["what"] == "Đã bàn giao mặt bằng"


def _jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(out, "JPEG", quality=70)
    return out.getvalue()


def test_photo_is_stored_as_a_document_of_a_note(fielder: httpx.Client,
                                                 demo_engine: Engine) -> None:
    case = case_where(demo_engine, "c.step <> 'handed_over'", "c.id DESC")
    url = f"/field/api/cases/{case['case_id']}/photos"
    key = f"test-{uuid.uuid4()}"
    data = _jpeg()
    res = fielder.post(url, files={"photo": ("cam.jpg", data, "image/jpeg")},
                       data={"note": "Tường rào phía đông"}, headers={"Idempotency-Key": key})
    assert res.status_code == 201, res.text
    body = res.json()
    again = fielder.post(url, files={"photo": ("cam.jpg", data, "image/jpeg")},
                         data={"note": "Tường rào phía đông"}, headers={"Idempotency-Key": key})
    assert again.json()["document_id"] == body["document_id"] and again.json()["replayed"]
    with demo_engine.connect() as conn:
        doc = conn.execute(text("SELECT case_id, event_id, media_type, size_bytes "
                                "FROM case_documents WHERE id = :d"),
                           {"d": body["document_id"]}).mappings().one()
    assert (doc["case_id"], doc["event_id"], doc["media_type"], doc["size_bytes"]) == (
        case["case_id"], body["event_id"], "image/jpeg", len(data))
    card = fielder.get(f"/field/api/parcels/{case['parcel_id']}").json()["case"]
    assert card["photos"]["count"] >= 1 and card["history"][0]["note"] == "Tường rào phía đông"
    download = fielder.get(card["photos"]["latest"][0]["url"])
    assert download.status_code == 200 and download.content == data
    pdf = fielder.post(url, files={"photo": ("x.jpg", b"%PDF-1.4 fake", "image/jpeg")})
    assert pdf.status_code == 422
