"""The real ``gpmb export`` command, and ``gpmb import parcels`` taking its file back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from gis.core.settings import Settings
from tests.gis.ingest.helpers import parcel_frame, write
from tests.support import cli_database
from tests.support import run_gpmb as gpmb


@pytest.fixture(scope="module")
def cli_db(make_database: Callable[[str], str], test_settings: Settings) -> tuple[str, str]:
    return cli_database(make_database, test_settings, "gpmb_export_cli")


def test_exported_file_imports_back_unchanged(cli_db: tuple[str, str], tmp_path: Path) -> None:
    """Zipped Shapefile in WGS84: the hardest case (DBF, ring order, datum shift)."""
    url, commune = cli_db
    fmt, crs, name = "shp", "EPSG:4326", "ra.zip"
    rows = pd.concat([parcel_frame(commune, 449000.2, 2417400.7, sheet=11),
                      parcel_frame(commune, 449000.2, 2417450.7, sheet=12)], ignore_index=True)
    source = write(rows, tmp_path / "nguon.gpkg")
    res = gpmb(url, "import", "parcels", str(source), "--survey", f"Đợt {fmt}")
    assert res.returncode == 0, res.stdout + res.stderr
    out = tmp_path / name
    res = gpmb(url, "export", "parcels", "--format", fmt, "--crs", crs, "--commune", commune,
               "--land-use", "LUC", "--land-use", "BHK", "--output", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Đã xuất 6 thửa" in res.stdout and out.exists()  # 2 × (LUC, LUC, BHK)
    again = gpmb(url, "import", "parcels", str(out), "--survey", f"Đợt {fmt}")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 thêm mới, 0 cập nhật, 6 không đổi" in again.stdout


def test_cli_default_name_and_errors(cli_db: tuple[str, str], tmp_path: Path) -> None:
    url, _ = cli_db
    res = gpmb(url, "export", "cases", "--format", "xlsx", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [p.name for p in tmp_path.iterdir()] == [
        next(p.name for p in tmp_path.iterdir() if p.name.startswith("Hồ sơ GPMB toan-tinh "))]
    for args, message in [(("--format", "dwg"), "Không xuất được định dạng 'dwg'"),
                          (("--crs", "EPSG:3857"), "Không xuất được theo hệ toạ độ"),
                          (("--project", "KHONG-CO"), "Không có dự án 'KHONG-CO'")]:
        res = gpmb(url, "export", "parcels", *args, cwd=tmp_path)
        assert res.returncode == 2 and message in res.stdout, res.stdout + res.stderr
        assert "Traceback" not in res.stdout + res.stderr
