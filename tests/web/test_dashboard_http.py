"""The dashboards over HTTP: sign-in required, figures as of a day, no external asset."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.capital.figures import disbursement_figures
from gis.core.formats import fmt_dec as number
from gis.core.formats import fmt_int as vnd
from gis.core.lookups import project_by_code
from gis.progress import progress_figures
from tests.web.test_i18n import untranslated
from web.dashboard_routes import XLSX

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
    typed = web.get(live_server + "/dashboard?as_of=15/01/2025")  # as the field is typed
    assert typed.status_code == 200 and 'value="15/01/2025"' in typed.text
    assert "/projects/CT-HNCL/dashboard?as_of=2025-01-15" in typed.text
    bad = web.get(live_server + "/dashboard?as_of=31/13/2025", headers={"accept": "text/html"})
    assert bad.status_code == 422
    assert "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy" in bad.text


def test_project_dashboard_shows_the_disbursement(web: httpx.Client, live_server: str,
                                                  demo_engine: Engine) -> None:
    res = web.get(live_server + "/projects/CT-HNCL/dashboard?as_of=2025-10-15")
    assert res.status_code == 200
    html = res.text
    with Session(demo_engine) as s:
        project = project_by_code(s, "CT-HNCL")
        d = disbursement_figures(s, project.id, dt.date(2025, 10, 15))
    assert d.plan is not None
    assert "Giải ngân vốn năm 2025" in html
    assert vnd(d.plan_vnd) + " đồng" in html and vnd(d.disbursed_vnd) + " đồng" in html
    assert number(d.pct or 0, 1) + " % kế hoạch" in html
    assert d.plan.decision_no in html
    assert 'class="linechart disbursement-chart"' in html
    assert html.count("<polyline") == 2 + 3  # S-curve (2) + disbursed, target, national
    assert "Bình quân cả nước tháng 9" in html
    assert not ANY_HTTP.search(html)


def test_dashboard_download_links_give_valid_reports(web: httpx.Client, live_server: str,
                                                     demo_engine: Engine,
                                                     tmp_path: Path) -> None:
    page = web.get(live_server + "/projects/CT-HNCL/dashboard?as_of=2025-03-31").text
    links = [h.replace("&amp;", "&") for h in re.findall(r'class="download" href="([^"]+)"',
                                                          page)]
    assert len(links) == 4
    assert all("as_of=2025-03-31" in h for h in links)
    with Session(demo_engine) as s:
        project = project_by_code(s, "CT-HNCL")
        f = progress_figures(s, dt.date(2025, 3, 31), project_id=project.id).total
        d = disbursement_figures(s, project.id, dt.date(2025, 3, 31))
    for link in links:
        res = web.get(live_server + link)
        assert res.status_code == 200, (link, res.text[:300])
        assert res.headers["content-disposition"].startswith("attachment; filename=")
        if link.split("?")[0].endswith(".xlsx"):
            assert res.headers["content-type"] == XLSX
            wb = openpyxl.load_workbook(io.BytesIO(res.content))
            main, money = wb["Tiến độ GPMB"], wb["Giải ngân vốn"]
            period = parse_qs(urlsplit(link).query)["period"][0]
            assert {"week": "Tuần", "month": "Tháng 3/2025", "quarter": "Quý I/2025"}[
                period] in main["A3"].value
            total = next(r for r in range(1, main.max_row + 1)
                         if main.cell(row=r, column=2).value == "Tổng cộng")
            assert main.cell(row=total, column=3).value == f.households
            labels = {money.cell(row=r, column=1).value: money.cell(row=r, column=2).value
                      for r in range(4, 14)}
            assert labels["Kế hoạch vốn được giao (VNĐ)"] == d.plan_vnd
            assert labels["Lũy kế giải ngân (VNĐ)"] == d.disbursed_vnd
            assert abs(labels["Tỷ lệ giải ngân so với kế hoạch"] - (d.pct or 0) / 100) < 1e-6
        else:
            assert res.headers["content-type"] == "application/pdf"
            pdf = tmp_path / "tom-tat.pdf"
            pdf.write_bytes(res.content)
            subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf),
                            str(tmp_path / "page")], check=True)
            assert (tmp_path / "page.png").stat().st_size > 10_000
            words = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                   capture_output=True, text=True).stdout
            assert "Giải ngân vốn năm 2025" in " ".join(words.split())
            assert "bình quân cả nước tháng 2" in " ".join(words.split())


def test_report_downloads_refuse_bad_requests(web: httpx.Client, live_server: str) -> None:
    base = live_server + "/projects/CT-HNCL/reports/"
    assert web.get(base + "progress.xlsx?period=year").status_code == 422
    assert web.get(base + "summary.pdf?as_of=2025-03-32").status_code == 422
    assert web.get(base + "summary.pdf?as_of=31/03/2025").status_code == 200  # as typed
    assert web.get(live_server + "/projects/KHONG-CO/reports/summary.pdf").status_code == 404
    anonymous = httpx.get(base + "summary.pdf", timeout=30, headers={"accept": "text/html"})
    assert anonymous.status_code in (303, 401)


def test_dashboards_in_english(web: httpx.Client, live_server: str,
                               demo_engine: Engine) -> None:
    """Every interface string is translated; what stays Vietnamese is data (project,
    commune and milestone names, decision numbers)."""
    with demo_engine.connect() as conn:
        names = set(conn.execute(text(
            "SELECT name FROM projects UNION SELECT name FROM communes UNION "
            "SELECT title FROM project_milestones UNION SELECT decision_no FROM capital_plans"
        )).scalars())
    names |= {f"{unit} {n}" for n in names for unit in ("xã", "phường")}  # official names
    names |= {"GPMB Lạng Sơn", "Tiếng Việt"}
    for path in ("/projects/CT-HNCL/dashboard?as_of=2025-10-15", "/dashboard?as_of=2025-10-15"):
        res = web.get(f"{live_server}{path}&lang=en")
        assert res.status_code == 200 and '<html lang="en">' in res.text
        assert untranslated(res.text, sorted(names, key=len, reverse=True)) == []
    web.get(f"{live_server}/dashboard?lang=vi")  # leave the session in Vietnamese
