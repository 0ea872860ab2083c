"""Defensive checks on an uploaded or given file, before and right after GDAL reads it.

GDAL opens almost anything and reports trouble in many ways, some of them late and vague
(or, for a zip bomb, not at all before the disk fills). These checks look at the bytes
first — size, magic numbers, a zip's central directory, a Shapefile's header and parts,
the layers of a dataset — and at the coordinates once read, and refuse with a specific
``code_detail`` and a Vietnamese message that says how to fix the file.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio

from gis.core.errors import ImportRejected
from gis.core.formats import Term

MAX_UNZIPPED_BYTES = 2 * 1024**3
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 2000
MAX_JSON_CHECK_BYTES = 8 * 1024**2  # parse smaller GeoJSON files fully (memory: ~10×)
UTF8_FLAG = 0x800
CHECKED_DRIVERS = ("GPKG", "ESRI Shapefile", "GeoJSON", "FlatGeobuf")
MAGIC = {
    ".gpkg": (b"SQLite format 3\x00", "GeoPackage"),
    ".fgb": (b"fgb\x03", "FlatGeobuf"),
    ".zip": (b"PK", "tệp nén .zip"),
}
SHP_MAGIC = 9994
SHP_HEADER = 100
# x (easting) / y (northing) ranges of VN-2000 metres in northern Vietnam
NORTHING = (2_000_000.0, 2_700_000.0)
EASTING = (100_000.0, 900_000.0)


class UploadTooLarge(ImportRejected):
    """The uploaded file is bigger than the configured limit."""

    code = "payload_too_large"
    message_vi = "Tệp tải lên quá lớn."


def reject(code: str, detail: str, message_vi: str, params: Mapping[str, object] | None = None,
           **extra: Any) -> ImportRejected:
    """An :class:`ImportRejected` with its specific ``code_detail``; ``message_vi`` is a
    template filled from ``params`` (``GpmbError``)."""
    return ImportRejected(detail, message_vi=message_vi, params=params, code_detail=code,
                          **extra)


def _mb(n: int) -> float:
    """Bytes as megabytes, for a "{size:.0f} MB" placeholder."""
    return n / 1024**2


# --- before reading: the file as bytes -------------------------------------------------


def check_file(path: Path) -> None:
    """Refuse an empty file, a file whose content is not what its name says, a broken
    GeoJSON, and a dangerous or odd zip — before GDAL or unzip touch it."""
    size = path.stat().st_size
    if size == 0:
        raise reject("empty_file", f"{path.name} is empty (0 bytes)",
                     "Tệp {name} rỗng (0 byte). Tệp có thể bị lỗi khi sao chép hoặc "
                     "tải lên; hãy xuất lại từ phần mềm đo đạc rồi gửi lại.", {"name": path.name})
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(64)
    if suffix in MAGIC and not head.startswith(MAGIC[suffix][0]):
        kind = Term("văn bản") if _looks_like_text(head) else Term("không rõ")
        raise reject("format_mismatch", f"{path.name} is not a {MAGIC[suffix][1]} file",
                     "Tệp {name} có đuôi {suffix} nhưng nội dung không phải "
                     "{format} (nội dung: {kind}). Có thể tệp bị đổi tên; hãy xuất "
                     "lại đúng định dạng từ phần mềm gốc.",
                     {"name": path.name, "suffix": suffix, "format": MAGIC[suffix][1],
                      "kind": kind})
    if suffix in (".geojson", ".json"):
        check_geojson(path, head, size)
    elif suffix == ".zip":
        inspect_zip(path)


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_geojson(path: Path, head: bytes, size: int) -> None:
    """A GeoJSON file must be a JSON object; small files are parsed to name the broken line."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text and not text.startswith(b"{"):
        raise reject("geojson_invalid", f"{path.name} does not start with a JSON object",
                     "Tệp {name} không phải GeoJSON (không bắt đầu bằng dấu {{). Hãy "
                     "xuất lại tệp GeoJSON từ phần mềm GIS.", {"name": path.name})
    if size > MAX_JSON_CHECK_BYTES:
        with path.open("rb") as fh:
            fh.seek(max(0, size - 64))
            tail = fh.read().rstrip(b" \t\r\n")
        if not tail.endswith(b"}"):
            raise reject("geojson_invalid", f"{path.name} does not end with a closing brace",
                         "Tệp {name} không phải JSON hợp lệ: tệp bị cắt cụt (thiếu phần "
                         "cuối). Hãy sao chép hoặc xuất lại tệp GeoJSON.", {"name": path.name})
        return
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise reject("geojson_invalid", f"{path.name} is not UTF-8: {exc}",
                     "Tệp {name} không được mã hoá UTF-8 như GeoJSON yêu cầu. Hãy xuất "
                     "lại với bảng mã UTF-8.", {"name": path.name}) from exc
    except json.JSONDecodeError as exc:
        raise reject("geojson_invalid", f"{path.name} is not valid JSON: {exc}",
                     "Tệp {name} không phải JSON hợp lệ (lỗi ở dòng {line}, cột "
                     "{column}: {error}). Tệp có thể bị cắt cụt hoặc sửa tay sai; hãy "
                     "xuất lại từ phần mềm GIS.",
                     {"name": path.name, "line": exc.lineno, "column": exc.colno,
                      "error": exc.msg}, line=exc.lineno, column=exc.colno) from exc
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise reject("geojson_invalid", f"{path.name} is JSON but not a GeoJSON feature set",
                     "Tệp {name} là JSON nhưng không phải GeoJSON (thiếu "
                     "\"type\": \"FeatureCollection\"). Hãy xuất lại đúng định dạng GeoJSON.",
                     {"name": path.name})


def _name_is_utf8(info: zipfile.ZipInfo) -> bool:
    if info.flag_bits & UTF8_FLAG or info.filename.isascii():
        return True
    try:  # some tools write UTF-8 without setting the flag: zipfile read it as cp437
        info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def inspect_zip(path: Path) -> list[zipfile.ZipInfo]:
    """Read a zip's central directory only and refuse what is unsafe to unpack: a bomb
    (declared size or ratio), sizes the archive cannot hold, paths leaving the folder,
    zips inside the zip, and names not in UTF-8."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise reject("zip_corrupt", f"bad zip {path.name}: {exc}",
                     "Tệp {name} bị hỏng hoặc không phải tệp nén hợp lệ (có thể bị cắt cụt"
                     " khi tải). Hãy nén lại và gửi lại.", {"name": path.name}) from exc
    archive = path.stat().st_size
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if len(infos) > MAX_ZIP_MEMBERS:
        raise reject("zip_too_many", f"{len(infos)} members in {path.name}",
                     "Tệp nén chứa {count} tệp, quá nhiều (tối đa {most}). Chỉ "
                     "nén bộ tệp của một lớp dữ liệu.",
                     {"count": len(infos), "most": MAX_ZIP_MEMBERS})
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0.0)
    if ratio > MAX_ZIP_RATIO:
        raise reject("zip_bomb", f"{path.name} expands to {total} bytes (ratio {ratio:.0f})",
                     "Tệp nén {name} ({size:.0f} MB) khai báo giải nén ra {unpacked:.0f} MB "
                     "(tỉ lệ nén {ratio:.0f}:1): nghi là tệp độc hại (zip bomb), không giải nén."
                     " Gửi lại bộ tệp gốc.",
                     {"name": path.name, "size": _mb(archive), "unpacked": _mb(total),
                      "ratio": ratio}, declared_bytes=total, ratio=round(ratio))
    if packed > archive:
        raise reject("zip_inconsistent", f"{path.name} declares {packed} packed bytes in an "
                     f"archive of {archive}",
                     "Tệp nén {name} khai báo kích thước không khớp thực tế ({packed:.0f} MB "
                     "trong tệp {size:.0f} MB): tệp hỏng, bị cắt cụt hoặc bị sửa. Hãy nén lại "
                     "và gửi lại.", {"name": path.name, "packed": _mb(packed),
                                     "size": _mb(archive)}, declared_bytes=total)
    if total > MAX_UNZIPPED_BYTES:
        raise reject("zip_too_large", f"{path.name} expands to {total} bytes",
                     "Tệp nén {name} giải nén ra {unpacked:.0f} MB, vượt giới hạn "
                     "{most:.0f} MB. Hãy tách thành nhiều tệp nhỏ hơn.",
                     {"name": path.name, "unpacked": _mb(total), "most": _mb(MAX_UNZIPPED_BYTES)},
                     declared_bytes=total)
    for info in infos:
        name = info.filename
        parts = Path(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise reject("zip_path", f"unsafe path in zip: {name!r}",
                         "Tệp nén chứa đường dẫn không an toàn ('{name}'), có thể ghi ra ngoài "
                         "thư mục. Hãy nén lại chỉ các tệp dữ liệu, không kèm thư mục cha.",
                         {"name": name})
        if not _name_is_utf8(info):
            raise reject("zip_name_encoding", f"zip member name not in UTF-8: {name!r}",
                         "Tên tệp trong tệp nén không ở bảng mã UTF-8 nên không đọc đúng được "
                         "(thường do tên có dấu tiếng Việt). Đổi tên tệp thành không dấu, hoặc "
                         "nén bằng 7-Zip/WinRAR với tùy chọn UTF-8, rồi gửi lại.")
        if name.lower().endswith((".zip", ".7z", ".rar", ".gz", ".tar")):
            raise reject("zip_nested", f"archive inside the zip: {name!r}",
                         "Tệp nén chứa một tệp nén khác ('{name}'). Hãy giải nén tệp bên trong "
                         "và gửi trực tiếp bộ tệp dữ liệu (.shp, .shx, .dbf, .prj).",
                         {"name": name})
    return infos


# --- before reading: the dataset GDAL will open ------------------------------------------


def check_shapefile(shp: Path) -> None:
    """A Shapefile needs its .shx and .dbf, and a .shp as long as its header says."""
    present = {p.suffix.lower() for p in shp.parent.glob(shp.stem + ".*")}
    missing = [s for s in (".shx", ".dbf") if s not in present]
    if missing:
        names = ", ".join(shp.stem + s for s in missing)
        raise reject("shp_incomplete", f"{shp.name} lacks {names}",
                     "Shapefile {name} thiếu tệp đi kèm: {names}. Một Shapefile gồm ít nhất "
                     ".shp, .shx, .dbf (nên có .prj, .cpg); hãy nén cả bộ thành một tệp .zip rồi "
                     "gửi lại.", {"name": shp.name, "names": names}, missing=missing)
    size = shp.stat().st_size
    with shp.open("rb") as fh:
        header = fh.read(SHP_HEADER)
    if len(header) < SHP_HEADER or struct.unpack(">i", header[:4])[0] != SHP_MAGIC:
        raise reject("shp_truncated" if len(header) < SHP_HEADER else "format_mismatch",
                     f"{shp.name} has no valid Shapefile header",
                     "Tệp {name} không có phần đầu Shapefile hợp lệ (tệp hỏng, bị cắt cụt "
                     "hoặc không phải Shapefile). Hãy xuất lại từ phần mềm đo đạc.",
                     {"name": shp.name})
    declared = struct.unpack(">i", header[24:28])[0] * 2
    if size < declared:
        raise reject("shp_truncated", f"{shp.name} is {size} bytes, header says {declared}",
                     "Tệp {name} bị cắt cụt: chỉ có {size} byte trong khi phần đầu tệp "
                     "ghi {declared} byte (thường do sao chép hoặc tải lên bị ngắt). Hãy sao "
                     "chép lại tệp gốc.", {"name": shp.name, "size": size, "declared": declared},
                     size=size, declared=declared)


@dataclass(frozen=True)
class LayerInfo:
    """A layer of a dataset: its name and geometry type (None for a plain table)."""

    name: str
    geometry_type: str | None


def list_layers(path: Path) -> list[LayerInfo]:
    """The layers GDAL sees in ``path``."""
    return [LayerInfo(str(n), None if t is None else str(t)) for n, t in pyogrio.list_layers(path)]


def check_dataset(target: Path, driver: str | None, layer: str | None) -> str | None:
    """Check the dataset before reading; return the layer to read.

    A Shapefile's parts and header; for several layers with geometry, the layer must be
    chosen (``layer_choice``, with the names in ``extra["layers"]``); an empty layer is
    refused here with its own code.
    """
    if driver not in CHECKED_DRIVERS:
        return layer
    if driver == "ESRI Shapefile":
        check_shapefile(target)
    try:
        layers = list_layers(target)
    except Exception as exc:  # GDAL cannot even open it: leave the message to the reader
        if driver == "GPKG":
            raise reject("unreadable", f"cannot open {target.name}: {exc}",
                         "Không mở được GeoPackage {name} (tệp hỏng hoặc bị cắt cụt). "
                         "Hãy xuất lại từ phần mềm GIS.", {"name": target.name}) from exc
        return layer
    spatial = [li.name for li in layers if li.geometry_type is not None]
    names = [li.name for li in layers]
    if layer is not None:
        if layer not in names:
            raise reject("layer_missing", f"no layer {layer!r} in {target.name}",
                         "Tệp {name} không có lớp '{layer}'. Các lớp có trong tệp: "
                         "{layers}.", {"name": target.name, "layer": layer,
                                       "layers": ", ".join(names) or Term("không có")},
                         layers=names)
        chosen = layer
    elif len(spatial) > 1:
        raise reject("layer_choice", f"{target.name} has {len(spatial)} layers with geometry",
                     "Tệp {name} có {count} lớp dữ liệu ({layers}). "
                     "Chọn lớp chứa ranh giới thửa đất (trên trang nhập hoặc bằng --layer).",
                     {"name": target.name, "count": len(spatial), "layers": ", ".join(spatial)},
                     layers=spatial)
    elif spatial:
        chosen = spatial[0]
    elif names:
        chosen = names[0]
    else:
        raise reject("unreadable", f"{target.name} has no layers GDAL can read",
                     "Không đọc được tệp {name}: không có lớp dữ liệu nào đọc được (tệp "
                     "hỏng, rỗng hoặc sai định dạng). Hãy xuất lại từ phần mềm GIS.",
                     {"name": target.name})
    try:
        count = int(pyogrio.read_info(target, layer=chosen, force_feature_count=True)["features"])
    except Exception:  # the reader reports unreadable files itself
        return chosen
    if count == 0:
        raise reject("empty_layer", f"layer {chosen!r} of {target.name} has no features",
                     "Lớp '{layer}' của tệp {name} không có đối tượng nào (lớp rỗng). "
                     "Kiểm tra lại đã xuất đúng lớp thửa đất chưa.",
                     {"layer": chosen, "name": target.name})
    return chosen


# --- after reading: the coordinates ------------------------------------------------------


def check_coordinates(bounds: Sequence[float], geographic: bool | None) -> None:
    """Coordinates given in swapped order: latitude first (x 7–24, y 100–112), or northing
    first (x ≈ 2 000 000+, y a VN-2000 easting). ``geographic`` is the file's CRS kind
    (None when it has no CRS)."""
    minx, miny, maxx, maxy = bounds
    latlon = 7 <= minx <= maxx <= 24 and 100 <= miny <= maxy <= 112
    if latlon and geographic is not False:
        raise reject("crs_swapped", f"lat/lon swapped: {list(bounds)}",
                     "Toạ độ bị đảo thứ tự: cột X đang là vĩ độ (7–24°) và cột Y là kinh độ "
                     "(100–112°). X phải là kinh độ, Y là vĩ độ. Đổi lại thứ tự toạ độ rồi nhập "
                     "lại.")
    northing_first = (NORTHING[0] <= minx <= maxx <= NORTHING[1]
                      and EASTING[0] <= miny <= maxy <= EASTING[1])
    if northing_first:  # never degrees, whatever the file claims
        raise reject("crs_swapped", f"N/E swapped: {list(bounds)}",
                     "Toạ độ bị đảo thứ tự: cột X đang là toạ độ Bắc (N ≈ 2.400.000 m) và cột Y"
                     " là toạ độ Đông (E ≈ 400.000–700.000 m). Trong VN-2000, X là Đông, Y là "
                     "Bắc; đổi lại rồi nhập lại.")
