"""``/api/imports``: upload → dry run (nothing written) → confirm (atomic, idempotent),
stale confirmations refused, CRS confirmation, bad files, size limit, roles, reports."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import CRS
from sqlalchemy import text

from api.routers.imports import ImportOut
from gis.core.errors import Conflict
from gis.core.settings import Settings
from gis.db.engine import session_factory
from gis.ingest import uploads
from tests.api.conftest import PASSWORD, ApiWorld, fresh_client
from tests.gis.ingest.badfiles import (
    bowties,
    duplicate_keys,
    html_as_geojson,
    traversal_zip,
    truncated_shp,
    zip_bomb,
)
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import parcel_frame, write, zip_shapefile

COUNTS = ("SELECT (SELECT count(*) FROM parcels) || '/' || (SELECT count(*) FROM surveys)"
          " || '/' || (SELECT count(*) FROM audit_log)")


@pytest.fixture(scope="module")
def spot(world: ApiWorld) -> Spot:
    code = world.scalar("SELECT code FROM communes WHERE ST_Contains(boundary,"
                        " ST_SetSRID(ST_MakePoint(449262.451, 2417472.355), 9215))")
    return Spot(str(code), 449000.0, 2417400.0)


def upload(client: TestClient, world: ApiWorld, path: Path, role: str = "staff",
           **form: str) -> dict[str, Any]:
    res = client.post("/api/imports", headers=world.auth(role), data=form,
                      files={"file": (path.name, path.read_bytes(), "application/octet-stream")})
    assert res.status_code == 201, res.text
    body = res.json()
    ImportOut.model_validate(body)
    return dict(body)


def check(client: TestClient, world: ApiWorld, upload_id: str, **options: Any
          ) -> dict[str, Any]:
    res = client.post(f"/api/imports/{upload_id}/check", json=options,
                      headers=world.auth("staff"))
    assert res.status_code == 200, res.text
    return dict(ImportOut.model_validate(res.json()).model_dump())


def confirm(client: TestClient, world: ApiWorld, body: dict[str, Any], **extra: Any
            ) -> Any:
    payload = {"check_id": body["dry_run"]["check_id"], **extra}
    return client.post(f"/api/imports/{body['id']}/confirm", json=payload,
                       headers=world.auth("staff"))


def test_upload_dry_run_confirm_and_reupload(client: TestClient, world: ApiWorld, spot: Spot,
                                             tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "dot-api-1.gpkg")
    before = world.scalar(COUNTS)
    body = upload(client, world, path)
    run = body["dry_run"]
    assert body["status"] == "checked" and run["ok"] and not run["nothing_changes"]
    assert run["format_vi"] == "GeoPackage" and run["features"] == 6
    assert "9215" in run["crs"] or "VN-2000" in run["crs"]
    assert run["mapping"]["parcel_no"] == "SoThua" and run["unmapped"] == []
    assert run["counts"] == {"inserted": 6, "updated": 0, "unchanged": 0, "not_in_file": 0,
                             "matched_other_survey": 0, "new_versions": 0,
                             "land_users_created": 6, "holdings_created": 6,  # ChuSuDung
                             "outside_footprints": 6}  # the spot is in no project's footprint
    assert {p["code"] for p in run["problems"]} == {"land_use_mapped", "land_users"}  # BHK -> HNK
    assert world.scalar(COUNTS) == before, "a dry run writes nothing"

    res = confirm(client, world, body)
    assert res.status_code == 200, res.text
    done = res.json()
    assert done["status"] == "committed" and done["committed"]["inserted"] == 6
    assert world.scalar("SELECT count(*) FROM parcels p JOIN surveys s ON s.id = p.survey_id"
                        " WHERE s.name = 'dot-api-1'") == 6
    again = confirm(client, world, body)
    assert again.status_code == 409 and again.json()["extra"]["reason"] == "already_committed"

    after = world.scalar(COUNTS)
    second = upload(client, world, path)
    assert second["dry_run"]["nothing_changes"]
    assert second["dry_run"]["counts"]["unchanged"] == 6
    res = confirm(client, world, second)
    assert res.status_code == 200 and res.json()["committed"]["inserted"] == 0
    assert res.json()["committed"]["updated"] == 0
    assert world.scalar(COUNTS) == after, "the same file twice changes nothing"


def _batch(world: ApiWorld, batch_id: object) -> tuple[Any, ...]:
    with world.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT b.kind, b.status, b.file_name, b.sha256, b.size_bytes, b.actor, b.created,"
            " b.updated, b.unchanged, b.rejected, s.name,"
            " (SELECT count(*) FROM import_batch_changes c WHERE c.batch_id = b.id"
            "  AND c.entity = 'parcel' AND c.action = 'I')"
            " FROM import_batches b JOIN surveys s ON s.id = b.survey_id WHERE b.id = :b"),
            {"b": batch_id}).one()
    return tuple(row)


def test_confirm_records_an_import_batch(client: TestClient, world: ApiWorld, spot: Spot,
                                         test_settings: Settings, tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y + 3200), tmp_path / "dot-lo.gpkg")
    body = upload(client, world, path)
    batches = world.scalar("SELECT count(*) FROM import_batches")
    res = confirm(client, world, body)
    assert res.status_code == 200, res.text
    done = res.json()["committed"]
    assert isinstance(done["batch_id"], int)
    assert _batch(world, done["batch_id"]) == (
        "parcels", "applied", "dot-lo.gpkg", body["sha256"], body["size_bytes"], "web:t.staff",
        6, 0, 0, 0, "dot-lo", 6)
    # the same file again: a batch of its own that changed nothing
    again = confirm(client, world, upload(client, world, path)).json()["committed"]
    assert again["batch_id"] > done["batch_id"]
    assert _batch(world, again["batch_id"])[6:] == (0, 0, 6, 0, "dot-lo", 0)
    # a refused confirmation (already imported) records nothing
    assert confirm(client, world, body).status_code == 409
    assert world.scalar("SELECT count(*) FROM import_batches") == int(str(batches)) + 2

    # the staff page: upload, confirm, and the result names the batch
    moved = write(parcel_frame(spot.commune, spot.x, spot.y + 3400), tmp_path / "dot-trang.gpkg")
    with fresh_client(world.engine, test_settings) as web:
        login = web.post("/api/auth/login", json={"username": "t.staff", "password": PASSWORD})
        assert login.status_code == 200, login.text
        csrf = web.cookies["gpmb_csrf"]
        res = web.post("/imports", data={"csrf_token": csrf}, follow_redirects=False,
                       files={"file": (moved.name, moved.read_bytes(), "application/geopackage")})
        assert res.status_code == 303, res.text
        page_url = res.headers["location"]
        check_id = re.search(r'name="check_id" value="([0-9a-f]+)"', web.get(page_url).text)
        assert check_id is not None
        res = web.post(page_url + "/confirm", follow_redirects=False,
                       data={"csrf_token": csrf, "check_id": check_id.group(1)})
        assert res.status_code == 303, res.text
        html = web.get(page_url).text
    shown = re.search(r'class="imp-batch" data-batch="(\d+)">Ghi nhận lô nhập số (\d+)\.', html)
    assert shown is not None and shown.group(1) == shown.group(2)
    assert _batch(world, int(shown.group(1)))[5:] == ("web:t.staff", 6, 0, 0, 0, "dot-trang", 6)


def test_stale_dry_run_is_refused(client: TestClient, world: ApiWorld, spot: Spot,
                                  tmp_path: Path) -> None:
    first = write(parcel_frame(spot.commune, spot.x, spot.y + 500), tmp_path / "a.gpkg")
    frame = parcel_frame(spot.commune, spot.x, spot.y + 500)
    frame["DienTich"] = [2400.0] * 6
    second = write(frame, tmp_path / "b.gpkg")
    a = upload(client, world, first, survey="dot-api-stale")
    b = upload(client, world, second, survey="dot-api-stale")
    assert confirm(client, world, b).status_code == 200
    before = world.scalar(COUNTS)
    res = confirm(client, world, a)
    assert res.status_code == 409, res.text
    problem = res.json()
    assert problem["extra"]["reason"] == "stale_dry_run"
    assert "đã thay đổi kể từ lúc kiểm tra" in problem["detail"]
    assert world.scalar(COUNTS) == before
    # an older check of the same upload is refused too; the fresh one goes through
    rechecked = check(client, world, a["id"], survey="dot-api-stale")
    res = confirm(client, world, a)
    assert res.status_code == 409 and res.json()["extra"]["reason"] == "stale_check"
    assert rechecked["dry_run"]["counts"]["updated"] == 6
    res = confirm(client, world, rechecked)
    assert res.status_code == 200 and res.json()["committed"]["updated"] == 6


def test_crs_guessed_from_coordinates_needs_a_choice(client: TestClient, world: ApiWorld,
                                                     spot: Spot, tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y + 1000).set_crs(None, allow_override=True)
    path = zip_shapefile(write(frame, tmp_path / "khongprj" / "dot-api-crs.shp"))
    body = upload(client, world, path)
    run = body["dry_run"]
    assert body["status"] == "rejected" and run["needs"] == "crs"
    assert run["rejection"]["code"] == "crs_missing"
    assert run["rejection"]["candidate"] == "EPSG:9215"
    assert 9215 in {c["srid"] for c in run["crs_candidates"] if c["in_province"]}
    assert run["format_vi"] == "Shapefile trong tệp .zip"
    res = confirm(client, world, body)
    assert res.status_code == 422 and res.json()["extra"]["code_detail"] == "not_clean"
    chosen = check(client, world, body["id"], crs="EPSG:9215")
    assert chosen["dry_run"]["ok"] and chosen["dry_run"]["crs_confirmed"]
    assert chosen["options"]["crs"] == "EPSG:9215"


def test_unrecognised_column_can_be_mapped(client: TestClient, world: ApiWorld, spot: Spot,
                                           tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y + 1500).rename(
        columns={"SoThua": "THUA_MOI"})
    body = upload(client, world, write(frame, tmp_path / "dot-api-map.gpkg"))
    run = body["dry_run"]
    assert "THUA_MOI" in run["unmapped"]
    assert "missing_field" in {p["code"] for p in run["problems"]}
    mapped = check(client, world, body["id"], mapping={"parcel_no": "THUA_MOI"})
    assert mapped["dry_run"]["ok"] and mapped["dry_run"]["mapping"]["parcel_no"] == "THUA_MOI"


@pytest.mark.parametrize(("build", "code"), [
    (zip_bomb, "zip_bomb"), (html_as_geojson, "geojson_invalid"),
    (truncated_shp, "shp_truncated"), (traversal_zip, "zip_path"),
])
def test_bad_files_through_http(client: TestClient, world: ApiWorld, spot: Spot,
                                tmp_path: Path, build: Any, code: str) -> None:
    before = world.scalar(COUNTS)
    body = upload(client, world, build(spot, tmp_path))
    assert body["status"] == "rejected"
    assert body["dry_run"]["rejection"]["code"] == code
    assert any(c in body["dry_run"]["rejection"]["message_vi"] for c in "ạảấầẩẫậệịọộ")
    assert world.scalar(COUNTS) == before


@pytest.mark.parametrize(("build", "code"), [(duplicate_keys, "duplicate_parcel"),
                                             (bowties, "invalid_geometry")])
def test_report_rows_and_downloads(client: TestClient, world: ApiWorld, spot: Spot,
                                   tmp_path: Path, build: Any, code: str) -> None:
    before = world.scalar(COUNTS)
    body = upload(client, world, build(spot, tmp_path))
    run = body["dry_run"]
    assert run["rejection"]["code"] == "validation" and run["error_total"] >= 2
    rows = [p for p in run["problems"] if p["code"] == code]
    assert rows and all(p["row"] and p["parcel"] and p["message_vi"] for p in rows)
    xlsx = client.get(run["report_xlsx"], headers=world.auth("staff"))
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert code in [c.value for row in sheet.iter_rows() for c in row]
    geo = client.get(run["report_geojson"], headers=world.auth("staff"))
    assert geo.status_code == 200 and geo.headers["content-type"] == "application/geo+json"
    features = json.loads(geo.content)["features"]
    if code == "invalid_geometry":
        assert {f["properties"]["code"] for f in features} == {code}
    assert world.scalar(COUNTS) == before


def test_paid_parcels_are_held_until_confirmed(client: TestClient, world: ApiWorld,
                                               tmp_path: Path) -> None:
    with world.engine.connect() as conn:
        row = conn.execute(text("""
            SELECT s.name, p.commune_code, p.sheet_commune_code, p.sheet_no, p.parcel_no,
                   p.legal_area_m2::float, p.land_use_code, ST_AsBinary(p.geom), p.id, p.version
            FROM parcels p JOIN surveys s ON s.id = p.survey_id
            WHERE EXISTS (SELECT 1 FROM clearance_cases c JOIN payments pay ON pay.case_id = c.id
                          WHERE c.parcel_id = p.id)
            ORDER BY p.id LIMIT 1""")).one()
    survey, commune, sheet_commune, sheet, parcel, legal, use, wkb, pid, version = row
    geom = shapely.from_wkb(bytes(wkb))
    frame = gpd.GeoDataFrame({"MaXa": [commune], "MaXaTo": [sheet_commune], "SoTo": [sheet],
                              "SoThua": [parcel],
                              "DienTich": [round(legal + 7.5, 1)], "LoaiDat": [use]},
                             geometry=[geom], crs=CRS.from_epsg(9215))
    path = write(frame, tmp_path / "chi-tra.gpkg")
    body = upload(client, world, path, survey=survey)
    run = body["dry_run"]
    assert run["ok"], run["problems"]
    assert [h["parcel_id"] for h in run["held"]] == [pid]
    assert run["held"][0]["new_legal_area_m2"] == pytest.approx(legal + 7.5)
    res = confirm(client, world, body)
    assert res.status_code == 200 and res.json()["committed"]["held"] == 1
    assert world.scalar("SELECT version FROM parcels WHERE id = :p", p=pid) == version
    again = upload(client, world, path, survey=survey)
    res = confirm(client, world, again, confirm_paid=True)
    assert res.status_code == 200 and res.json()["committed"]["updated"] == 1
    assert world.scalar("SELECT legal_area_m2::float FROM parcels WHERE id = :p",
                        p=pid) == pytest.approx(legal + 7.5)


def test_parcels_outside_every_footprint_are_counted_and_said(
        client: TestClient, world: ApiWorld, spot: Spot, tmp_path: Path) -> None:
    """The dry run counts the file's parcels that no project's footprint crosses (by the
    overlay's 1 m²): they get no case, so no project's map draws them; the import page says
    so, in Vietnamese and in English."""
    with world.engine.connect() as conn:
        x, y, commune = conn.execute(text("""
            SELECT ST_X(pt), ST_Y(pt), (SELECT code FROM communes WHERE ST_Contains(boundary, pt))
            FROM (SELECT ST_PointOnSurface(a.footprint) AS pt FROM alignments a
                  JOIN projects j ON j.id = a.project_id WHERE j.code = 'CT-HNCL'
                  ORDER BY a.id LIMIT 1) s""")).one()
        footprints = shapely.union_all([shapely.from_wkb(bytes(w)) for w in conn.execute(text(
            "SELECT ST_AsBinary(footprint) FROM alignments WHERE footprint IS NOT NULL"))
            .scalars()])
    frame = pd.concat([parcel_frame(commune, x - 25, y - 25, sheet=951),  # from the corridor
                       parcel_frame(spot.commune, spot.x, spot.y, sheet=952)],
                      ignore_index=True)
    outside = sum(shapely.intersection(g, footprints).area < 1.0 for g in frame.geometry)
    assert 0 < outside < len(frame), "the file has parcels of both kinds"

    body = upload(client, world, write(frame, tmp_path / "ngoai-pham-vi.gpkg"))
    run = body["dry_run"]
    assert run["ok"], run["problems"]
    assert run["counts"]["outside_footprints"] == outside
    res = client.post("/api/auth/login", json={"username": "t.staff", "password": PASSWORD})
    assert res.status_code == 200, res.text
    page = html.unescape(client.get(f"/imports/{body['id']}").text)
    assert (f"{outside} thửa trong tệp nằm ngoài phạm vi thu hồi của mọi dự án: không có hồ sơ"
            " GPMB nên không hiện trên bản đồ dự án") in page
    english = html.unescape(client.get(f"/imports/{body['id']}?lang=en").text)
    assert (f"{outside} parcels in the file lie outside every project's recovery footprint:"
            " they have no clearance case, so no project map draws them") in english
    client.cookies.clear()


def test_roles_and_owners(client: TestClient, world: ApiWorld, spot: Spot,
                          tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y + 2000), tmp_path / "r.gpkg")
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    for role in ("leader", "field"):
        res = client.post("/api/imports", headers=world.auth(role), files=files)
        assert res.status_code == 403, res.text
    assert client.post("/api/imports", files=files).status_code == 401
    mine = upload(client, world, path, role="admin")
    res = client.get(f"/api/imports/{mine['id']}", headers=world.auth("staff"))
    assert res.status_code == 404
    res = client.get(f"/api/imports/{mine['id']}", headers=world.auth("admin"))
    assert res.status_code == 200 and res.json()["id"] == mine["id"]


@pytest.fixture
def small_limit_client(world: ApiWorld, test_settings: Settings) -> Iterator[TestClient]:
    settings = test_settings.model_copy(update={"import_max_mb": 1})
    with fresh_client(world.engine, settings) as c:
        yield c


def test_size_limit(small_limit_client: TestClient, world: ApiWorld, test_settings: Settings
                    ) -> None:
    root = test_settings.data_dir / "uploads"
    existing = set(root.glob("*")) if root.is_dir() else set()
    big = b"PK" + bytes(2 * 1024**2)
    res = small_limit_client.post("/api/imports", headers=world.auth("staff"),
                                  files={"file": ("lon.zip", big, "application/zip")})
    assert res.status_code == 413, res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["code"] == "payload_too_large" and "1 MB" in res.json()["detail"]
    assert (set(root.glob("*")) if root.is_dir() else set()) == existing


def test_concurrent_confirms_of_one_survey_one_wins(world: ApiWorld, spot: Spot,
                                                    tmp_path: Path) -> None:
    """Two people confirm dry runs of the same (empty) survey at the same moment: the
    advisory lock serialises them, and the second finds its dry run stale."""
    root = tmp_path / "uploads"
    made = []
    for name, dy in (("a.gpkg", 2500), ("b.gpkg", 2600)):
        path = write(parcel_frame(spot.commune, spot.x, spot.y + dy), tmp_path / name)
        with path.open("rb") as fh:
            up = uploads.store_upload(root, 1, name, fh, 10 * 1024**2)
        with session_factory(world.engine)() as s:
            made.append(uploads.check_upload(s, root, up, uploads.ImportOptions(
                survey="dot-dong-thoi"), actor="test"))
    assert all(u.dry_run is not None and u.dry_run.ok for u in made)
    barrier = threading.Barrier(2)

    def confirm_in_thread(up: uploads.Upload) -> str:
        assert up.dry_run is not None
        with session_factory(world.engine)() as s:
            barrier.wait()
            try:
                uploads.commit_upload(s, root, up, up.dry_run.check_id, confirm_paid=False,
                                      actor="test")
                time.sleep(0.2)  # hold the lock a moment, as a big import would
                s.commit()
            except Conflict as exc:
                s.rollback()
                return str(exc.extra["reason"])
        return "imported"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(confirm_in_thread, made))
    assert outcomes == ["imported", "stale_dry_run"]
    assert world.scalar("SELECT count(*) FROM parcels p JOIN surveys s ON s.id = p.survey_id"
                        " WHERE s.name = 'dot-dong-thoi'") == 6


def test_mapping_to_an_unknown_field_is_refused(client: TestClient, world: ApiWorld) -> None:
    res = client.post("/api/imports/" + "0" * 32 + "/check", headers=world.auth("staff"),
                      json={"mapping": {"so_nha": "SoThua"}})
    assert res.status_code == 422 and res.json()["code"] == "validation_error"


def test_a_drawing_gets_one_land_use_and_its_drawn_areas(client: TestClient, world: ApiWorld,
                                                         spot: Spot, tmp_path: Path) -> None:
    """A DXF with parcel numbers only: refused until a land use and the drawn areas are
    given for the whole drawing (the CRS confirmed as for any drawing)."""
    from tests.gis.ingest.test_ingest_cad_labels import _dxf

    path = _dxf(tmp_path / "chi_so_thua.dxf", spot.x, spot.y, [["81"], ["82"]])
    body = upload(client, world, path, survey="Bản vẽ chỉ số thửa")
    first = check(client, world, body["id"], survey="Bản vẽ chỉ số thửa", crs="EPSG:9215",
                  commune=spot.commune)
    assert not first["dry_run"]["ok"]
    fields = {p["field"] for p in first["dry_run"]["problems"] if p["code"] == "missing_field"}
    assert fields == {"land_use_code", "legal_area_m2"}
    bad = check(client, world, body["id"], survey="Bản vẽ chỉ số thửa", crs="EPSG:9215",
                commune=spot.commune, land_use="XYZ", area_from_geometry=True)
    assert bad["dry_run"]["rejection"] and "XYZ" in bad["dry_run"]["rejection"]["message_vi"]
    ok = check(client, world, body["id"], survey="Bản vẽ chỉ số thửa", crs="EPSG:9215",
               commune=spot.commune, land_use="LUC", area_from_geometry=True)
    run = ok["dry_run"]
    assert run["ok"] and run["features"] == 2, run
    assert run["counts"]["inserted"] + run["counts"]["new_versions"] == 2
    res = confirm(client, world, ok)
    assert res.status_code == 200, res.text
    rows = world.scalar("SELECT string_agg(p.parcel_no || ':' || p.land_use_code || ':' ||"
                        " p.legal_area_m2, ',' ORDER BY p.parcel_no) FROM parcels p JOIN"
                        " surveys s ON s.id = p.survey_id WHERE s.name = 'Bản vẽ chỉ số thửa'")
    assert rows == "81:LUC:2500.0,82:LUC:2500.0"
