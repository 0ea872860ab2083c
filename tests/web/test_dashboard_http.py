"""The dashboards over HTTP: sign-in required, figures as of a day, no external asset."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.progress import progress_figures
from gis.progress.overview import project_by_code
from web.templating import number, vnd

ANY_HTTP = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def test_dashboard_needs_a_signed_in_user(live_server: str) -> None:
    res = httpx.get(live_server + "/projects/CT-HNCL/dashboard", timeout=30,
                    headers={"accept": "text/html"})
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_project_dashboard_shows_the_figures_of_the_day(web: httpx.Client, live_server: str,
                                                        demo_engine: Engine) -> None:
    res = web.get(live_server + "/projects/CT-HNCL/dashboard?as_of=2025-03-31")
    assert res.status_code == 200
    html = res.text
    with Session(demo_engine) as s:
        project = project_by_code(s, "CT-HNCL")
        f = progress_figures(s, dt.date(2025, 3, 31), project_id=project.id).total
    assert vnd(f.paid_vnd) in html and vnd(f.households) in html
    assert number(float(f.handed_over_ha)) + " ha" in html
    assert "<svg" in html and "<polyline" in html
    assert "Hoàn thành GPMB, bàn giao toàn bộ mặt bằng" in html
    assert 'href="/projects/CT-HNCL/map"' in html
    assert not ANY_HTTP.search(html)


def test_province_dashboard_and_errors(web: httpx.Client, live_server: str) -> None:
    res = web.get(live_server + "/dashboard?as_of=2025-01-15")
    assert res.status_code == 200
    assert "Tiến độ giải phóng mặt bằng toàn tỉnh" in res.text
    assert "/projects/CT-HNCL/dashboard?as_of=2025-01-15" in res.text
    assert web.get(live_server + "/projects/KHONG-CO/dashboard").status_code == 404
    assert web.get(live_server + "/dashboard?as_of=31-03-2025").status_code == 422
