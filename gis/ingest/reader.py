"""Read a surveyor's vector file (GeoPackage, Shapefile or zipped Shapefile, GeoJSON,
FlatGeobuf) with pyogrio, honouring a Shapefile's .cpg and decoding legacy Vietnamese
text (TCVN3, VNI) found in its attributes."""

from __future__ import annotations

import codecs
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from gis.errors import ImportRejected
from gis.ingest import guards
from gis.ingest.encoding import TCVN3, UNICODE, UTF8, VNI, decode_value

DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON",
           ".json": "GeoJSON", ".fgb": "FlatGeobuf", ".dxf": "DXF", ".dgn": "DGN"}
MAX_ZIP_BYTES = 2 * 1024**3
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 2000
ENCODING_VI = {UNICODE: "Unicode", UTF8: "UTF-8", TCVN3: "TCVN3 (ABC)", VNI: "VNI-Windows",
               "cp1258": "Windows-1258"}


@dataclass(frozen=True)
class TextIssue:
    """A text value whose encoding could not be decided (or differs from the file's)."""

    index: int
    column: str
    raw: str
    kind: str  # "unknown" | "mixed"
    guess: str


@dataclass
class SourceLayer:
    """What was read: the attribute table and geometries as in the file, and its CRS."""

    frame: gpd.GeoDataFrame
    crs: CRS | None
    driver: str
    encoding: str
    issues: list[TextIssue] = field(default_factory=list)


def _reject(detail: str, message_vi: str, code: str) -> ImportRejected:
    return ImportRejected(detail, message_vi=message_vi, code_detail=code)


def _extract_zip(path: Path, into: Path) -> Path:
    """Unpack safely (no paths outside, no zip bomb); return the one dataset inside."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_ZIP_MEMBERS or total > MAX_ZIP_BYTES or any(
                i.compress_size and i.file_size / i.compress_size > MAX_ZIP_RATIO for i in infos
            ):
                raise _reject(f"zip too large when unpacked ({total} bytes)",
                              "Tệp nén quá lớn khi giải nén (nghi là tệp độc hại). "
                              "Gửi lại tệp gốc chưa nén hoặc tách nhỏ.", "zip_bomb")
            for info in infos:
                target = (into / info.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise _reject(f"unsafe path in zip: {info.filename}",
                                  "Tệp nén chứa đường dẫn không an toàn; hãy nén lại.", "zip_path")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise _reject(f"bad zip: {exc}", "Tệp .zip bị hỏng hoặc không phải tệp nén; "
                      "hãy nén lại và gửi lại.", "zip_corrupt") from exc
    found = [p for p in into.rglob("*") if p.suffix.lower() in DRIVERS and p.is_file()
             and "__MACOSX" not in p.parts and not p.name.startswith("._")]  # macOS zip extras
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "không có"
        raise _reject(f"zip must hold exactly one dataset, found: {names}",
                      f"Tệp nén phải chứa đúng một lớp dữ liệu (.shp, .gpkg…); tìm thấy: {names}.",
                      "zip_contents")
    return found[0]


def _cpg_codec(shp: Path) -> str | None:
    """The Python codec named by the Shapefile's .cpg, if any."""
    cpg = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".cpg"), None)
    if cpg is None:
        return None
    name = cpg.read_text(encoding="ascii", errors="ignore").strip().upper().replace(" ", "")
    aliases = {"65001": "utf-8", "UTF8": "utf-8", "1258": "cp1258", "1252": "latin-1",
               "ANSI1252": "latin-1", "88591": "latin-1", "ISO88591": "latin-1",
               "LATIN1": "latin-1", "CP1252": "latin-1", "WINDOWS-1252": "latin-1"}
    if name in aliases:
        return aliases[name]
    try:
        found = codecs.lookup(name).name
    except LookupError:
        return None
    return "latin-1" if found in ("iso8859-1", "cp1252", "latin-1") else found


