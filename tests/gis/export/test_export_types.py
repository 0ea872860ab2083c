"""Field types as GDAL 3.6 (Debian 12's ``ogrinfo``, an independent client) reads them:
a GeoPackage it reads fully (no "v1.4 may only be partially supported" warning), dates as
Date and booleans as Boolean in GeoPackage, Date in the Shapefile's DBF, integers typed as
integers in KML."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.gis.export.test_export_formats import run

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None,
                                reason="gdal-bin (ogrinfo) is part of the test setup")


def _ogrinfo(path: Path) -> tuple[dict[str, str], str]:
    """Field name → GDAL type (e.g. ``Date``, ``Integer(Boolean)``), and stderr."""
    done = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True,
                          text=True, check=True)
    fields = dict(re.findall(r"^(\w+): (\S+) \(", done.stdout, re.MULTILINE))
    return fields, done.stderr


def test_geopackage_types_as_gdal_3_6_reads_them(demo_session: Session,
                                                 tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "cases", "gpkg", project="CT-HNCL")
    fields, warnings = _ogrinfo(result.path)
    assert "partially supported" not in warnings, warnings
    assert fields["NgayBuoc"] == "Date" and fields["HanChot"] == "Date"
    assert fields["ThuHoiHet"] == "Integer(Boolean)" and fields["QuaHan"] == "Integer(Boolean)"
    assert fields["PADuyet"] == "Integer64" and fields["DienTich"] == "Real"
    with result.path.open("rb") as fh:  # SQLite header: application_id, user_version
        head = fh.read(100)
    assert head[68:72] == b"GPKG" and int.from_bytes(head[60:64], "big") == 10200


def test_shapefile_dates_are_dbf_dates(demo_session: Session, tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "cases", "shp", project="CT-HNCL")
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(tmp_path / "shp")
    shp = next((tmp_path / "shp").glob("*.shp"))
    fields, _ = _ogrinfo(shp)
    assert fields["NgayBuoc"] == "Date" and fields["NgayBG"] == "Date"
    assert fields["SoThua"] in ("Integer", "Integer64")
    # DBF's only boolean is the logical type L (GDAL 3.6 shows it as a 1-letter String)
    dbf = shp.with_suffix(".dbf").read_bytes()
    descriptors = dbf[32:dbf.index(b"\r", 32)]
    types = {descriptors[i:i + 11].rstrip(b"\0").decode(): chr(descriptors[i + 11])
             for i in range(0, len(descriptors), 32)}
    assert types["ThuHoiHet"] == "L" and types["NgayBuoc"] == "D"
    done = subprocess.run(["ogrinfo", "-al", "-where", "NgayBuoc IS NOT NULL", str(shp)],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"NgayBuoc \(Date\) = \d{4}/\d{2}/\d{2}", done)


def test_kml_integers_are_integers(demo_session: Session, tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "cases", "kml", project="CT-HNCL")
    fields, _ = _ogrinfo(result.path)
    assert fields["IdHoSo"] == "Integer" and fields["SoThua"] == "Integer"
    assert fields["PADuyet"] == "Real"  # VND beyond 32 bits: exact as a double
    assert fields["DienTich"] == "Real" and fields["Name"] == "String"
