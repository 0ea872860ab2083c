"""The real ``gpmb import parcels|alignment|households`` commands on their own database:
each applied import is recorded as a batch, and a re-import is recognised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely.geometry import LineString
from sqlalchemy import text

from gis.core.settings import Settings
from gis.db.engine import make_engine, session_factory
from tests.gis.ingest.helpers import parcel_frame, write
from tests.support import commune_at_test_point, reference_engine
from tests.support import run_gpmb as gpmb

X, Y = 449000.0, 2417400.0



@pytest.fixture(scope="module")
def cli_db(make_database: Callable[[str], str], test_settings: Settings) -> tuple[str, str]:
    url = make_database("gpmb_import_batches_cli")
    eng = reference_engine(url, test_settings)
    with session_factory(eng).begin() as s:
        code = commune_at_test_point(s)
        s.execute(text("INSERT INTO projects (code, name, investment_form, owner) VALUES"
                       " ('DUONG-CLI', 'Đường thử CLI', 'public_budget', 'Sở Xây dựng')"))
    eng.dispose()
    return url, str(code)


def _batches(url: str, test_settings: Settings) -> list[tuple[str, str, int, int, int]]:
    eng = make_engine(url, test_settings)
    try:
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT kind, file_name, created, updated, unchanged"
                                     " FROM import_batches ORDER BY id")).all()
    finally:
        eng.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_import_commands_record_batches(cli_db: tuple[str, str], tmp_path: Path,
                                        test_settings: Settings) -> None:
    url, commune = cli_db
    parcels = write(parcel_frame(commune, X, Y), tmp_path / "to7.gpkg")
    res = gpmb(url, "import", "parcels", str(parcels))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Ghi nhận lô nhập #1" in res.stdout

    line = LineString([(X + 125, Y - 100), (X + 125, Y + 150)])
    tuyen = write(gpd.GeoDataFrame({"LyTrinhDau": ["Km1+000"]}, geometry=[line],
                                   crs=CRS.from_epsg(9215)), tmp_path / "tuyen.gpkg")
    res = gpmb(url, "import", "alignment", str(tuyen), "--project", "DUONG-CLI", "--width", "20")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "thêm mới" in res.stdout and "1 hồ sơ mới" in res.stdout
    again = gpmb(url, "import", "alignment", str(tuyen), "--project", "DUONG-CLI", "--width",
                 "20")
    assert "đã được nhập: lô #2" in again.stdout and "không đổi" in again.stdout

    csv = tmp_path / "ho_dan.csv"
    csv.write_text(f"MaXa,SoTo,SoThua,HoTen,CCCD\n{commune},7,3,Nguyễn Văn An,020085001234\n",
                   encoding="utf-8")
    res = gpmb(url, "import", "households", str(csv))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 chủ sử dụng mới" in res.stdout
    bad = tmp_path / "loi.csv"
    bad.write_text(f"MaXa,SoTo,SoThua,HoTen,CCCD\n{commune},7,99,Vi Văn Tú,12345\n",
                   encoding="utf-8")
    res = gpmb(url, "import", "households", str(bad))
    assert res.returncode == 2 and "unknown_parcel" in res.stdout
    assert "bad_citizen_id" in res.stdout and "Traceback" not in res.stdout + res.stderr

    assert _batches(url, test_settings) == [
        ("parcels", "to7.gpkg", 6, 0, 0), ("alignment", "tuyen.gpkg", 1, 0, 0),
        ("alignment", "tuyen.gpkg", 0, 0, 1), ("households", "ho_dan.csv", 2, 0, 0)]
