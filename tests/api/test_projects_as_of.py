"""``/api/projects?as_of=``: the list's figures as they stood at the end of a past day,
replayed from the history (equal to the progress figures of that day); a day after the
history's end gives today's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.routers.projects import ProjectOut
from gis.progress import progress_figures
from tests.api.conftest import ApiWorld

FIELDS = ("cases", "handed_over", "recovered_area_m2", "handed_over_area_m2", "approved_vnd",
          "paid_vnd")


def _listed(client: TestClient, world: ApiWorld, **query: str) -> dict[str, ProjectOut]:
    res = client.get("/api/projects", params=query, headers=world.auth("leader"))
    assert res.status_code == 200, res.text
    return {p.code: p for p in (ProjectOut(**r) for r in res.json())}


def test_projects_as_of_a_past_day(client: TestClient, world: ApiWorld) -> None:
    now = _listed(client, world)
    later = _listed(client, world, as_of=(dt.date.today() + dt.timedelta(days=400)).isoformat())
    for code, p in now.items():
        assert [getattr(later[code], f) for f in FIELDS] == [getattr(p, f) for f in FIELDS]
    day = dt.date(2025, 3, 31)
    past = _listed(client, world, as_of=day.isoformat())
    with Session(world.engine) as s:
        figures = progress_figures(s, day).by_project
    hncl = past["CT-HNCL"]
    f = figures[hncl.id]
    assert (hncl.cases, hncl.handed_over, hncl.paid_vnd, hncl.approved_vnd) == \
        (f.parcels, f.parcels_handed_over, f.paid_vnd, f.approved_vnd)
    assert Decimal(hncl.recovered_area_m2) == f.area_m2
    assert hncl.paid_vnd < now["CT-HNCL"].paid_vnd and hncl.handed_over <= now[
        "CT-HNCL"].handed_over
    before = _listed(client, world, as_of="2020-01-01")
    assert all(p.paid_vnd == 0 and p.handed_over == 0 for p in before.values())
    bad = client.get("/api/projects", params={"as_of": "2025-13-01"},
                     headers=world.auth("leader"))
    assert bad.status_code == 422
