"""Offline field work over HTTP on the live server: the size of an area before download,
the area package (names, never ID or phone numbers), queued actions received exactly once
per key, conflicts when the case changed in a way that matters, refusals with the
workflow's message, notes that never conflict, and the staff conflict page's decisions."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text

from gis.core.calendar import local_today
from gis.core.domain import CaseStep
from gis.db.engine import session_factory
from gis.models import User
from gis.workflow.service import record_step
from tests.web.test_field_http import (  # the module's fixtures, shared
    OTHER_FIELD_USER,
    PROJECT,
    STAFF_USER,
    _jpeg,
    accounts,  # noqa: F401
    case_where,
    fielder,  # noqa: F401
    sign_in,
)

pytestmark = pytest.mark.usefixtures("accounts")


@pytest.fixture
def tablet(request: pytest.FixtureRequest) -> httpx.Client:
    """The field user's client (``fielder`` of the field HTTP tests)."""
    client: httpx.Client = request.getfixturevalue("fielder")
    return client


def _user_id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(User.id).where(User.username == username)).scalar_one())


def _base(engine: Engine, case_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text("""SELECT version, step::text AS step, paid_vnd,
            approved_total_vnd AS approved_vnd, complaint_open, handover_date
            FROM clearance_cases WHERE id = :c"""), {"c": case_id}).mappings().one()
    base = dict(row)
    base["handover_date"] = base["handover_date"].isoformat() if base["handover_date"] else None
    return base


