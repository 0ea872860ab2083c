"""A corpus of bad surveyors' files, each built for real (GDAL through pyogrio where a format
is needed, byte-level corruption or a hand-assembled zip where not), with the error code it
must give. Shared by the domain tests and the HTTP API tests."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon

from gis.ingest.encoding import encode_tcvn3, encode_vni
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import parcel_frame, write, zip_shapefile


@dataclass(frozen=True)
class BadFile:
    """How to build one bad file and what it must be refused with."""

    name: str
    build: Callable[[Spot, Path], Path]
    code: str  # ImportRejected.extra["code_detail"], or a blocking problem code of the report
    words: str  # part of the Vietnamese message


def raw_zip(entries: list[tuple[bytes, int, bytes, int, int, int]]) -> bytes:
    """Assemble a zip by hand: (name bytes, method, data, crc, declared packed size,
    declared size) per entry; no UTF-8 flag. Lets a test state sizes a real zip tool
    would not write."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, method, data, crc, packed, size in entries:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                              packed, size, len(name), 0) + name + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                  0x21, crc, packed, size, len(name), 0, 0, 0, 0, 0, offset)
                      + name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd),
                          start, 0))
    return out.getvalue()


def _frame(spot: Spot, n: int = 6) -> gpd.GeoDataFrame:
    return parcel_frame(spot.commune, spot.x, spot.y, n)


def _with_geoms(frame: gpd.GeoDataFrame, geoms: list[object], crs: object = 9215
                ) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms,
                            crs=None if crs is None else CRS.from_user_input(crs))


def empty_file(spot: Spot, d: Path) -> Path:
    (p := d / "rong.gpkg").write_bytes(b"")
    return p


def text_as_gpkg(spot: Spot, d: Path) -> Path:
    (p := d / "danh-sach.gpkg").write_text("Số thửa;Diện tích\n12;350,5\n", encoding="utf-8")
    return p


def html_as_geojson(spot: Spot, d: Path) -> Path:
    (p := d / "loi.geojson").write_text("<html><body>502 Bad Gateway</body></html>")
    return p


def cut_geojson(spot: Spot, d: Path) -> Path:
    src = write(_frame(spot), d / "src" / "cut.geojson")
    (p := d / "cut.geojson").write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return p


def json_not_geojson(spot: Spot, d: Path) -> Path:
    (p := d / "cauhinh.geojson").write_text(json.dumps({"SoThua": [1, 2, 3]}))
    return p


