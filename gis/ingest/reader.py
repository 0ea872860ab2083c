"""Read a surveyor's vector file (GeoPackage, Shapefile or zipped Shapefile, GeoJSON,
FlatGeobuf) with pyogrio, honouring a Shapefile's .cpg and decoding legacy Vietnamese
text (TCVN3, VNI) found in its attributes."""

from __future__ import annotations

import codecs
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from gis.core.errors import ImportRejected
from gis.core.formats import Term
from gis.ingest import guards
from gis.ingest.encoding import (
    TCVN3,
    UNICODE,
    UTF8,
    VNI,
    _decode_tcvn3,
    _decode_utf8,
    _decode_vni,
    decode_value,
    syllable_score,
)

DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON",
           ".json": "GeoJSON", ".fgb": "FlatGeobuf", ".dxf": "DXF", ".dgn": "DGN"}
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
    encodings: list[ColumnEncoding] = field(default_factory=list)  # legacy columns decided
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (index, code, message)


def _reject(detail: str, message_vi: str, code: str,
            params: Mapping[str, object] | None = None) -> ImportRejected:
    return ImportRejected(detail, message_vi=message_vi, params=params, code_detail=code)


def _extract_zip(path: Path, into: Path) -> Path:
    """Unpack safely (the limits of ``guards.inspect_zip``, no paths outside); return the one
    dataset inside."""
    infos = guards.inspect_zip(path)
    try:
        with zipfile.ZipFile(path) as zf:
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
        names = ", ".join(p.name for p in found) or Term("không có")
        raise _reject(f"zip must hold exactly one dataset, found: {names}",
                      "Tệp nén phải chứa đúng một lớp dữ liệu (.shp, .gpkg…); tìm thấy: {names}.",
                      "zip_contents", {"names": names})
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


@dataclass(frozen=True)
class ColumnEncoding:
    """The code page decided for one text column from all its values together."""

    column: str
    encoding: str
    values: int  # distinct non-ASCII values
    certain: int  # of them, readable in this code page only (or clearly best)
    ambiguous: int  # readable in several code pages: decided by the column
    mixed: int  # clearly in another code page
    example: tuple[str, str] | None = None  # an ambiguous value and what it became

    def evidence_vi(self) -> str:
        """The decision and its evidence, for the validation report."""
        text = (f"Cột {self.column}: bảng mã {ENCODING_VI.get(self.encoding, self.encoding)}"
                f", quyết định theo cả cột — {self.certain}/{self.values} giá trị chỉ đọc "
                "đúng theo bảng mã này")
        if self.ambiguous:
            text += f", {self.ambiguous} giá trị đọc được theo nhiều bảng mã"
            if self.example:
                text += f" (ví dụ '{self.example[0]}' → '{self.example[1]}')"
        if self.mixed:
            text += f", {self.mixed} giá trị thuộc bảng mã khác (xem các lỗi bảng mã)"
        return text + "."


def _as_is(raw: str) -> str:
    return raw


def _decide_column(column: str, values: list[str]) -> tuple[ColumnEncoding, dict[str, str],
                                                            list[tuple[str, str, str]]]:
    """Decide a legacy column's code page from all its distinct non-ASCII ``values``:
    the one most values are certain of (else the best Vietnamese-looking reading of them
    all). Returns the decision, the decoded text of each value, and the values whose own
    evidence is mixed (certain in another code page) or unknown (no decision at all)."""
    decoded = {v: decode_value(v, from_bytes=True) for v in values}
    votes = Counter(d.encoding for d in decoded.values() if d.certain)
    readers: dict[str, Callable[[str], str | None]] = {
        UTF8: _decode_utf8, TCVN3: _decode_tcvn3, VNI: _decode_vni, UNICODE: _as_is}
    winner: str | None = None
    if votes:
        winner = votes.most_common(1)[0][0]
    else:  # no value is sure alone: score the column's words under each code page
        scores = []
        for name, read in readers.items():
            texts = [read(v) for v in values]
            if all(t is not None for t in texts):
                scores.append((syllable_score(" ".join(t or "" for t in texts)), name))
        scores.sort(reverse=True)
        if scores and scores[0][0] >= 0.6 and (len(scores) == 1
                                               or scores[0][0] - scores[1][0] >= 0.15):
            winner = scores[0][1]
    out: dict[str, str] = {}
    problems: list[tuple[str, str, str]] = []
    certain = ambiguous = mixed = 0
    example: tuple[str, str] | None = None
    for value, d in decoded.items():
        text = readers[winner](value) if winner is not None else None
        if winner is None or text is None:
            problems.append((value, "unknown" if winner is None or not d.certain else "mixed",
                             d.encoding))
            continue
        out[value] = text
        if d.certain and d.encoding == winner:
            certain += 1
        elif d.certain and {d.encoding, winner} != {UNICODE, UTF8}:
            mixed += 1
            out[value] = d.text  # its own clear reading; reported
            problems.append((value, "mixed", d.encoding))
        else:
            ambiguous += 1
            if example is None and text != value:
                example = (value, text)
    decision = ColumnEncoding(column, winner or UNICODE, len(values), certain, ambiguous,
                              mixed, example)
    return decision, out, problems


