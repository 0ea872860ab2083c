"""The committee API on its own writable demo database: reads, the standing agency's writes,
a unit's task update, refusals as problem+json with Vietnamese messages."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.db.engine import session_factory
from gis.models import CommitteeUnitUser
from tests.api.conftest import PASSWORD, ApiWorld


def _linked(world: ApiWorld, client: TestClient, username: str, unit: str) -> dict[str, str]:
    with session_factory(world.engine).begin() as s:
        user = create_user(s, username, Role.FIELD, PASSWORD)
        unit_id = s.execute(text("SELECT id FROM committee_units WHERE code = :c"),
                            {"c": unit}).scalar_one()
        s.add(CommitteeUnitUser(unit_id=unit_id, user_id=user.id))
    res = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert res.status_code == 201, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


@pytest.fixture(scope="module")
def agency(world: ApiWorld, api_app_client: TestClient) -> dict[str, str]:
    return _linked(world, api_app_client, "stc.api", "STC")


def test_board_and_register_read(client: TestClient, world: ApiWorld) -> None:
    board = client.get("/api/committee/board?as_of=2026-11-21", headers=world.auth("leader"))
    assert board.status_code == 200
    body = board.json()
    assert len(body["rows"]) == 22 and body["year"] == 2026
    assert body["rows"][0]["light"] == "red"
    assert any(t["state"] == "overdue" for t in body["open_tasks"])
    register = client.get("/api/committee/register/2026?as_of=2026-02-01",
                          headers=world.auth("staff")).json()
    assert len(register) == 22 and "KDT-CAOLOC" in {k["code"] for k in register}
    denied = client.get("/api/committee/board", headers=world.auth("field"))
    assert denied.status_code == 403
    assert denied.json()["extra"]["reason"] == "committee_read"


def test_plan_revision_through_the_api(client: TestClient, world: ApiWorld,
                                       agency: dict[str, str]) -> None:
    months = [{"month": m, "handed_over_ha": m, "households_paid": m, "disbursed_vnd": m * 10**9}
              for m in range(1, 13)]
    day = min(dt.date.today(), dt.date(2026, 11, 21)).isoformat()
    plans = client.get("/api/committee/plans/2026/NN-CNC", headers=agency).json()
    current = plans[-1]["revision"]
    res = client.post("/api/committee/plans/2026/NN-CNC", headers={**agency,
                      "If-Match": f'"{current}"'}, json={"months": months, "submitted_on": day})
    assert res.status_code == 201, res.text
    after = res.json()
    assert [p["revision"] for p in after] == [*range(1, current + 2)]
    assert after[-1]["in_force"] and not after[0]["in_force"]
    stale = client.post("/api/committee/plans/2026/NN-CNC", headers=agency,
                        json={"months": months, "submitted_on": day, "version": current})
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    missing = client.post("/api/committee/plans/2026/NN-CNC", headers=agency,
                          json={"months": months, "submitted_on": day})
    assert missing.status_code == 428
    months[4]["disbursed_vnd"] = 0
    falling = client.post("/api/committee/plans/2026/NN-CNC", headers=agency,
                          json={"months": months, "submitted_on": day, "version": current + 1})
    assert falling.status_code == 422
    assert falling.json()["extra"]["reason"] == "plan_not_cumulative"
    assert "lũy kế" in falling.json()["detail"]


def test_meeting_task_and_unit_update(client: TestClient, world: ApiWorld,
                                      agency: dict[str, str]) -> None:
    meeting = client.post("/api/committee/meetings", headers=agency, json={
        "held_on": "2026-10-20", "kind": "ad_hoc", "title": "Họp đột xuất GPMB cao tốc",
        "notice_no": "260/TB-UBND", "notice_date": "2026-10-22"})
    assert meeting.status_code == 201, meeting.text
    unit = world.scalar("SELECT id FROM committee_units WHERE code = 'TTPTQD'")
    task = client.post(f"/api/committee/meetings/{meeting.json()['id']}/tasks", headers=agency,
                       json={"body": "Rà soát hộ chưa nhận tiền", "unit_id": unit,
                             "project": "CT-HNCL", "due_on": "2026-11-05",
                             "case_list": {"project": "CT-HNCL", "money_not_taken": True}})
    assert task.status_code == 201, task.text
    created = task.json()
    assert created["state"] == ("overdue" if dt.date.today() > dt.date(2026, 11, 5) else "open")
    cases = client.get(f"/api/committee/tasks/{created['id']}/cases?limit=5",
                       headers=world.auth("leader")).json()
    assert cases["total"] >= len(cases["cases"]) and "hộ chưa nhận tiền" in cases["description"]
    other = _linked(world, client, "sxd.api", "SXD")
    done = {"done_on": "2026-11-10", "evidence_no": "610/BC-TTPTQĐ",
            "evidence_date": "2026-11-10", "version": created["version"]}
    refused = client.post(f"/api/committee/tasks/{created['id']}/done", headers=other,
                          json=done)
    assert refused.status_code == 403 and refused.json()["extra"]["reason"] == "task_not_yours"
    mine = _linked(world, client, "ttptqd.api", "TTPTQD")
    ok = client.post(f"/api/committee/tasks/{created['id']}/done", headers=mine, json=done)
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "done_late" and ok.json()["evidence_no"] == "610/BC-TTPTQĐ"
    again = client.post(f"/api/committee/tasks/{created['id']}/done", headers=mine,
                        json={**done, "version": ok.json()["version"]})
    assert again.status_code == 422 and again.json()["extra"]["reason"] == "already_done"
