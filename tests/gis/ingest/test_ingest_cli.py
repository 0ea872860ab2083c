"""The real ``gpmb import`` command on its own database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gis.core.settings import Settings
from tests.gis.ingest.helpers import parcel_frame, write
from tests.gis.ingest.test_ingest_cad_labels import _dxf as cad_labels_dxf
from tests.support import cli_database
from tests.support import run_gpmb as gpmb


@pytest.fixture(scope="module")
def cli_db(make_database: Callable[[str], str], test_settings: Settings) -> tuple[str, str]:
    return cli_database(make_database, test_settings, "gpmb_ingest_cli")


def test_import_parcels_cli(cli_db: tuple[str, str], tmp_path: Path) -> None:
    url, commune = cli_db
    frame = parcel_frame(commune, 449000, 2417400).set_crs(None, allow_override=True)
    path = write(frame, tmp_path / "to7.shp")
    res = gpmb(url, "import", "parcels", str(path))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--crs EPSG:9215" in res.stdout and "Traceback" not in res.stdout + res.stderr
    report = tmp_path / "bao_cao.xlsx"
    res = gpmb(url, "import", "parcels", str(path), "--crs", "EPSG:9215", "--survey", "Đo 2024",
               "--report", str(report))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "6 thêm mới, 0 cập nhật, 0 không đổi" in res.stdout
    assert "6 thửa trong tệp nằm ngoài phạm vi thu hồi của mọi dự án" in res.stdout  # no project
    assert "land_use_mapped" in res.stdout and report.exists()
    assert report.with_suffix(".geojson").exists()
    again = gpmb(url, "import", "parcels", str(path), "--crs", "EPSG:9215", "--survey", "Đo 2024")
    assert "0 thêm mới, 0 cập nhật, 6 không đổi" in again.stdout


def test_rejected_file_and_unknown_project(cli_db: tuple[str, str], tmp_path: Path) -> None:
    url, commune = cli_db
    frame = parcel_frame(commune, 449000, 2417400)
    frame.loc[1, "SoThua"] = 1
    res = gpmb(url, "import", "parcels", str(write(frame, tmp_path / "dup.gpkg")), "--map",
               "parcel_no=SoThua")
    assert res.returncode == 2
    assert "duplicate_parcel" in res.stdout and "chưa có dữ liệu nào được ghi" in res.stdout
    res = gpmb(url, "import", "overlay", "KHONG-CO")
    assert res.returncode == 2 and "Không có dự án KHONG-CO" in res.stdout
    res = gpmb(url, "import", "parcels", str(tmp_path / "dup.gpkg"), "--map", "so_thua")
    assert res.returncode == 2 and "trường=cột" in res.stdout


def test_cli_summary_names_the_confirmed_crs(cli_db: tuple[str, str],
                                             tmp_path: Path) -> None:
    url, commune = cli_db
    path = cad_labels_dxf(tmp_path / "to7.dxf", 449000.0, 2417400.0, [["1", "LUC", "2500"]])
    res = gpmb(url, "import", "parcels", str(path), "--crs", "EPSG:9215", "--commune",
               commune, "--dry-run")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "VN-2000 / TM-3" in res.stdout and "unknown" not in res.stdout


def test_cli_reimport_of_an_export_under_another_name_adds_nothing(
        cli_db: tuple[str, str], tmp_path: Path) -> None:
    """The issue's own steps: import, `gpmb export parcels` as a Shapefile zip, import that
    zip under another survey name — no new parcel, and the output says why."""
    url, commune = cli_db
    source = write(parcel_frame(commune, 449000, 2418400, sheet=9), tmp_path / "nguon.gpkg")
    res = gpmb(url, "import", "parcels", str(source), "--survey", "Nguồn CLI")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Chủ sử dụng: 6 thửa có tên;" in res.stdout and "6 liên kết thửa–chủ mới" in res.stdout
    out = tmp_path / "thua_9215.zip"
    res = gpmb(url, "export", "parcels", "--commune", commune, "--format", "shp", "-o", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    res = gpmb(url, "import", "parcels", str(out), "--survey", "Đợt khác CLI")
    assert res.returncode == 0, res.stdout + res.stderr
    assert " 0 thêm mới," in res.stdout
    assert "đã có trong đợt đo đạc khác" in res.stdout and "0 người mới" in res.stdout
