"""CAD drawings (AutoCAD DXF, MicroStation DGN v7) through GDAL's own drivers.

Closed polylines, shapes and hatches become parcel polygons; open lines are what a
centreline is drawn with; text entities give each polygon its numbers: a text inside a
polygon (or the nearest one within :data:`TEXT_NEAR_M`) such as ``12``, ``12/345.6``,
``12 ONT 345,6`` or ``T7/12``, and a drawing title such as ``Tờ số 7`` the sheet for all.
Neither format carries a CRS: the caller recognises it from the coordinates and asks the
user to confirm, as for any other file without one.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.core.errors import ImportRejected
from gis.core.formats import Term
from gis.core.landuse import normalise_land_use_code
from gis.ingest.encoding import UNICODE
from gis.ingest.reader import ENCODING_VI, SourceLayer, TextIssue, _decode_texts

CAD_DRIVERS = {".dxf": "DXF", ".dgn": "DGN"}
TEXT_NEAR_M = 2.0  # a label just outside its parcel still belongs to it
DGN_TEXT_TYPE = 17
_MTEXT_CODES = re.compile(r"\\[A-Za-z][^;\\{}]*;|\\[Pp~]|[{}]")
_SHEET = re.compile(r"t[ờo]\s*(?:b[ảa]n\s*đ[ồo]\s*|ban\s*do\s*)?(?:s[ốo]\s*)?[:.\s]*(\d+)\b",
                    re.IGNORECASE)
_SHEET_PARCEL = re.compile(r"^\s*t\.?\s*(\d+)\s*[/\-]\s*(\d+)\s*$", re.IGNORECASE)
_INT = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_CODE = re.compile(r"^[A-Za-z]{3}$")


@dataclass
class CadDrawing:
    """A drawing split into polygons, open lines and texts (in the file's units)."""

    polygons: gpd.GeoDataFrame
    lines: gpd.GeoDataFrame
    texts: gpd.GeoDataFrame
    driver: str
    cad_layers: list[str] = field(default_factory=list)


def _clean_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _MTEXT_CODES.sub(" ", value).strip()
    return re.sub(r"\s+", " ", text) or None


def read_cad(path: Path, *, cad_layer: str | None = None) -> CadDrawing:
    """Read a DXF or DGN file; ``cad_layer`` keeps the lines and polygons of one CAD layer
    (DXF) or level (DGN); texts come from every layer."""
    driver = CAD_DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ImportRejected(f"not a CAD file: {path.name}",
                             message_vi="Tệp {name} không phải bản vẽ DXF/DGN.",
                             params={"name": path.name},
                             code_detail="format")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, on_invalid="ignore")
    except Exception as exc:  # GDAL reports broken drawings in many ways
        raise ImportRejected(
            f"cannot read {path.name}: {exc}",
            message_vi=("Không đọc được bản vẽ {name} (tệp hỏng hoặc không phải "
                        "{driver}): {error}. Với MicroStation"
                        " V8, hãy lưu lại dạng DGN V7 hoặc DXF."),
            params={"name": path.name, "driver": "DGN v7" if driver == "DGN" else driver,
                    "error": str(exc)},
            code_detail="unreadable") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ImportRejected("drawing has no geometry", message_vi="Bản vẽ không có đối tượng "
                             "hình học nào.", code_detail="empty")
    layer_col = "Layer" if driver == "DXF" else "Level"
    layers = (frame[layer_col].map(lambda v: None if v is None or pd.isna(v) else str(v))
              if layer_col in frame else pd.Series([None] * len(frame), index=frame.index))
    all_layers = sorted({v for v in layers if v})
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = np.array([g is not None and not shapely.is_empty(g) for g in geoms], dtype=bool)
    if cad_layer is not None and not (keep & (layers == cad_layer).to_numpy()).any():
        raise ImportRejected(
            f"no entities on CAD layer {cad_layer!r}; layers: {', '.join(all_layers)}",
            message_vi=("Bản vẽ không có đối tượng nào ở lớp '{layer}'. Các lớp có "
                        "trong bản vẽ: {layers}."),
            params={"layer": cad_layer, "layers": ", ".join(all_layers) or Term("không có")},
            code_detail="cad_layer")
    geoms = shapely.force_2d(geoms[keep])
    layers = layers[keep].reset_index(drop=True)
    texts_raw = frame["Text"][keep].reset_index(drop=True) if "Text" in frame \
        else pd.Series([None] * len(geoms))
    type_id = shapely.get_type_id(geoms)
    is_text = type_id == 0
    if driver == "DGN" and "Type" in frame:
        is_text &= (frame["Type"][keep].to_numpy() == DGN_TEXT_TYPE)
    text_values = [(_clean_text(t) if is_text[i] else None) for i, t in enumerate(texts_raw)]
    polys: list[shapely.Geometry] = []
    poly_layers: list[str | None] = []
    lines: list[shapely.Geometry] = []
    line_layers: list[str | None] = []
    for i, g in enumerate(geoms):
        if cad_layer is not None and layers[i] != cad_layer:
            continue  # texts are read from every layer: labels sit on their own layer
        if type_id[i] in (3, 6):
            for part in shapely.get_parts(g):
                polys.append(part)
                poly_layers.append(layers[i])
        elif type_id[i] in (1, 2, 5):
            for part in shapely.get_parts(g):
                coords = shapely.get_coordinates(part)
                if len(coords) >= 4 and np.allclose(coords[0], coords[-1]):
                    polys.append(shapely.Polygon(coords))  # closed polyline / shape outline
                    poly_layers.append(layers[i])
                elif len(coords) >= 2 and shapely.length(part) > 0:
                    lines.append(shapely.LineString(coords))
                    line_layers.append(layers[i])
    # A parcel is often drawn twice (closed polyline + hatch): keep one of each shape.
    seen: set[bytes] = set()
    uniq_polys, uniq_layers = [], []
    for g, lyr in zip(polys, poly_layers, strict=True):
        key = shapely.to_wkb(shapely.normalize(shapely.set_precision(g, 0.001)))
        if key not in seen:
            seen.add(key)
            uniq_polys.append(g)
            uniq_layers.append(lyr)
    texts = [(t, g) for t, g in zip(text_values, geoms, strict=True) if t]
    return CadDrawing(
        gpd.GeoDataFrame({"cad_layer": uniq_layers}, geometry=uniq_polys),
        gpd.GeoDataFrame({"cad_layer": line_layers}, geometry=lines),
        gpd.GeoDataFrame({"text": [t for t, _ in texts]}, geometry=[g for _, g in texts]),
        driver, all_layers)