def truncated_shp(spot: Spot, d: Path) -> Path:
    shp = write(_frame(spot, 40), d / "cut" / "thua.shp")
    shp.write_bytes(shp.read_bytes()[: shp.stat().st_size // 2])
    return zip_shapefile(shp)


def shp_without_shx(spot: Spot, d: Path) -> Path:
    shp = write(_frame(spot), d / "noshx" / "thua.shp")
    shp.with_suffix(".shx").unlink()
    return shp


def zip_without_dbf(spot: Spot, d: Path) -> Path:
    shp = write(_frame(spot), d / "nodbf" / "thua.shp")
    shp.with_suffix(".dbf").unlink()
    return zip_shapefile(shp)


def empty_layer(spot: Spot, d: Path) -> Path:
    frame = _frame(spot).iloc[:0]
    return write(frame, d / "lop-rong.gpkg", geometry_type="MultiPolygon")


def two_layers(spot: Spot, d: Path) -> Path:
    p = write(_frame(spot), d / "hai-lop.gpkg", layer="thua_dat")
    return write(_frame(spot).iloc[:2], p, layer="thua_cu")


def points(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    return write(_with_geoms(frame, [Point(spot.x + 10 * i, spot.y) for i in range(6)]),
                 d / "diem.gpkg")


def lines(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    geoms = [LineString([(spot.x + 60 * i, spot.y), (spot.x + 60 * i + 50, spot.y + 50)])
             for i in range(6)]
    return write(_with_geoms(frame, geoms), d / "duong.fgb")


def no_crs_tm3(spot: Spot, d: Path) -> Path:
    return zip_shapefile(write(_frame(spot).set_crs(None, allow_override=True),
                               d / "khongprj" / "thua.shp"))


def no_crs_unknown(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    moved = frame.geometry.translate(-spot.x + 1000, -spot.y + 1000)
    return write(_with_geoms(frame, list(moved), crs=None), d / "luoi-cuc-bo.fgb")


def latlon_swapped(spot: Spot, d: Path) -> Path:
    wgs = _frame(spot).to_crs(4326)
    swapped = [shapely.transform(g, lambda xy: xy[:, ::-1]) for g in wgs.geometry]
    return write(_with_geoms(wgs, swapped, crs=4326), d / "dao-kinh-vi.geojson")


def northing_easting_swapped(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    swapped = [shapely.transform(g, lambda xy: xy[:, ::-1]) for g in frame.geometry]
    return zip_shapefile(write(_with_geoms(frame, swapped), d / "daoNE" / "thua.shp"))


def bowties(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    x, y = spot.x, spot.y
    geoms = [Polygon([(x + 60 * i, y), (x + 60 * i + 50, y + 50), (x + 60 * i + 50, y),
                      (x + 60 * i, y + 50)]) for i in range(6)]
    return write(_with_geoms(frame, geoms), d / "tu-cat.gpkg")


def zip_bomb(spot: Spot, d: Path) -> Path:
    """32 entries of 64 MiB of zeros (2 GiB unpacked) in a zip of about 2 MB."""
    block = bytes(64 * 1024**2)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(block) + packer.flush()
    crc = zlib.crc32(block)
    entries = [(f"thua{i:02d}.dbf".encode(), zipfile.ZIP_DEFLATED, packed, crc, len(packed),
                len(block)) for i in range(32)]
    (p := d / "bom.zip").write_bytes(raw_zip(entries))
    return p


def zip_claims_gigabytes(spot: Spot, d: Path) -> Path:
    """Stored entries that claim 1 GiB each while the archive holds a few bytes."""
    gib = 1024**3
    entries = [(name.encode(), zipfile.ZIP_STORED, b"x", zlib.crc32(b"x"), gib, gib)
               for name in ("thua.shp", "thua.shx", "thua.dbf")]
    (p := d / "khai-1gb.zip").write_bytes(raw_zip(entries))
    return p


def nested_zip(spot: Spot, d: Path) -> Path:
    inner = zip_shapefile(write(_frame(spot), d / "inner" / "thua.shp"))
    with zipfile.ZipFile(p := d / "long-nhau.zip", "w") as zf:
        zf.write(inner, "thua.zip")
    return p


def traversal_zip(spot: Spot, d: Path) -> Path:
    shp = write(_frame(spot), d / "trav" / "thua.shp")
    with zipfile.ZipFile(p := d / "duong-dan.zip", "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, "../../" + part.name)
    return p


def non_utf8_names(spot: Spot, d: Path) -> Path:
    shp = write(_frame(spot), d / "tenlo" / "thua.shp")
    name = encode_tcvn3("Bản đồ").encode("latin-1")  # TCVN3 bytes, no UTF-8 flag
    entries = []
    for part in sorted(shp.parent.iterdir()):
        data = part.read_bytes()
        entries.append((name + part.suffix.encode(), zipfile.ZIP_STORED, data, zlib.crc32(data),
                        len(data), len(data)))
    (p := d / "ten-khong-utf8.zip").write_bytes(raw_zip(entries))
    return p


def cut_zip(spot: Spot, d: Path) -> Path:
    z = zip_shapefile(write(_frame(spot, 30), d / "cz" / "thua.shp"))
    (p := d / "cut.zip").write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    return p


def two_datasets_zip(spot: Spot, d: Path) -> Path:
    a = write(_frame(spot), d / "two" / "a.gpkg")
    b = write(_frame(spot), d / "two" / "b.geojson")
    with zipfile.ZipFile(p := d / "hai-tep.zip", "w") as zf:
        zf.write(a, a.name)
        zf.write(b, b.name)
    return p


def garbage_fgb(spot: Spot, d: Path) -> Path:
    (p := d / "hong.fgb").write_bytes(b"fgb\x03fgb\x00" + bytes(range(256)) * 8)
    return p


def unsupported(spot: Spot, d: Path) -> Path:
    (p := d / "ban-ve.dwg").write_bytes(b"AC1032" + bytes(200))
    return p


def null_geometries(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    doc = json.loads(frame.to_json())
    for feature in doc["features"][1:3]:
        feature["geometry"] = None
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9215"}}
    (p := d / "thieu-hinh.geojson").write_text(json.dumps(doc, ensure_ascii=False))
    return p


def mixed_encodings(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    frame["ChuSuDung"] = [encode_tcvn3("Nguyễn Văn An"), encode_tcvn3("Hoàng Thị Lan"),
                          encode_tcvn3("Lường Văn Đức"), encode_vni("Trần Đức Thắng"),
                          encode_tcvn3("Vi Thị Hường"), encode_tcvn3("Lộc Văn Việt")]
    frame["DiaChi"] = frame["DiaChi"].map(encode_tcvn3)
    return zip_shapefile(write(frame, d / "tron" / "thua.shp", encoding="ISO-8859-1"),
                         drop_cpg=True)


def outside_province(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    return write(_with_geoms(frame, list(frame.geometry.translate(0, -300_000))),
                 d / "ngoai-tinh.gpkg")


def duplicate_keys(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    frame["SoThua"] = [1, 2, 3, 3, 5, 5]
    return write(frame, d / "trung.gpkg")


def missing_parcel_number(spot: Spot, d: Path) -> Path:
    return write(_frame(spot).drop(columns="SoThua"), d / "thieu-cot.gpkg")


def bad_values(spot: Spot, d: Path) -> Path:
    frame = _frame(spot)
    frame["SoThua"] = pd.Series(["1", "2", "ba", "4", "5", "-6"])
    return write(frame, d / "sai-so.gpkg")


CORPUS = [
    BadFile("empty file", empty_file, "empty_file", "rỗng"),
    BadFile(".txt renamed .gpkg", text_as_gpkg, "format_mismatch", "không phải GeoPackage"),
    BadFile("GeoJSON that is HTML", html_as_geojson, "geojson_invalid", "không phải GeoJSON"),
    BadFile("GeoJSON cut in half", cut_geojson, "geojson_invalid", "không phải JSON hợp lệ"),
    BadFile("JSON but not GeoJSON", json_not_geojson, "geojson_invalid", "FeatureCollection"),
    BadFile("truncated .shp", truncated_shp, "shp_truncated", "bị cắt cụt"),
    BadFile(".shp without .shx", shp_without_shx, "shp_incomplete", "thua.shx"),
    BadFile("zip without .dbf", zip_without_dbf, "shp_incomplete", "thua.dbf"),
    BadFile("empty layer", empty_layer, "empty_layer", "lớp rỗng"),
    BadFile("two layers", two_layers, "layer_choice", "Chọn lớp"),
    BadFile("points", points, "wrong_geometry_type", "Point"),
    BadFile("lines", lines, "wrong_geometry_type", "LineString"),
    BadFile("no CRS, TM-3 numbers", no_crs_tm3, "crs_missing", "EPSG:9215"),
    BadFile("no CRS, local grid", no_crs_unknown, "crs_unknown", "không khớp"),
    BadFile("lat/lon swapped", latlon_swapped, "crs_swapped", "vĩ độ"),
    BadFile("northing/easting swapped", northing_easting_swapped, "crs_swapped", "toạ độ Bắc"),
    BadFile("self-intersecting polygons", bowties, "invalid_geometry", "tự sửa"),
    BadFile("zip bomb", zip_bomb, "zip_bomb", "zip bomb"),
    BadFile("zip claiming 1 GB entries", zip_claims_gigabytes, "zip_inconsistent",
            "không khớp"),
    BadFile("nested zip", nested_zip, "zip_nested", "tệp nén khác"),
    BadFile("path traversal in zip", traversal_zip, "zip_path", "không an toàn"),
    BadFile("non-UTF-8 names in zip", non_utf8_names, "zip_name_encoding", "UTF-8"),
    BadFile("truncated zip", cut_zip, "zip_corrupt", "bị hỏng"),
    BadFile("two datasets in a zip", two_datasets_zip, "zip_contents", "đúng một lớp"),
    BadFile("FlatGeobuf of garbage", garbage_fgb, "unreadable", "Không đọc được"),
    BadFile("DWG", unsupported, "format", "chưa được hỗ trợ"),
    BadFile("GeoJSON with null geometries", null_geometries, "empty_geometry",
            "không có hình học"),
    BadFile("mixed encodings in a DBF", mixed_encodings, "encoding_mixed", "lẫn bảng mã"),
    BadFile("parcels outside the province", outside_province, "outside_province",
            "ngoài địa giới"),
    BadFile("duplicate parcel keys", duplicate_keys, "duplicate_parcel", "Trùng xã/tờ/thửa"),
    BadFile("no parcel-number column", missing_parcel_number, "missing_field", "số thửa"),
    BadFile("parcel numbers not numbers", bad_values, "bad_value", "không phải số nguyên"),
]
