"""Every supported format, written by GDAL, imports the same parcels; legacy DBF text is
decoded; a mixed or unknown encoding is reported instead of stored as mojibake."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from gis.ingest.encoding import encode_tcvn3, encode_vni
from gis.ingest.reader import read_source
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import NAMES, parcel_frame, write, zip_shapefile


def _addresses(session: Session, survey: str) -> list[str]:
    return list(session.execute(text(
        "SELECT address FROM parcels WHERE survey_id = (SELECT id FROM surveys WHERE name = :s)"
        " ORDER BY parcel_no"), {"s": survey}).scalars())


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb", ".shp"])
def test_formats_import_alike(session: Session, spot: Spot, tmp_path: Path,
                              suffix: str) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    result = import_parcels(session, write(frame, tmp_path / f"to7{suffix}"))
    assert result.write is not None and result.write.inserted == 6
    assert _addresses(session, "to7") == [f"Thôn Bản Đông {i}" for i in range(6)]
    # BHK (pre-2024) became HNK, its source code kept
    row = session.execute(text("SELECT land_use_code, land_use_code_source, legal_area_m2,"
                               " ST_Area(geom) FROM parcels WHERE parcel_no = 3 AND survey_id ="
                               " (SELECT id FROM surveys WHERE name = 'to7')")).one()
    assert tuple(row) == ("HNK", "BHK", 2500, 2500.0)
    # the owners' names (ChuSuDung) became land users, reported as a note
    assert [p.code for p in result.report.problems] == ["land_use_mapped", "land_users"]
    assert result.write.holders.users_created == 6


@pytest.mark.parametrize(("encoder", "label"), [(encode_tcvn3, "TCVN3 (ABC)"),
                                                (encode_vni, "VNI-Windows")])
def test_legacy_dbf_in_zip_is_decoded(session: Session, spot: Spot, tmp_path: Path,
                                      encoder: object, label: str) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    for col in ("ChuSuDung", "DiaChi"):
        frame[col] = frame[col].map(encoder)  # type: ignore[arg-type]
    shp = write(frame, tmp_path / "legacy.shp", encoding="ISO-8859-1")
    zipped = zip_shapefile(shp, drop_cpg=True)
    src = read_source(zipped)
    assert src.encoding == label
    names = list(src.frame["ChuSuDung"])
    if label.startswith("VNI"):
        assert names == NAMES
    else:  # TCVN3 (without the capitals font) has no capital toned vowels
        assert [n.lower() for n in names] == [n.lower() for n in NAMES]
    import_parcels(session, zipped)
    assert _addresses(session, "legacy")[1] == "Thôn Bản Đông 1"


def test_cpg_utf8_is_honoured(session: Session, spot: Spot, tmp_path: Path) -> None:
    shp = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "u.shp",
                encoding="UTF-8")
    assert shp.with_suffix(".cpg").read_text().strip().upper().startswith("UTF")
    src = read_source(zip_shapefile(shp))
    assert list(src.frame["ChuSuDung"]) == NAMES and not src.issues


def test_mixed_and_unknown_encodings_are_reported(session: Session, spot: Spot,
                                                  tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    frame["DiaChi"] = [encode_tcvn3("Thôn Nà Phải"), encode_tcvn3("Bản Đông"),
                       encode_tcvn3("Khối Lạng Sơn"), encode_vni("Thôn Phố Mới"),
                       "\xc3\xa6\xd8\xb1\xb2\xb3", encode_tcvn3("Làng Đồng")]
    frame["ChuSuDung"] = frame["ChuSuDung"].map(encode_tcvn3)
    path = zip_shapefile(write(frame, tmp_path / "tron.shp", encoding="ISO-8859-1"),
                         drop_cpg=True)
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path)
    problems = {(p.row, p.code) for p in err.value.extra["report"].problems
                if p.code.startswith("encoding")}
    assert problems == {(4, "encoding_mixed"), (5, "encoding_unknown")}
    msg = next(p.message_vi for p in err.value.extra["report"].problems if p.row == 5)
    assert "Unicode" in msg and "DiaChi" in msg
    assert session.execute(text("SELECT count(*) FROM surveys WHERE name = 'tron'")).scalar() == 0


def test_explicit_mapping_and_bad_files(session: Session, spot: Spot, tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y).rename(columns={"SoThua": "THUA_MOI"})
    path = write(frame, tmp_path / "map.gpkg")
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path)
    assert any(p.code == "missing_field" and p.field == "parcel_no"
               for p in err.value.extra["report"].problems)
    result = import_parcels(session, path, mapping={"parcel_no": "thua_moi"})
    assert result.write is not None and result.write.inserted == 6
    truncated = tmp_path / "cut.gpkg"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, truncated)
    assert err.value.extra["code_detail"] == "unreadable"
    (tmp_path / "x.dwg").write_text("AC1032")  # DWG: save as DXF/DGN first
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, tmp_path / "x.dwg")
    assert err.value.extra["code_detail"] == "format"


LATIN1_ONLY = ["UBND xã Khánh Khê", "Hoàng Thái Hà", "Lã Thanh Tùng", "Hà Bá Lâm",
               "Tô Thúy", "Chi nhánh Lò Mã"]  # every letter lies in Latin-1


@pytest.mark.parametrize(("suffix", "cpg"), [(".gpkg", None), (".geojson", None), (".fgb", None),
                                             (".shp", "UTF-8"), (".shp", "no-cpg")])
def test_latin1_only_unicode_names_import_as_is(session: Session, spot: Spot, tmp_path: Path,
                                                suffix: str, cpg: str | None) -> None:
    """Correct Unicode names whose letters happen to be Latin-1 ones are not 'unknown': from a
    Unicode source, a .cpg saying UTF-8 or a DBF whose bytes are valid UTF-8 they are kept."""
    frame = parcel_frame(spot.commune, spot.x, spot.y, ChuSuDung=LATIN1_ONLY,
                         DiaChi=[f"Thôn Nà Mò {i}" for i in range(6)])
    path = write(frame, tmp_path / f"la{suffix}", **({"encoding": "UTF-8"} if cpg else {}))
    if suffix == ".shp":
        path = zip_shapefile(path, drop_cpg=cpg == "no-cpg")
    src = read_source(path)
    names = src.frame.sort_values("SoThua")["ChuSuDung"]  # FlatGeobuf reorders by its index
    assert list(names) == LATIN1_ONLY and not src.issues
    result = import_parcels(session, path)
    assert result.write is not None and result.write.inserted == 6
    assert not [p for p in result.report.problems if p.code.startswith("encoding")]
    assert _addresses(session, "la") == [f"Thôn Nà Mò {i}" for i in range(6)]


def test_code_page_is_decided_per_column(session: Session, spot: Spot,
                                         tmp_path: Path) -> None:
    """A Shapefile without .cpg in TCVN3: "Cao Léc" alone is TCVN3 for "Cao Lộc" as much as
    Latin-1, but its column's other values are clearly TCVN3, so it is TCVN3 too; the
    decision and its evidence are in the report, and nothing is flagged."""
    assert encode_tcvn3("Cao Lộc") == "Cao Léc"
    frame = parcel_frame(spot.commune, spot.x, spot.y, ChuSuDung=[
        "Cao Léc", *(encode_tcvn3(n) for n in NAMES[1:])])
    frame["DiaChi"] = frame["DiaChi"].map(encode_tcvn3)
    path = zip_shapefile(write(frame, tmp_path / "cot.shp", encoding="ISO-8859-1"),
                         drop_cpg=True)
    src = read_source(path)
    assert not src.issues
    assert src.frame["ChuSuDung"].tolist() == ["Cao Lộc", *NAMES[1:]]
    result = import_parcels(session, path)
    assert not [p for p in result.report.problems if p.code.startswith("encoding")]
    assert result.report.encoding == "TCVN3 (ABC)"
    evidence = {p.field: p.message_vi for p in result.report.problems if p.code == "code_page"}
    assert "TCVN3" in evidence["ChuSuDung"] and "'Cao Léc' → 'Cao Lộc'" in evidence["ChuSuDung"]
    assert "5/6" in evidence["ChuSuDung"]
    assert session.execute(text("SELECT count(*) FROM land_users WHERE full_name = 'Cao Lộc'"))\
        .scalar() == 1


def test_a_column_with_no_clear_code_page_is_doubted(spot: Spot, tmp_path: Path) -> None:
    """Raw DBF bytes that read equally well as TCVN3 and Latin-1 in every value: the doubt
    is reported, not settled by a guess."""
    frame = parcel_frame(spot.commune, spot.x, spot.y,
                         ChuSuDung=["UBND xã Khánh Khê"] + ["Ban Po"] * 5)  # one non-ASCII
    path = zip_shapefile(write(frame.drop(columns=["DiaChi"]), tmp_path / "ngo.shp",
                               encoding="ISO-8859-1"), drop_cpg=True)
    src = read_source(path)
    assert [(i.index, i.column, i.kind) for i in src.issues] == [(0, "ChuSuDung", "unknown")]