def action(kind: str, case_id: int, base: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A queued action as the tablet sends it."""
    return {"key": f"field-test-{uuid.uuid4()}", "kind": kind, "case_id": case_id,
            "base": base, "done_at": dt.datetime.now(dt.UTC).isoformat(), **extra}


def send(client: httpx.Client, body: dict[str, Any], photo: bytes | None = None
         ) -> httpx.Response:
    files = {"photo": ("anh.jpg", photo, "image/jpeg")} if photo is not None else None
    return client.post("/field/api/actions", data={"action": json.dumps(body)}, files=files,
                       headers={"Idempotency-Key": body["key"]})


def _events(engine: Engine, case_id: int, like: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c "
                                     "AND note LIKE :n"), {"c": case_id, "n": like}).scalar_one())


def test_area_size_is_shown_before_the_package(tablet: httpx.Client,
                                               demo_engine: Engine) -> None:
    spot = case_where(demo_engine, "true")
    params = {"kind": "commune", "commune": spot["commune_code"], "project": PROJECT}
    est = tablet.get("/field/api/areas/estimate", params=params)
    assert est.status_code == 200, est.text
    size = est.json()
    with demo_engine.connect() as conn:
        expected = conn.execute(text("""SELECT count(*) FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id JOIN projects j ON j.id = c.project_id
            WHERE j.code = :j AND p.commune_code = :m"""),
            {"j": PROJECT, "m": spot["commune_code"]}).scalar_one()
    assert size["parcels"] == size["cases"] == expected > 0
    assert size["tiles"] > size["parcels"] / 10 and size["total_bytes"] > size["package_bytes"]
    res = tablet.get("/field/api/areas/package", params=params,
                      headers={"Accept-Encoding": "gzip"})
    assert res.status_code == 200 and res.headers["content-encoding"] == "gzip"
    assert abs(int(res.headers["content-length"]) - size["package_bytes"]) < 2048
    package = res.json()
    assert package["area"]["label"] == spot["commune"]
    assert dt.datetime.fromisoformat(package["area"]["downloaded_at"]).tzinfo is not None
    assert len(package["cards"]) == expected and len(package["tiles"]) == size["tiles"]
    assert {z for z, _x, _y in package["tiles"]} == set(range(10, 19))
    ours = next(c for c in package["cards"] if c["parcel_id"] == spot["parcel_id"])
    assert ours["case"]["id"] == spot["case_id"] and ours["case"]["version"] == spot["version"]
    west, south, east, north = ours["bbox"]
    assert west <= spot["lon"] <= east and south <= spot["lat"] <= north
    with demo_engine.connect() as conn:
        private = conn.execute(text("""SELECT u.citizen_id, u.phone FROM land_users u
            JOIN parcel_land_users pu ON pu.land_user_id = u.id JOIN parcels p
            ON p.id = pu.parcel_id WHERE p.commune_code = :m AND (u.citizen_id IS NOT NULL
            OR u.phone IS NOT NULL)"""), {"m": spot["commune_code"]}).all()
    assert private, "the demo should have ID and phone numbers in this commune"
    body = res.text
    for citizen_id, phone in private:
        assert (citizen_id or "@@") not in body and (phone or "@@") not in body
    assert any(c["holders"] for c in package["cards"])


def test_area_by_section_and_work_list_and_bad_areas(tablet: httpx.Client,
                                                     demo_engine: Engine) -> None:
    section = tablet.get("/field/api/areas/estimate", params={
        "kind": "section", "project": PROJECT, "from_km": "Km0+000", "to_km": "Km3+000"})
    assert section.status_code == 200, section.text
    assert section.json()["label"].startswith(f"{PROJECT} Km0+000")
    assert section.json()["parcels"] > 0
    spot = case_where(demo_engine, "true")
    work = tablet.get("/field/api/areas/package", params={
        "kind": "worklist", "project": PROJECT, "cases": f"{spot['case_id']}, 999999999"})
    assert [c["parcel_id"] for c in work.json()["cards"]] == [spot["parcel_id"]]
    bad = tablet.get("/field/api/areas/estimate", params={
        "kind": "section", "project": PROJECT, "from_km": "Km5+000", "to_km": "Km2+000"})
    assert bad.status_code == 422 and "điểm đầu phải nhỏ hơn" in bad.json()["title"]
    bad = tablet.get("/field/api/areas/estimate", params={"kind": "section",
                                                           "from_km": "abc", "to_km": "1"})
    assert bad.status_code == 422 and "không đúng dạng" in bad.json()["title"]


def test_a_queued_note_and_photo_arrive_once_and_never_conflict(
        tablet: httpx.Client, demo_engine: Engine) -> None:
    case = case_where(demo_engine, "c.step IN ('notified', 'inventoried')", "c.id DESC")
    stale = _base(demo_engine, case["case_id"])
    stale["version"] = max(stale["version"] - 1, 1) if stale["version"] > 1 else 1
    stale["step"] = "not_started"  # the tablet's copy is old: a note does not care
    note = f"Ghi chú ngoại tuyến {uuid.uuid4().hex[:6]}"
    body = action("note", case["case_id"], stale, note=note)
    first = send(tablet, body)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "applied" and first.json()["replayed"] is False
    again = send(tablet, body)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    assert _events(demo_engine, case["case_id"], note) == 1
    reused = send(tablet, {**body, "note": "khác"})
    assert reused.status_code == 409 and reused.json()["extra"]["reason"] == \
        "idempotency_key_reused"
    photo = action("photo", case["case_id"], stale, note="Ảnh cổng nhà")
    sent = send(tablet, photo, _jpeg())
    assert sent.status_code == 201 and sent.json()["document_id"]
    assert send(tablet, photo, _jpeg()).json()["document_id"] == sent.json()["document_id"]
    assert send(tablet, action("photo", case["case_id"], stale), b"GIF89a").status_code == 422


def _ready(engine: Engine, order: str) -> dict[str, Any]:
    return case_where(engine, "c.step = 'decided_paid' AND NOT EXISTS (SELECT 1 FROM "
                      "field_actions f WHERE f.case_id = c.id)", order)


def test_handover_made_offline_conflicts_when_the_case_moved_on(
        tablet: httpx.Client, live_server: str, demo_engine: Engine) -> None:
    case = _ready(demo_engine, "p.legal_area_m2 DESC, c.id")
    seen = _base(demo_engine, case["case_id"])
    gps = {"lat": case["lat"], "lon": case["lon"], "accuracy_m": 6.0}
    body = action("handover", case["case_id"], seen, gps=gps, note="Hộ dân đã dọn đi",
                  minutes_no="21/BB-BGMB")
    # Meanwhile the office records the handover itself.
    with session_factory(demo_engine).begin() as s:
        record_step(s, case["case_id"], CaseStep.HANDED_OVER, expected_version=seen["version"],
                    occurred_on=local_today(), actor_id=_user_id(demo_engine, STAFF_USER),
                    decision_no="20/BB-BGMB", decision_date=local_today(),
                    note="Bàn giao tại văn phòng")
    res = send(tablet, body)
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["outcome"] == "conflict" and out["event_id"] is None
    assert "đã được xác nhận bàn giao" in out["reasons"][0]
    assert out["server"]["step"] == "handed_over"
    assert send(tablet, body).json()["outcome"] == "conflict"  # a retry: the same answer
    status = tablet.get("/field/api/actions/status", params={"keys": body["key"]}).json()
    assert [a["outcome"] for a in status["actions"]] == ["conflict"]
    # The staff page shows both sides and the conflict is discarded there.
    with sign_in(live_server, STAFF_USER) as staff:
        page = staff.get("/field/conflicts")
        assert page.status_code == 200
        block = re.search(rf'<section[^>]*data-key="{body["key"]}".*?</section>', page.text,
                          re.S)
        assert block and "Trên máy tính bảng" in block[0] and "Trên máy chủ bây giờ" in block[0]
        action_id = int(re.search(r'id="conflict-(\d+)"', block[0])[1])  # type: ignore[index]
        token = staff.cookies["gpmb_csrf"]
        done = staff.post(f"/field/conflicts/{action_id}",
                          data={"decision": "discard", "csrf_token": token})
        assert done.status_code == 303
        twice = staff.post(f"/field/conflicts/{action_id}",
                           data={"decision": "apply", "csrf_token": token})
        assert twice.status_code == 409 and "đã được xử lý" in twice.text
    status = tablet.get("/field/api/actions/status", params={"keys": body["key"]}).json()
    assert status["actions"][0]["resolution"] == "discarded"
    refused = tablet.post(f"/field/conflicts/{action_id}",
                           data={"decision": "apply", "csrf_token": tablet.cookies["gpmb_csrf"]})
    assert refused.status_code in (403, 409)


def test_handover_refused_by_the_workflow_is_kept_with_its_message(
        tablet: httpx.Client, demo_engine: Engine) -> None:
    case = case_where(demo_engine, "c.step = 'plan_posted'", "c.id DESC")
    seen = _base(demo_engine, case["case_id"])
    res = send(tablet, action("handover", case["case_id"], seen, minutes_no="22/BB-BGMB"))
    out = res.json()
    assert res.status_code == 201 and out["outcome"] == "refused"
    assert "Chưa thể chuyển sang bước" in out["reasons"][0]
    with demo_engine.connect() as conn:
        kept = conn.execute(text("SELECT outcome FROM field_actions WHERE "
                                 "idempotency_key = :k"), {"k": out["key"]}).scalar_one()
    assert kept == "refused"


def test_handover_applies_when_only_a_note_changed_the_version(
        tablet: httpx.Client, demo_engine: Engine) -> None:
    case = _ready(demo_engine, "p.legal_area_m2 DESC, c.id DESC")
    seen = _base(demo_engine, case["case_id"])
    note = send(tablet, action("note", case["case_id"], seen, note="Ghi chú của tổ khác"))
    assert note.json()["server"]["version"] > seen["version"]
    gps = {"lat": case["lat"], "lon": case["lon"], "accuracy_m": 12.0}
    res = send(tablet, action("handover", case["case_id"], seen, gps=gps,
                              minutes_no="23/BB-BGMB"))
    assert res.json()["outcome"] == "applied", res.text
    assert res.json()["server"]["step"] == "handed_over"
    assert _events(demo_engine, case["case_id"], "%GPS%(±12 m)%") == 1


def test_actions_need_a_session_csrf_and_a_valid_body(live_server: str, tablet: httpx.Client,
                                                      web: httpx.Client,
                                                      demo_engine: Engine) -> None:
    case = case_where(demo_engine, "true")
    body = action("note", case["case_id"], _base(demo_engine, case["case_id"]), note="x")
    anonymous = httpx.post(live_server + "/field/api/actions",
                           data={"action": json.dumps(body)})
    assert anonymous.status_code == 401
    no_csrf = httpx.post(live_server + "/field/api/actions", cookies=tablet.cookies,
                         data={"action": json.dumps(body)})
    assert no_csrf.status_code == 403
    future = {**body, "done_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()}
    assert "tương lai" in send(tablet, future).json()["title"]
    broken = send(tablet, {**body, "base": {"version": 0}})
    assert broken.status_code == 422 and broken.json()["extra"]["reason"] == "bad_action"
    leader = web.post(live_server + "/field/api/actions", data={"action": json.dumps(body)},
                      headers={"X-CSRF-Token": web.cookies["gpmb_csrf"]})
    assert leader.status_code == 403 and "chỉ được xem" in leader.json()["title"]
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM field_actions WHERE idempotency_key "
                                 "= :k"), {"k": body["key"]}).scalar_one() == 0


def test_an_area_holds_only_the_users_scope(live_server: str, demo_engine: Engine) -> None:
    spot = case_where(demo_engine, "true")
    with sign_in(live_server, OTHER_FIELD_USER) as other:  # assigned to another project
        refused = other.get("/field/api/areas/estimate", params={
            "kind": "commune", "commune": spot["commune_code"], "project": PROJECT})
        assert refused.status_code == 422 and refused.json()["extra"]["reason"] == \
            "unknown_project"
        mine = other.get("/field/api/areas/package", params={
            "kind": "commune", "commune": spot["commune_code"]}).json()
    with demo_engine.connect() as conn:
        theirs = set(conn.execute(text("""SELECT DISTINCT c.parcel_id FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id JOIN projects j ON j.id = c.project_id
            WHERE j.code = 'CA-LSN' AND p.commune_code = :m"""),
            {"m": spot["commune_code"]}).scalars())
    assert {c["parcel_id"] for c in mine["cards"]} == theirs
    assert all(c["case"] and c["case"]["project"] == "CA-LSN" for c in mine["cards"])