@dataclass(frozen=True)
class Label:
    """What a parcel's text label(s) say."""

    sheet_no: int | None = None
    parcel_no: int | None = None
    area_m2: float | None = None
    land_use: str | None = None
    sub_number: str | None = None  # "909/1": a sub-number GPMB cannot store


def _plausible_area(value: float, drawn: float | None) -> bool:
    """A number can be the parcel's area: near its drawn area (within ×/÷ 3), or any
    number when the drawn area is not known."""
    return drawn is None or drawn <= 0 or drawn / 3 <= value <= drawn * 3


def parse_label(text: str, drawn_m2: float | None = None) -> Label:
    """Numbers of a parcel label: ``12``, ``12/345.6``, ``12 ONT 345,6``, ``T7/12``…

    In ``a/b`` the ``b`` is the area (the cadastral fraction: number over area) only when
    it can be the parcel's area; otherwise (``909/1`` on a 2,500 m² parcel) it is a
    sub-number of parcel ``a``, reported, never read as 1 m²."""
    if m := _SHEET_PARCEL.match(text):
        return Label(int(m.group(1)), int(m.group(2)))
    parcel: int | None = None
    area: float | None = None
    use: str | None = None
    sub: str | None = None
    tokens = [t for t in re.split(r"\s+|(?=/)|(?<=/)|[;|]", text.strip()) if t]
    after_slash = False
    for token in tokens:
        if token == "/":
            after_slash = True
            continue
        slashed, after_slash = after_slash, False
        if _INT.match(token) and parcel is None:
            parcel = int(token)
        elif (_DECIMAL.match(token) or _INT.match(token)) and area is None:
            value = float(token.replace(",", "."))
            if slashed and _INT.match(token) and not _plausible_area(value, drawn_m2):
                sub = token
            else:
                area = value
        elif _CODE.match(token) and use is None and normalise_land_use_code(token.upper()):
            use = token.upper()
    return Label(None, parcel, area, use, sub)