def _decode_texts(frame: pd.DataFrame, *, from_bytes: bool) -> tuple[str, list[TextIssue]]:
    """Decode legacy text in place; return the file's encoding and the undecidable values."""
    votes: Counter[str] = Counter()
    found: dict[tuple[int, str], tuple[str, str, bool]] = {}
    for column in frame.columns:
        if column == "geometry" or not (frame[column].dtype == object
                                        or pd.api.types.is_string_dtype(frame[column])):
            continue
        cache: dict[str, tuple[str, str, bool]] = {}
        values = frame[column]
        for index, value in values.items():
            if not isinstance(value, str) or value.isascii():
                continue
            if value not in cache:
                d = decode_value(value, from_bytes=from_bytes)
                cache[value] = (d.text, d.encoding, d.certain)
            text, enc, certain = cache[value]
            found[(int(str(index)), column)] = (value, enc, certain)
            if certain:
                votes[enc] += 1
                frame.at[index, column] = text
    main = votes.most_common(1)[0][0] if votes else (UNICODE if not from_bytes else UTF8)
    issues: list[TextIssue] = []
    for (index, column), (raw, enc, certain) in found.items():
        if not certain:
            issues.append(TextIssue(index, column, raw, "unknown", enc))
        elif enc != main and {enc, main} != {UNICODE, UTF8}:
            issues.append(TextIssue(index, column, raw, "mixed", enc))
    return main, issues


def read_source(path: Path, *, layer: str | None = None) -> SourceLayer:
    """Read the file's features (geometry in the file's CRS) and decode their text."""
    if not path.is_file():
        raise _reject(f"no such file: {path}", f"Không tìm thấy tệp {path}.", "file_missing")
    guards.check_file(path)
    with tempfile.TemporaryDirectory(prefix="gpmb-import-") as tmp:
        target = _extract_zip(path, Path(tmp)) if path.suffix.lower() == ".zip" else path
        driver = DRIVERS.get(target.suffix.lower())
        if driver is None:
            raise _reject(f"unsupported format: {target.suffix}",
                          f"Định dạng {target.suffix or '(không rõ)'} chưa được hỗ trợ. Dùng "
                          "GeoPackage, Shapefile (.shp hoặc .zip), GeoJSON hoặc FlatGeobuf.",
                          "format")
        if driver in ("DXF", "DGN"):  # CAD: polygons numbered by their text labels
            from gis.ingest.cad import read_cad_source

            return read_cad_source(target, cad_layer=layer)
        layer = guards.check_dataset(target, driver, layer)
        codec = _cpg_codec(target) if driver == "ESRI Shapefile" else None
        raw_bytes = driver == "ESRI Shapefile" and codec in (None, "latin-1")
        try:
            frame = pyogrio.read_dataframe(target, layer=layer,
                                           encoding="ISO-8859-1" if raw_bytes else codec,
                                           on_invalid="fix")
        except ImportRejected:
            raise
        except Exception as exc:  # GDAL reports truncated/odd files in many ways
            raise _reject(f"cannot read {target.name}: {exc}",
                          f"Không đọc được tệp {target.name} (tệp hỏng, rỗng hoặc sai định dạng):"
                          f" {exc}. Hãy xuất lại tệp từ phần mềm đo đạc.", "unreadable") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name != "geometry":
        raise _reject("the layer has no geometry", "Lớp dữ liệu không có hình học (ranh giới "
                      "thửa). Chọn đúng lớp bằng --layer.", "no_geometry")
    if len(frame) == 0:
        raise _reject("the layer has no features", "Tệp không có thửa đất nào.", "empty")
    frame = frame.reset_index(drop=True)
    guards.check_coordinates([float(v) for v in frame.total_bounds],
                             None if frame.crs is None else bool(frame.crs.is_geographic))
    encoding, issues = _decode_texts(frame, from_bytes=raw_bytes)
    if codec not in (None, "latin-1") and not raw_bytes:
        encoding = codec
    crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
    return SourceLayer(frame, crs, driver, ENCODING_VI.get(encoding, encoding), issues)
