"""A pre-2025 commune split between two new communes (06622 Bính Xá → Đình Lập 06613 and
Kiên Mộc 06625; 06625 Kiên Mộc → Kiên Mộc and Châu Sơn 06637): each parcel goes to the
new commune its location falls in, whatever order the commune table lists them in."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import CRS
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.ingest import import_parcels
from gis.ingest.parcels import province_context
from tests.gis.ingest.helpers import parcel_frame, write


def inside(session: Session, code: str) -> tuple[float, float]:
    """A point well inside the (approximate) boundary of commune ``code``."""
    x, y = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Buffer(boundary, -300)) AS p"
        " FROM communes WHERE code = :c) s"), {"c": code}).one()
    return float(x), float(y)


@pytest.mark.parametrize(("old", "new"), [("06622", ("06613", "06625")),
                                          ("06625", ("06625", "06637"))])
def test_split_commune_is_placed_by_location(session: Session, tmp_path: Path, old: str,
                                             new: tuple[str, str]) -> None:
    ctx = province_context(session)
    assert set(ctx.splits[old]) >= set(new)
    frames = []
    for i, code in enumerate(new):
        x, y = inside(session, code)
        frame = parcel_frame(old, x, y, 2, sheet=40 + i)
        frames.append(frame)
    both = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CRS.from_epsg(9215))
    both["SoThua"] = [str(i) for i in range(1, len(both) + 1)]
    # The first new commune's parcels last: row order must not decide.
    both = both.iloc[::-1].reset_index(drop=True)
    import_parcels(session, write(both, tmp_path / f"tach_{old}.geojson"), survey=f"tách {old}")
    rows = session.execute(text(
        "SELECT p.sheet_no, p.commune_code, p.sheet_commune_code FROM parcels p"
        " JOIN surveys s ON s.id = p.survey_id WHERE s.name = :s ORDER BY p.sheet_no"),
        {"s": f"tách {old}"}).all()
    assert [tuple(r) for r in rows] == [(40, new[0], old), (40, new[0], old),
                                        (41, new[1], old), (41, new[1], old)]
