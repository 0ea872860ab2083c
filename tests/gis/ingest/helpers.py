"""Helpers for ingest tests: a grid of square parcels written by GDAL (pyogrio)."""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyproj import CRS
from shapely.geometry import Polygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

SIDE = 50.0
NAMES = ["Nguyễn Văn An", "Hoàng Thị Lan", "Lường Văn Đức", "Trần Đức Thắng",
         "Vi Thị Hường", "Lộc Văn Việt"]


def square(x: float, y: float, side: float = SIDE) -> Polygon:
    """An axis-aligned square with its lower-left corner at (x, y)."""
    return box(x, y, x + side, y + side)


def parcel_frame(commune: str, x0: float, y0: float, n: int = 6, *, sheet: int = 7,
                 crs: Any = None, **overrides: Sequence[Any]) -> gpd.GeoDataFrame:
    """``n`` adjacent 50 m squares in a row, with Vietnamese field names as surveyors use."""
    geoms = [square(x0 + i * SIDE, y0) for i in range(n)]
    data: dict[str, Sequence[Any]] = {
        "MaXa": [commune] * n,
        "SoTo": [sheet] * n,
        "SoThua": list(range(1, n + 1)),
        "DienTich": [SIDE * SIDE] * n,
        "LoaiDat": ["LUC", "ONT", "BHK", "CLN", "LUC", "RSX"][:n] * (n // 6 + 1),
        "ChuSuDung": (NAMES * (n // len(NAMES) + 1))[:n],
        "DiaChi": [f"Thôn Bản Đông {i}" for i in range(n)],
    }
    data["LoaiDat"] = list(data["LoaiDat"])[:n]
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs or CRS.from_epsg(9215))


def write(frame: gpd.GeoDataFrame, path: Path, **kw: Any) -> Path:
    """Write with GDAL through pyogrio (the driver follows the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # files without a CRS are written on purpose
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        pyogrio.write_dataframe(frame, path, **kw)
    return path


def zip_shapefile(shp: Path, *, drop_cpg: bool = False) -> Path:
    """Zip a shapefile's parts (optionally without its .cpg)."""
    out = shp.with_suffix(".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in shp.parent.glob(shp.stem + ".*"):
            if part.suffix == ".zip" or (drop_cpg and part.suffix.lower() == ".cpg"):
                continue
            zf.write(part, part.name)
    return out


def count(session: Session, sql: str, **params: Any) -> int:
    """A scalar count."""
    return int(session.execute(text(sql), params).scalar_one())
