"""DXF drawn the way CAD operators draw cadastral sheets, written with ezdxf: closed
LWPOLYLINEs, and per parcel three TEXT entities (number / land use / area) or a "909/1"
style fraction; a drawing with numbers only, given one land use and the drawn areas for
all its parcels."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from gis.ingest.cad import combine_labels, parse_label
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import SIDE
from tests.gis.ingest.test_ingest_cad import _parcels

Labels = list[str]


def _dxf(path: Path, x: float, y: float, labels: list[Labels]) -> Path:
    """One 50 m square per entry of ``labels``, its texts stacked top to bottom inside it."""
    doc = ezdxf.new("R2013")
    msp = doc.modelspace()
    for i, texts in enumerate(labels):
        x0 = x + i * SIDE
        msp.add_lwpolyline([(x0, y), (x0 + SIDE, y), (x0 + SIDE, y + SIDE), (x0, y + SIDE)],
                           close=True, dxfattribs={"layer": "RANHTHUA"})
        for k, value in enumerate(texts):
            msp.add_text(value, height=1.5, dxfattribs={"layer": "NHANTHUA"}).set_placement(
                (x0 + 15, y + 35 - 8 * k))
    msp.add_text("TỜ BẢN ĐỒ SỐ 7", height=4, dxfattribs={"layer": "KHUNG"}).set_placement(
        (x, y + SIDE + 30))
    doc.saveas(path)
    return path


def test_three_texts_per_parcel_and_fraction_labels(session: Session, spot: Spot,
                                                    tmp_path: Path) -> None:
    path = _dxf(tmp_path / "to7.dxf", spot.x, spot.y, [
        ["12", "ONT", "2500.0"],          # number / land use / area (decimal)
        ["13", "LUC", "2500"],            # the area as a bare integer
        ["909/1", "CLN", "2498,5"],       # a sub-numbered parcel: "/1" is not 1 m²
        ["14/2500", "BHK"],               # the cadastral fraction number/area
    ])
    result = import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    assert result.write is not None and result.write.inserted == 4
    assert _parcels(session, "to7") == [(7, 12, "ONT", 2500.0), (7, 13, "LUC", 2500.0),
                                        (7, 14, "HNK", 2500.0), (7, 909, "CLN", 2498.5)]
    sub = [p for p in result.report.problems if p.code == "cad_sub_number"]
    assert len(sub) == 1 and "909/1" in sub[0].message_vi and sub[0].row is not None
    assert "TM-3" in result.report.crs  # the confirmed CRS by name, not "unknown"


def test_a_land_use_and_the_drawn_area_for_the_whole_drawing(session: Session, spot: Spot,
                                                              tmp_path: Path) -> None:
    path = _dxf(tmp_path / "chi_so.dxf", spot.x, spot.y, [["1"], ["2"], ["3"]])
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    advice = " ".join(p.message_vi for p in info.value.extra["report"].errors)
    assert "--land-use" in advice and "--area-from-geometry" in advice
    result = import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215",
                            land_use="LUC", area_from_geometry=True)
    assert result.write is not None and result.write.inserted == 3
    assert _parcels(session, "chi_so") == [(7, n, "LUC", 2500.0) for n in (1, 2, 3)]
    with pytest.raises(Exception, match="XYZ"):
        import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215",
                       land_use="XYZ", area_from_geometry=True)


@pytest.mark.parametrize(("texts", "drawn", "expected"), [
    (["909/1"], 2500.0, (909, None, None, "1")),
    (["909/2500"], 2500.0, (909, 2500.0, None, None)),
    (["25", "LUC", "30"], 30.0, (25, 30.0, "LUC", None)),
    (["ONT", "345,6", "12"], 350.0, (12, 345.6, "ONT", None)),
    (["7", "8"], None, (7, 8.0, None, None)),
])
def test_combine_labels(texts: list[str], drawn: float | None,
                        expected: tuple[object, ...]) -> None:
    lab = combine_labels([(t, -float(i)) for i, t in enumerate(texts)], drawn)
    assert (lab.parcel_no, lab.area_m2, lab.land_use, lab.sub_number) == expected


def test_parse_label_without_a_drawn_area_keeps_the_fraction() -> None:
    assert parse_label("12/345.6").area_m2 == 345.6
