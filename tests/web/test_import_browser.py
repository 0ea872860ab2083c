"""The staff import page in a real browser (Debian's Chromium), offline: upload a GeoPackage
with a problem and read the report, then upload a clean one, confirm it and see the counts.

The page writes, so it runs against a `gpmb serve` of its own on a fresh database (the
shared demo server stays read-only)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.core.settings import Settings
from gis.db.engine import session_factory
from tests.gis.ingest.helpers import parcel_frame, write
from tests.support import reference_engine, running_server
from tests.web.browser import PageWatch, offline_context, screenshot

STAFF = ("canbo.nhap", "mat-khau-can-bo-2026")
LEADER = ("lanhdao.nhap", "mat-khau-lanh-dao-2026")
MAX_MB = 2  # the server's upload limit here


@dataclass(frozen=True)
class ImportServer:
    """A running `gpmb serve` on its own database."""

    url: str
    engine: Engine
    commune: str
    data_dir: Path

    def uploads(self) -> set[Path]:
        root = self.data_dir / "uploads"
        return set(root.iterdir()) if root.is_dir() else set()

    def cookies(self, account: tuple[str, str]) -> dict[str, str]:
        res = httpx.post(self.url + "/api/auth/login", timeout=30,
                         json={"username": account[0], "password": account[1]})
        assert res.status_code == 200, res.text
        return dict(res.cookies)

    def scalar(self, sql: str) -> object:
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()


@pytest.fixture(scope="module")
def server(make_database: Callable[[str], str], test_settings: Settings,
           scratch_dir: Path) -> Iterator[ImportServer]:
    url = make_database("gpmb_import_page")
    engine = reference_engine(url, test_settings)
    with session_factory(engine).begin() as s:
        create_user(s, STAFF[0], Role.STAFF, STAFF[1], full_name="Cán bộ nhập liệu")
        create_user(s, LEADER[0], Role.LEADER, LEADER[1], full_name="Lãnh đạo xem")
        commune = s.execute(text(
            "SELECT code FROM communes WHERE ST_Contains(boundary,"
            " ST_SetSRID(ST_MakePoint(449262.451, 2417472.355), 9215))")).scalar_one()
    with running_server(url, scratch_dir / "imp-srv", scratch_dir / "serve-import.log",
                        GPMB_IMPORT_MAX_MB=str(MAX_MB)) as base:
        yield ImportServer(base, engine, str(commune), scratch_dir / "imp-srv")
    engine.dispose()


@pytest.fixture
def staff_page(browser: Browser, page_watch: PageWatch, server: ImportServer
               ) -> Iterator[Page]:
    """A page signed in as staff whose requests may not leave the machine (as `page`)."""
    context = offline_context(browser, page_watch, server.url, server.cookies(STAFF),
                              viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


def _counts(server: ImportServer) -> object:
    return server.scalar("SELECT (SELECT count(*) FROM parcels) || '/' || (SELECT count(*)"
                         " FROM surveys) || '/' || (SELECT count(*) FROM audit_log)")


def test_upload_report_confirm_in_the_browser(staff_page: Page, page_watch: PageWatch,
                                              server: ImportServer, tmp_path: Path) -> None:
    page = staff_page
    x, y = 449000.0, 2417400.0
    bad = parcel_frame(server.commune, x, y, 6)
    bad["SoThua"] = [1, 2, 3, 3, 5, 6]  # row 4 repeats row 3
    bad_file = write(bad, tmp_path / "co-loi.gpkg")
    good_file = write(parcel_frame(server.commune, x, y + 300, 6), tmp_path / "dot-sach.gpkg")
    before = _counts(server)

    page.goto(server.url + "/imports")
    assert page.locator("h1").inner_text() == "Nhập dữ liệu thửa đất"
    page.set_input_files("#imp-file", str(bad_file))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector("table.imp-problems")
    rows = page.locator("table.imp-problems tr[data-code=duplicate_parcel]")
    assert rows.count() == 2
    first = rows.first.inner_text()
    assert "Trùng xã/tờ/thửa" in first and f"{server.commune}/7/3" in first
    assert page.locator("form.imp-confirm").count() == 0
    assert "Chưa thể nhập" in page.inner_text(".imp-blocked")
    assert page.locator("a[href$='report.xlsx']").count() == 1
    assert page.inner_text(".imp-format") == "GeoPackage"
    xlsx = page.request.get(server.url + page.get_attribute("a[href$='report.xlsx']", "href"))
    assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"
    geo = page.request.get(server.url + page.get_attribute("a[href$='report.geojson']", "href"))
    assert geo.status == 200 and geo.json()["type"] == "FeatureCollection"
    screenshot(page, "import-report")
    assert _counts(server) == before

    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(good_file))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector("form.imp-confirm")
    assert page.inner_text(".imp-n-inserted") == "6"
    assert _counts(server) == before, "nothing is written before the confirmation"
    page.click("form.imp-confirm button[type=submit]")
    page.wait_for_selector(".imp-done")
    done = page.inner_text(".imp-done")
    assert "6 thửa thêm mới" in done and "0 thửa cập nhật" in done
    assert server.scalar("SELECT count(*) FROM parcels p JOIN surveys s ON s.id = p.survey_id"
                         " WHERE s.name = 'dot-sach'") == 6
    screenshot(page, "import-done")

    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(good_file))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector(".imp-nothing")
    assert "Không có thay đổi nào" in page.inner_text(".imp-nothing")
    page.goto(server.url + "/imports")
    assert page.locator("table.imp-recent tbody tr").count() == 3
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_crs_choice_must_be_confirmed(staff_page: Page, page_watch: PageWatch,
                                      server: ImportServer, tmp_path: Path) -> None:
    page = staff_page
    frame = parcel_frame(server.commune, 449000.0, 2417400.0 + 600, 3)
    path = write(frame.set_crs(None, allow_override=True), tmp_path / "khong-crs.fgb")
    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(path))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector("fieldset.imp-crs")
    assert page.get_attribute(".imp-rejection", "data-code") == "crs_missing"
    radios = page.locator("fieldset.imp-crs input[type=radio]")
    assert radios.count() == 3
    assert page.is_checked("input[value='EPSG:9215']")
    label = "fieldset.imp-crs label:has(input[value='EPSG:9215'])"
    assert "nằm trong tỉnh" in page.inner_text(label)
    page.click("form.imp-options button[type=submit]")
    page.wait_for_selector("form.imp-confirm")
    crs_name = page.inner_text(".imp-crs-name")
    assert "EPSG:9215" in crs_name and "người dùng xác nhận" in crs_name
    screenshot(page, "import-crs-confirmed")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_too_large_is_refused_in_the_page_and_by_the_server(
        staff_page: Page, page_watch: PageWatch, server: ImportServer, tmp_path: Path) -> None:
    big = tmp_path / "lon.gpkg"
    big.write_bytes(b"SQLite format 3\x00" + bytes((MAX_MB + 1) * 1024**2))
    before = server.uploads()
    page = staff_page
    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(big))
    page.click("form.imp-upload button[type=submit]")
    alert = page.locator("form.imp-upload .imp-alert-error")
    alert.wait_for()
    assert alert.inner_text() == f"Tệp quá lớn: tối đa {MAX_MB} MB."
    assert page.url.endswith("/imports")
    cookies = server.cookies(STAFF)
    with httpx.Client(cookies=cookies, timeout=30) as staff:
        res = staff.post(server.url + "/imports", data={"csrf_token": cookies["gpmb_csrf"]},
                         files={"file": (big.name, big.read_bytes(), "application/geopackage")})
    assert res.status_code == 413 and f"tối đa {MAX_MB} MB" in res.text
    assert server.uploads() == before
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_only_staff_and_csrf(server: ImportServer, tmp_path: Path) -> None:
    path = write(parcel_frame(server.commune, 449000.0, 2417400.0 + 900, 2), tmp_path / "x.gpkg")
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    res = httpx.get(server.url + "/imports", headers={"Accept": "text/html"})
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
    with httpx.Client(cookies=server.cookies(LEADER), timeout=30) as leader:
        res = leader.get(server.url + "/imports")
        assert res.status_code == 403 and "Chỉ cán bộ nghiệp vụ" in res.text
        res = leader.post(server.url + "/imports", files=files)
        assert res.status_code == 403
    cookies = server.cookies(STAFF)
    before = server.uploads()
    with httpx.Client(cookies=cookies, timeout=30) as staff:
        english = staff.get(server.url + "/imports?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Import parcel data" in english.text and "Upload and check" in english.text
    with httpx.Client(cookies=cookies, timeout=30) as staff:
        res = staff.post(server.url + "/imports", files=files)
        assert res.status_code == 403 and "CSRF" in res.text
        res = staff.post(server.url + "/imports", files=files,
                         data={"csrf_token": cookies["gpmb_csrf"]},
                         headers={"Origin": "http://evil.example"})
        assert res.status_code == 403 and "trang khác" in res.text
        assert server.uploads() == before, "a refused upload is not stored"
        res = staff.post(server.url + "/imports", files=files,
                         data={"csrf_token": cookies["gpmb_csrf"]})
        assert res.status_code == 303 and res.headers["location"].startswith("/imports/")
    assert len(server.uploads() - before) == 1


def test_layer_choice_and_column_mapping(staff_page: Page, page_watch: PageWatch,
                                         server: ImportServer, tmp_path: Path) -> None:
    page = staff_page
    frame = parcel_frame(server.commune, 449000.0, 2417400.0 + 1200, 4).rename(
        columns={"SoThua": "THUA_MOI"})
    path = write(frame, tmp_path / "hai-lop.gpkg", layer="thua_moi")
    write(frame.iloc[:1], path, layer="ghi_chu")
    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(path))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector("fieldset.imp-layer")
    assert page.get_attribute(".imp-rejection", "data-code") == "layer_choice"
    page.select_option("fieldset.imp-layer select", "thua_moi")
    page.click("form.imp-options button[type=submit]")
    page.wait_for_selector("table.imp-problems tr[data-code=missing_field]")
    assert "THUA_MOI" in page.inner_text("tr.imp-unmapped")
    page.select_option("select[name='map:THUA_MOI']", "parcel_no")
    page.click("form.imp-options button[type=submit]")
    page.wait_for_selector("form.imp-confirm")
    assert page.inner_text(".imp-n-inserted") == "4"
    mapped = page.locator("tr.imp-mapped", has_text="số thửa").inner_text()
    assert "THUA_MOI" in mapped
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_english_catalogue_of_the_page_is_english() -> None:
    entries = json.loads((Path(__file__).resolve().parents[2] / "web" / "locale" / "en"
                          / "import.json").read_text(encoding="utf-8"))
    vietnamese = re.compile("[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹ]", re.IGNORECASE)
    assert [en for en in entries.values() if vietnamese.search(en)] == []


def test_crs_less_geojson_confirm_check_write(staff_page: Page, page_watch: PageWatch,
                                              server: ImportServer, tmp_path: Path) -> None:
    """A GeoJSON in VN-2000 metres without a CRS (GDAL reads it as WGS 84): the page says
    how many features it read, asks to confirm the CRS here (not with a CLI flag), lists
    no errors it does not show, then checks and writes with no 500."""
    page = staff_page
    frame = parcel_frame(server.commune, 449000.0, 2417400.0 + 1500, 6)
    path = write(frame.set_crs(None, allow_override=True), tmp_path / "vn2000.geojson")
    assert '"crs"' not in path.read_text(encoding="utf-8")
    page.goto(server.url + "/imports")
    page.set_input_files("#imp-file", str(path))
    page.click("form.imp-upload button[type=submit]")
    page.wait_for_selector("fieldset.imp-crs")
    text_shown = page.inner_text(".imp")
    assert "--crs" not in text_shown
    assert page.get_attribute(".imp-rejection", "data-code") == "crs_missing"
    assert "Kiểm tra lại" in page.inner_text(".imp-rejection")
    assert page.inner_text(".imp-n-features") == "6"
    assert page.locator("table.imp-problems").count() == 0
    assert "lỗi nêu trên" not in page.inner_text(".imp-blocked")
    assert "hệ toạ độ" in page.inner_text(".imp-blocked")
    assert page.is_checked("input[value='EPSG:9215']")
    with page.expect_response(lambda r: r.url.endswith("/check")) as checked:
        page.click("form.imp-options button[type=submit]")
    assert checked.value.status == 303
    page.wait_for_selector("form.imp-confirm")
    assert page.inner_text(".imp-n-inserted") == "6"
    assert page.inner_text(".imp-n-features") == "6"
    page.click("form.imp-confirm button[type=submit]")
    page.wait_for_selector(".imp-done")
    assert "6 thửa thêm mới" in page.inner_text(".imp-done")
    assert server.scalar("SELECT count(*) FROM parcels p JOIN surveys s ON s.id = p.survey_id"
                         " WHERE s.name = 'vn2000'") == 6
    assert server.scalar(
        "SELECT round(min(ST_XMin(geom))) FROM parcels p JOIN surveys s ON s.id = p.survey_id"
        " WHERE s.name = 'vn2000'") == 449000
    screenshot(page, "import-geojson-crs-confirmed")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []
