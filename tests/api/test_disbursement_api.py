"""The disbursement API: staff write, everyone signed in reads; Vietnamese messages with
machine codes; versions on revisable records, idempotency on the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld

B = 1_000_000_000
YEAR = 2024  # the demo records 2025–2026; this year is the tests' own


def _reason(res: Any) -> str:
    body = res.json()
    assert res.headers["content-type"].startswith("application/problem+json"), body
    return str(body["extra"]["reason"])


def test_roles_and_plan_versions(client: TestClient, world: ApiWorld) -> None:
    p = world.project_id
    url = f"/api/projects/{p}/disbursement/plans"
    plan = {"year": YEAR, "amount_vnd": 300 * B, "decision_no": "77/QĐ-UBND",
            "decision_date": "2024-01-08"}
    assert client.post(url, json={**plan, "version": 0}).status_code == 401
    for role in ("leader", "field"):
        res = client.post(url, json={**plan, "version": 0}, headers=world.auth(role))
        assert res.status_code == 403 and res.json()["extra"]["reason"] == "role_not_allowed"
    missing = client.post(url, json=plan, headers=world.auth("staff"))
    assert missing.status_code == 428
    current = world.scalar("SELECT coalesce(max(revision), 0) FROM capital_plans WHERE"
                           " project_id = :p AND year = :y", p=p, y=YEAR)
    res = client.post(url, json=plan, headers={**world.auth("staff"),
                                               "If-Match": f'"{current}"'})
    assert res.status_code == 201, res.text
    assert res.json()["revision"] == int(str(current)) + 1
    assert res.headers["ETag"] == f'"{int(str(current)) + 1}"'
    stale = client.post(url, json={**plan, "version": current}, headers=world.auth("admin"))
    assert stale.status_code == 409 and _reason(stale) == "stale_version"
    assert stale.json()["extra"]["current_version"] == int(str(current)) + 1
    for role in ("leader", "field"):  # everyone signed in reads
        res = client.get(f"/api/projects/{p}/disbursement/records?year={YEAR}",
                         headers=world.auth(role))
        assert res.status_code == 200 and res.json()["plans"][-1]["decision_no"] == "77/QĐ-UBND"


def test_ledger_validation_idempotency_and_figures(client: TestClient, world: ApiWorld
                                                   ) -> None:
    p, staff = world.project_id, world.auth("staff")
    plans = client.get(f"/api/projects/{p}/disbursement/records?year={YEAR}", headers=staff)
    revision = len(plans.json()["plans"])
    res = client.post(f"/api/projects/{p}/disbursement/plans", headers=staff, json={
        "year": YEAR, "amount_vnd": 500 * B, "decision_no": "78/QĐ-UBND",
        "decision_date": "2024-02-01", "version": revision})
    assert res.status_code == 201, res.text
    url = f"/api/projects/{p}/disbursement/entries"
    refusals = [
        ({"amount_vnd": -5, "disbursed_on": "2024-03-01"}, "amount_not_positive"),
        ({"amount_vnd": 5, "disbursed_on": "2099-03-01", "year": YEAR}, "date_in_future"),
        ({"amount_vnd": 5, "disbursed_on": "2025-02-01", "year": YEAR},
         "outside_disbursement_window"),
        ({"amount_vnd": 501 * B, "disbursed_on": "2024-03-01"}, "exceeds_plan"),
        ({"amount_vnd": 5, "disbursed_on": "2024-03-01", "year": 1990}, "year_out_of_range"),
    ]
    for body, code in refusals:
        res = client.post(url, json=body, headers=staff)
        assert res.status_code == 422 and _reason(res) == code, (code, res.text)
        assert res.json()["code"] == "invalid_input" and res.json()["title"]
    exceeds = client.post(url, json={"amount_vnd": 501 * B, "disbursed_on": "2024-03-01"},
                          headers=staff).json()
    assert "vượt kế hoạch vốn năm 2024" in exceeds["detail"]
    key = {"Idempotency-Key": f"gn-api-{dt.datetime.now().timestamp()}"}
    body = {"amount_vnd": 120 * B, "disbursed_on": "2024-03-15", "source": "Ngân sách tỉnh"}
    first = client.post(url, json=body, headers={**staff, **key})
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers={**staff, **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["entry"]["id"] == first.json()["entry"]["id"]
    clash = client.post(url, json={**body, "amount_vnd": 121 * B}, headers={**staff, **key})
    assert clash.status_code == 409 and _reason(clash) == "idempotency_key_reused"
    entry = first.json()["entry"]["id"]
    figures = client.get(f"/api/projects/{p}/disbursement?as_of=2024-03-31&year={YEAR}",
                         headers=world.auth("leader")).json()
    assert figures["plan_vnd"] == 500 * B
    assert figures["disbursed_vnd"] == first.json()["disbursed_vnd"]
    assert abs(figures["pct"] - figures["disbursed_vnd"] / (500 * B) * 100) < 1e-9
    assert [m["month"] for m in figures["months"]] == [1, 2, 3]
    earlier = client.get(f"/api/projects/{p}/disbursement?as_of=2024-03-14&year={YEAR}",
                         headers=world.auth("field")).json()
    assert earlier["disbursed_vnd"] == figures["disbursed_vnd"] - 120 * B
    back = client.post(f"/api/disbursement/entries/{entry}/reversal", headers=staff,
                       json={"reason": "Sai chứng từ", "reversed_on": "2024-04-02"})
    assert back.status_code == 201 and back.json()["entry"]["amount_vnd"] == -120 * B
    twice = client.post(f"/api/disbursement/entries/{entry}/reversal", headers=staff,
                        json={"reason": "Lần hai", "reversed_on": "2024-04-03"})
    assert twice.status_code == 409 and _reason(twice) == "already_reversed"
    no_reason = client.post(f"/api/disbursement/entries/{entry}/reversal", headers=staff,
                            json={})
    assert no_reason.status_code == 422 and _reason(no_reason) == "required"


def test_targets_and_national_rates(client: TestClient, world: ApiWorld) -> None:
    p, staff = world.project_id, world.auth("admin")
    bad = client.put("/api/disbursement/national-rates/2024/13", headers=staff,
                     json={"rate_pct": 10, "published_on": "2024-05-01", "version": 0})
    assert bad.status_code == 422 and _reason(bad) == "month_out_of_range"
    assert "từ 1 đến 12" in bad.json()["detail"]
    over = client.put("/api/disbursement/national-rates/2024/4", headers=staff,
                      json={"rate_pct": 101, "published_on": "2024-05-01", "version": 0})
    assert _reason(over) == "pct_out_of_range"
    listed = client.get("/api/disbursement/national-rates?year=2024", headers=staff).json()
    version = max([r["revision"] for r in listed if r["month"] == 4], default=0)
    ok = client.put("/api/disbursement/national-rates/2024/4", headers=staff,
                    json={"rate_pct": 18.25, "published_on": "2024-05-06", "version": version})
    assert ok.status_code == 200, ok.text
    assert ok.json()["revision"] == version + 1 and ok.headers["ETag"] == f'"{version + 1}"'
    leader = client.put("/api/disbursement/national-rates/2024/4", headers=world.auth("leader"),
                        json={"rate_pct": 19, "version": version + 1})
    assert leader.status_code == 403
    url = f"/api/projects/{p}/disbursement/targets/{YEAR}"
    records = client.get(f"/api/projects/{p}/disbursement/records?year={YEAR}",
                         headers=staff).json()
    current = max([t["revision"] for t in records["targets"]], default=0)
    falling = client.put(url, headers=staff, json={
        "months": [{"month": 1, "cumulative_pct": 10}, {"month": 2, "cumulative_pct": 5}],
        "committed_on": "2024-01-10", "version": current})
    assert falling.status_code == 422 and _reason(falling) == "target_not_cumulative"
    done = client.put(url, headers=staff, json={
        "months": [{"month": m, "cumulative_pct": m * 8} for m in range(1, 13)],
        "committed_on": "2024-01-10", "version": current})
    assert done.status_code == 200, done.text
    assert len(done.json()) == 12
    figures = client.get(f"/api/projects/{p}/disbursement?as_of=2024-05-31&year={YEAR}",
                         headers=staff).json()
    assert figures["month_target_pct"] == 40 and abs(figures["target_pct"] - 40) < 1e-9
    assert figures["national_month"] == 4 and figures["national_pct"] == 18.25
    assert figures["vs_target"] in ("ahead", "behind")
    missing = client.get("/api/projects/2147483000/disbursement", headers=staff)
    assert missing.status_code == 404
    no_year = client.get(f"/api/projects/{p}/disbursement?year=0", headers=staff)
    assert no_year.status_code == 422 and _reason(no_year) == "year_out_of_range"