def combine_labels(texts: list[tuple[str, float]], drawn_m2: float | None) -> Label:
    """One parcel's labels drawn as separate texts (number / land use / area, as CAD
    operators write them), each with its height ``y``; a single text is parsed whole.

    A code gives the land use, a decimal the area; of the texts that are a bare integer,
    the one nearest the drawn area is the area (when another integer is there to be the
    number), and the upper remaining one — the fraction's numerator — the parcel number."""
    if len(texts) == 1:
        return parse_label(texts[0][0], drawn_m2)
    sheet = parcel = use = sub = None
    area: float | None = None
    bare: list[int] = []
    for text, _ in sorted(texts, key=lambda t: -t[1]):  # top first
        if _INT.match(text.strip()):
            bare.append(int(text.strip()))
            continue
        lab = parse_label(text, drawn_m2)
        sheet = sheet if sheet is not None else lab.sheet_no
        parcel = parcel if parcel is not None else lab.parcel_no
        area = area if area is not None else lab.area_m2
        use, sub = use or lab.land_use, sub or lab.sub_number
    if area is None and drawn_m2 and (parcel is not None or len(bare) > 1):
        like = [n for n in bare if _plausible_area(float(n), drawn_m2)]
        if like:
            pick = min(like, key=lambda n: abs(n - drawn_m2))
            area = float(pick)
            bare.remove(pick)
    if parcel is None and bare:
        parcel = bare.pop(0)
    if area is None and bare:
        area = float(bare.pop(0))
    return Label(sheet, parcel, area, use, sub)


def sheet_of(texts: gpd.GeoDataFrame) -> int | None:
    """The sheet number of the drawing's title (``Tờ số 7``, ``TO BAN DO SO 7``), if one."""
    found = {int(m.group(1)) for t in texts["text"] if (m := _SHEET.search(str(t)))}
    return found.pop() if len(found) == 1 else None


def label_polygons(drawing: CadDrawing) -> gpd.GeoDataFrame:
    """The drawing's polygons with SoTo/SoThua/DienTich/LoaiDat from the texts around them."""
    polys = drawing.polygons.reset_index(drop=True)
    n = len(polys)
    sheet = sheet_of(drawing.texts)
    out: dict[str, list[object]] = {"SoTo": [sheet] * n, "SoThua": [None] * n,
                                    "DienTich": [None] * n, "LoaiDat": [None] * n,
                                    "NhanCAD": [None] * n, "LopCAD": polys["cad_layer"].tolist(),
                                    "SoPhu": [None] * n}
    texts = drawing.texts[[not _SHEET.search(str(t)) for t in drawing.texts["text"]]]
    if n and len(texts):
        geoms = np.asarray(polys.geometry.values, dtype=object)
        tree = shapely.STRtree(geoms)
        pts = np.asarray(texts.geometry.values, dtype=object)
        inside = tree.query(pts, predicate="within")
        taken = set(inside[0].tolist())
        pairs = list(zip(inside[0].tolist(), inside[1].tolist(), strict=True))
        x0, y0, x1, y1 = polys.total_bounds
        degrees = max(abs(x0), abs(y0), abs(x1), abs(y1)) <= 180  # lon/lat drawing
        near = TEXT_NEAR_M / 111_320 if degrees else TEXT_NEAR_M
        near_idx, near_poly = tree.query_nearest(pts, max_distance=near, all_matches=False)
        pairs += [(int(t), int(p)) for t, p in zip(near_idx, near_poly, strict=True)
                  if int(t) not in taken]
        labels = texts["text"].tolist()
        heights = shapely.get_y(pts)
        owner: dict[int, int] = {}  # text -> polygon: the one holding it, else the nearest
        for t, p in pairs:
            owner.setdefault(t, p)
        by_poly: dict[int, list[tuple[str, float]]] = {}
        for t, p in sorted(owner.items()):
            by_poly.setdefault(p, []).append((str(labels[t]), float(heights[t])))
        drawn = shapely.area(geoms)
        for p, found in by_poly.items():
            lab = combine_labels(found, float(drawn[p]) if not degrees else None)
            out["NhanCAD"][p] = " | ".join(t for t, _ in found)
            out["SoThua"][p] = lab.parcel_no
            out["DienTich"][p] = lab.area_m2
            out["LoaiDat"][p] = lab.land_use
            out["SoPhu"][p] = lab.sub_number
            if lab.sheet_no is not None:
                out["SoTo"][p] = lab.sheet_no
    frame = gpd.GeoDataFrame(out, geometry=polys.geometry.values)
    return frame.drop(columns=[c for c in ("DienTich", "LoaiDat", "SoTo", "SoPhu")
                               if all(v is None for v in out[c])])