def _decode_texts(frame: pd.DataFrame, *, from_bytes: bool,
                  decisions: list[ColumnEncoding] | None = None
                  ) -> tuple[str, list[TextIssue]]:
    """Decode legacy text in place, a code page per column decided from all its values;
    return the file's encoding and the values whose evidence is mixed or unknown.
    ``decisions``, when given, receives each legacy column's decision."""
    votes: Counter[str] = Counter()
    issues: list[TextIssue] = []
    for column in frame.columns:
        if column == "geometry" or not (frame[column].dtype == object
                                        or pd.api.types.is_string_dtype(frame[column])):
            continue
        series = frame[column]
        legacy = sorted({v for v in series if isinstance(v, str) and not v.isascii()
                         and from_bytes and all(ord(c) <= 0xFF for c in v)})
        if not legacy:
            if any(isinstance(v, str) and not v.isascii() for v in series):
                votes[UNICODE if not from_bytes else UTF8] += 1
            continue
        decision, texts, problems = _decide_column(str(column), legacy)
        votes[decision.encoding] += decision.values
        if decisions is not None:
            decisions.append(decision)
        doubtful = {value: (kind, guess) for value, kind, guess in problems}
        for index, value in series.items():
            if not isinstance(value, str) or (value not in texts and value not in doubtful):
                continue
            if value in doubtful:
                kind, guess = doubtful[value]
                issues.append(TextIssue(int(str(index)), str(column), value, kind, guess))
            if value in texts:
                frame.at[index, column] = texts[value]
    main = votes.most_common(1)[0][0] if votes else (UNICODE if not from_bytes else UTF8)
    return main, issues


def read_source(path: Path, *, layer: str | None = None) -> SourceLayer:
    """Read the file's features (geometry in the file's CRS) and decode their text."""
    if not path.is_file():
        raise _reject(f"no such file: {path}", "Không tìm thấy tệp {path}.", "file_missing",
                      {"path": str(path)})
    guards.check_file(path)
    with tempfile.TemporaryDirectory(prefix="gpmb-import-") as tmp:
        target = _extract_zip(path, Path(tmp)) if path.suffix.lower() == ".zip" else path
        driver = DRIVERS.get(target.suffix.lower())
        if driver is None:
            raise _reject(f"unsupported format: {target.suffix}",
                          "Định dạng {suffix} chưa được hỗ trợ. Dùng "
                          "GeoPackage, Shapefile (.shp hoặc .zip), GeoJSON hoặc FlatGeobuf.",
                          "format", {"suffix": target.suffix or Term("(không rõ)")})
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
                          "Không đọc được tệp {name} (tệp hỏng, rỗng hoặc sai định dạng):"
                          " {error}. Hãy xuất lại tệp từ phần mềm đo đạc.", "unreadable",
                          {"name": target.name, "error": str(exc)}) from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name != "geometry":
        raise _reject("the layer has no geometry", "Lớp dữ liệu không có hình học (ranh giới "
                      "thửa). Chọn đúng lớp bằng --layer.", "no_geometry")
    if len(frame) == 0:
        raise _reject("the layer has no features", "Tệp không có thửa đất nào.", "empty")
    frame = frame.reset_index(drop=True)
    guards.check_coordinates([float(v) for v in frame.total_bounds],
                             None if frame.crs is None else bool(frame.crs.is_geographic))
    decisions: list[ColumnEncoding] = []
    encoding, issues = _decode_texts(frame, from_bytes=raw_bytes, decisions=decisions)
    if codec not in (None, "latin-1") and not raw_bytes:
        encoding = codec
    crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
    return SourceLayer(frame, crs, driver, ENCODING_VI.get(encoding, encoding), issues,
                       decisions)
