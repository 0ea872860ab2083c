"""Export downloads: file, headers, personal data by role, problem+json for bad requests."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.errors import PROBLEM_JSON
from gis.core.settings import Settings
from tests.api.conftest import ApiWorld


def _save(tmp: Path, name: str, body: bytes) -> Path:
    path = tmp / name
    path.write_bytes(body)
    return path


def test_cases_excel_download_with_names_and_count(client: TestClient, world: ApiWorld,
                                                    tmp_path: Path,
                                                    test_settings: Settings) -> None:
    res = client.get(f"/api/exports/cases?format=xlsx&project={world.project_id}",
                     headers=world.auth("staff"))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    disposition = res.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Ho so GPMB CT-HNCL ')
    utf8 = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(utf8).startswith("Hồ sơ GPMB CT-HNCL ") and utf8.endswith(".xlsx")
    expected = world.scalar("SELECT count(*) FROM clearance_cases WHERE project_id = :p",
                            p=world.project_id)
    assert int(res.headers["x-feature-count"]) == expected
    ws = openpyxl.load_workbook(_save(tmp_path, "a.xlsx", res.content))["Hồ sơ GPMB"]
    headings = [c.value for c in ws[1]]
    assert ws.max_row == expected + 1 and "Số CCCD/CMND" in headings
    leftovers = list((test_settings.data_dir / "exports").glob("gpmb-export-*"))
    assert leftovers == []  # the temporary folder went with the response


@pytest.mark.parametrize("role", ["leader", "field"])
def test_personal_data_hidden_from_leaders_and_field(client: TestClient, world: ApiWorld,
                                                      tmp_path: Path, role: str) -> None:
    res = client.get(f"/api/exports/cases?format=geojson&project={world.project_id}",
                     headers=world.auth(role))
    assert res.status_code == 200, res.text
    frame = pyogrio.read_dataframe(_save(tmp_path, "c.geojson", res.content),
                                   read_geometry=False)
    assert "CCCD" not in frame.columns and "DienThoai" not in frame.columns
    assert "ChuSuDung" in frame.columns
    some_id = world.scalar("SELECT min(citizen_id) FROM land_users")
    assert some_id and str(some_id).encode() not in res.content


def test_parcels_geopackage_in_wgs84_by_commune(client: TestClient, world: ApiWorld,
                                                tmp_path: Path) -> None:
    commune = world.scalar("SELECT commune_code FROM parcels GROUP BY 1 ORDER BY count(*) DESC"
                           " LIMIT 1")
    res = client.get(f"/api/exports/parcels?format=gpkg&crs=EPSG:4326&commune={commune}",
                     headers=world.auth("leader"))
    assert res.status_code == 200, res.text
    path = _save(tmp_path, "p.gpkg", res.content)
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == world.scalar(
        "SELECT count(*) FROM parcels WHERE commune_code = :c", c=commune)


@pytest.mark.parametrize(("query", "code"), [
    ("format=gpkg&project=KHONG-CO", "unknown_project"),
    ("format=dwg", "unknown_format"),
    ("format=gpkg&crs=EPSG:3857", "bad_crs"),
    ("format=gpkg&step=xong", "unknown_step"),
    ("format=gpkg&commune=99999", "unknown_commune"),
    ("format=gpkg&land_use=XYZ", "unknown_land_use"),
    ("format=gpkg&project=%00%27", "invalid_text"),  # refused at the edge: U+0000
    ("format=gpkg&commune=%0012", "invalid_text"),
])
def test_bad_requests_answer_problem_json(client: TestClient, world: ApiWorld, query: str,
                                          code: str) -> None:
    res = client.get(f"/api/exports/cases?{query}", headers=world.auth("staff"))
    assert res.status_code == 422
    assert res.headers["content-type"].startswith(PROBLEM_JSON)
    body = res.json()
    assert body["code"] == code and body["type"] == f"urn:gpmb:problem:{code}"
    assert body["title"]  # the Vietnamese message


def test_blank_form_fields_mean_no_filter(client: TestClient, world: ApiWorld) -> None:
    """A page's form sends ``commune=`` for "all communes": blanks filter nothing."""
    blank = client.get("/api/exports/cases?format=geojson&project=&commune=&land_use=&step=",
                       headers=world.auth("leader"))
    assert blank.status_code == 200, blank.text
    assert int(blank.headers["x-feature-count"]) == world.scalar(
        "SELECT count(*) FROM clearance_cases")
    commune = world.scalar("SELECT p.commune_code FROM clearance_cases c JOIN parcels p"
                           " ON p.id = c.parcel_id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    some = client.get(f"/api/exports/parcels?format=geojson&commune=&commune={commune}"
                      "&land_use=", headers=world.auth("leader"))
    assert some.status_code == 200, some.text
    assert int(some.headers["x-feature-count"]) == world.scalar(
        "SELECT count(*) FROM parcels WHERE commune_code = :c", c=commune)