def decode_texts(drawing: CadDrawing) -> list[TextIssue]:
    """Decode legacy Vietnamese text (TCVN3/VNI fonts) in the drawing's labels, in place."""
    # drawing text is 8-bit, its meaning set by the font (GDAL hands it over as cp1252)
    _, issues = _decode_texts(drawing.texts, from_bytes=True)
    return issues


def read_cad_source(path: Path, *, cad_layer: str | None = None) -> SourceLayer:
    """A drawing as a parcel layer: its polygons with numbers read from their labels."""
    drawing = read_cad(path, cad_layer=cad_layer)
    decode_texts(drawing)
    if drawing.polygons.empty:
        raise ImportRejected(
            f"no closed polylines or shapes in {path.name}",
            message_vi=("Bản vẽ {name} không có đường bao khép kín nào (polyline đóng, "
                        "shape) để làm ranh giới thửa. Khép kín các thửa, hoặc chọn đúng lớp "
                        "bằng --layer (các lớp: {layers})."),
            params={"name": path.name,
                    "layers": ", ".join(drawing.cad_layers) or Term("không có")},
            code_detail="cad_no_polygons")
    used = drawing.polygons["cad_layer"].fillna("").value_counts()
    if cad_layer is None and len(used) > 1:  # e.g. parcels and house outlines
        listed = ", ".join(f"{name or '(không tên)'} ({n})" for name, n in used.items())
        raise ImportRejected(
            f"{path.name} has closed shapes on {len(used)} CAD layers: {listed}",
            message_vi=("Bản vẽ {name} có vùng khép kín ở {count} lớp: {listed}. "
                        "Chọn lớp chứa ranh giới thửa bằng --layer."),
            params={"name": path.name, "count": len(used), "listed": listed},
            code_detail="layer_choice", layers=[str(n) for n in used.index])
    frame = label_polygons(drawing)
    notes = [(int(i), "cad_sub_number", f"Nhãn '{frame['NhanCAD'][i]}': số phụ '/{sub}' "
              f"không phải diện tích (thửa vẽ {shapely.area(frame.geometry[i]):.1f} m²); ghi "
              f"số thửa {frame['SoThua'][i]}. GPMB lưu số thửa là số nguyên: nếu cần phân "
              "biệt thửa tách, đánh số thửa mới.")
             for i, sub in frame.get("SoPhu", pd.Series(dtype=object)).items()
             if isinstance(sub, str)]
    return SourceLayer(frame.drop(columns=["SoPhu"], errors="ignore"), None, drawing.driver,
                       ENCODING_VI[UNICODE], [], notes=notes)
