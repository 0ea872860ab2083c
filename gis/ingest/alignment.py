"""``import_alignment``: a project's centreline (with its right-of-way width) or footprint
polygons from a surveyor's or designer's file, stored in ``alignments``, then the project's
overlay re-run so its clearance cases follow the new alignment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import LineString, MultiPolygon
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.crs import STORAGE_SRID
from gis.core.errors import ImportRejected, InvalidInput
from gis.core.formats import Term
from gis.core.lookups import project_by_code
from gis.ingest.batches import Counts, file_digest, record_batch, record_changes
from gis.ingest.cad import CAD_DRIVERS, decode_texts, read_cad
from gis.ingest.crs_detect import crs_label, require_crs
from gis.ingest.fields import _key
from gis.ingest.overlay import MIN_CASE_AREA_M2, OverlayResult, overlay_project
from gis.ingest.parcels import province_context
from gis.ingest.reader import read_source
from gis.ingest.report import Problem, Severity, ValidationReport
from gis.ingest.validate import to_storage
from gis.ingest.writer import import_savepoint

GRID_M = 0.001
MAX_WIDTH_M = 2000.0
REPAIR_MAX_CHANGE = 0.001
WIDTH_FIELDS = ("row_width_m", "width", "BeRong", "BeRongHLT", "ChieuRong", "LoGioi", "RongHLT")
LEFT_FIELDS = ("width_left", "left_m", "BeRongTrai", "RongTrai", "LoGioiTrai", "BR_Trai")
RIGHT_FIELDS = ("width_right", "right_m", "BeRongPhai", "RongPhai", "LoGioiPhai", "BR_Phai")
CODE_FIELDS = ("code", "MaTuyen", "Tuyen", "alignment")
NAME_FIELDS = ("name", "TenTuyen")
START_FIELDS = ("start_chainage_m", "LyTrinhDau", "KmDau")
_CHAINAGE = re.compile(r"^\s*km\s*(\d+)\s*\+\s*(\d+(?:[.,]\d+)?)\s*$", re.IGNORECASE)


def parse_chainage(value: str | float) -> float:
    """``Km12+350`` or ``12350`` (metres) as metres."""
    if isinstance(value, int | float):
        return float(value)
    if m := _CHAINAGE.match(value):
        return int(m.group(1)) * 1000 + float(m.group(2).replace(",", "."))
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"bad chainage {value!r}", message_vi=(
            "Lý trình '{value}' không đúng; viết dạng Km12+350 hoặc số mét (12350)."),
            params={"value": str(value)}) from None


@dataclass(frozen=True)
class AlignmentChange:
    """What happened to one alignment (tuyến) of the project."""

    code: str
    action: str  # created | updated | unchanged
    length_m: float | None
    row_width_m: float | None
    footprint_ha: float
    alignment_id: int


@dataclass
class AlignmentImportResult:
    """The validation report, the alignments written and the overlay re-run."""

    project_code: str
    report: ValidationReport
    alignments: list[AlignmentChange] = field(default_factory=list)
    overlay: OverlayResult | None = None
    batch_id: int | None = None
    dry_run: bool = False


@dataclass
class _Piece:
    """One feature of the file, in EPSG:9215."""

    row: int
    geom: Any  # a shapely geometry or None
    code: str | None
    name: str | None
    start: float | None
    left: float | None
    right: float | None


def _column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    by_key = {_key(str(c)): str(c) for c in frame.columns if c != "geometry"}
    return next((by_key[_key(n)] for n in names if _key(n) in by_key), None)


def _value(frame: pd.DataFrame, column: str | None, i: int) -> Any:
    if column is None:
        return None
    v = frame[column].iloc[i]
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "" else v


def _number(v: Any) -> float | None:
    if v is None:
        return None
    try:
        return float(str(v).replace(",", "."))
    except ValueError:
        return None


def _read(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, CRS | None]:
    """Lines and polygons of the file (a CAD drawing's or any GDAL vector file's)."""
    if path.suffix.lower() in CAD_DRIVERS:
        drawing = read_cad(path, cad_layer=layer)
        decode_texts(drawing)
        both = pd.concat([drawing.lines, drawing.polygons], ignore_index=True)
        used = both["cad_layer"].fillna("").value_counts()
        if layer is None and len(used) > 1:  # parcels or roads drawn beside the alignment
            listed = ", ".join(f"{name or '(không tên)'} ({n})" for name, n in used.items())
            raise ImportRejected(
                f"{path.name} has lines/polygons on {len(used)} CAD layers: {listed}",
                message_vi=("Bản vẽ {name} có đường/vùng ở {count} lớp: {listed}. "
                            "Chọn lớp chứa tim tuyến hoặc phạm vi thu hồi bằng --layer."),
                params={"name": path.name, "count": len(used), "listed": listed},
                code_detail="layer_choice", layers=[str(n) for n in used.index])
        frame = gpd.GeoDataFrame(both[["cad_layer"]], geometry=list(both.geometry.values))
        if frame.empty:
            raise ImportRejected(
                f"no lines or polygons in {path.name}",
                message_vi=("Bản vẽ {name} không có đường tim tuyến hay vùng phạm vi nào"
                            " (các lớp: {layers}). Chọn đúng lớp bằng --layer."),
                params={"name": path.name,
                        "layers": ", ".join(drawing.cad_layers) or Term("không có")},
                code_detail="empty")
        return frame, None
    src = read_source(path, layer=layer)
    return src.frame, src.crs


def _pieces(frame: gpd.GeoDataFrame, crs: CRS) -> list[_Piece]:
    geoms = np.asarray(to_storage(frame, crs).values, dtype=object)
    cols = {k: _column(frame, names) for k, names in (
        ("code", CODE_FIELDS), ("name", NAME_FIELDS), ("start", START_FIELDS),
        ("width", WIDTH_FIELDS), ("left", LEFT_FIELDS), ("right", RIGHT_FIELDS))}
    out = []
    for i, g in enumerate(geoms):
        width = _number(_value(frame, cols["width"], i))
        left = _number(_value(frame, cols["left"], i))
        right = _number(_value(frame, cols["right"], i))
        if width is not None:
            left = width / 2 if left is None else left
            right = width / 2 if right is None else right
        start = _value(frame, cols["start"], i)
        code = _value(frame, cols["code"], i)
        name = _value(frame, cols["name"], i)
        out.append(_Piece(i + 1, g, None if code is None else str(code).strip().upper()[:32],
                          None if name is None else str(name),
                          None if start is None else parse_chainage(str(start)), left, right))
    return out


def corridor(line: shapely.Geometry, left_m: float, right_m: float) -> shapely.Geometry:
    """Right-of-way around a centreline: flat caps, ``left_m``/``right_m`` either side (the
    line is stretched 1 cm at each end so the footprint robustly contains it)."""
    xy = shapely.get_coordinates(line)
    head = xy[0] + 0.01 * (xy[0] - xy[1]) / np.linalg.norm(xy[0] - xy[1])
    tail = xy[-1] + 0.01 * (xy[-1] - xy[-2]) / np.linalg.norm(xy[-1] - xy[-2])
    stretched = LineString(np.vstack([head, xy, tail]))
    poly: shapely.Geometry
    if abs(left_m - right_m) < 1e-9:
        poly = shapely.buffer(stretched, left_m, cap_style="flat", quad_segs=8)
    else:
        sides = [shapely.buffer(stretched, d, single_sided=True, quad_segs=8)
                 for d in (left_m, -right_m) if d != 0]
        poly = shapely.union_all(sides)
    return poly


def _multi(geom: shapely.Geometry) -> MultiPolygon | None:
    fixed = shapely.make_valid(shapely.set_precision(geom, GRID_M))
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon" and p.area > 0]
    return MultiPolygon(parts) if parts else None


@dataclass
class _Planned:
    code: str
    name: str | None  # None: keep the stored name (or "Tuyến <code>" when new)
    centreline: LineString | None
    start: float | None
    width: float | None
    footprint: MultiPolygon


def _sides(lines: list[_Piece], width: float | None, code: str, report: ValidationReport
           ) -> list[tuple[shapely.Geometry, float, float]] | None:
    """Each centreline part with its left and right width (None after reporting a problem)."""
    sides = []
    for p in lines:
        left = p.left if width is None or p.left is not None else width / 2
        right = p.right if width is None or p.right is not None else width / 2
        if left is None or right is None:
            report.add(Problem("missing_width", Severity.ERROR,
                               f"Tuyến {code} chỉ có tim tuyến, thiếu bề rộng phạm vi thu hồi. "
                               "Chạy lại với --width (m), thêm cột BeRong (hoặc BeRongTrai/"
                               "BeRongPhai), hoặc nhập vùng phạm vi (polygon).", p.row, code))
            return None
        if not (left >= 0 and right >= 0 and 0 < left + right <= MAX_WIDTH_M):
            report.add(Problem("bad_width", Severity.ERROR,
                               f"Bề rộng trái {left} m, phải {right} m không hợp lệ (tổng phải "
                               f"> 0 và ≤ {MAX_WIDTH_M:.0f} m). Sửa bề rộng.", p.row, code))
            return None
        sides += [(part, left, right) for part in shapely.get_parts(p.geom)]
    return sides


def _plan(pieces: list[_Piece], *, code: str, name: str | None, width: float | None,
          start: float | None, report: ValidationReport) -> list[_Planned]:
    """Group the features by alignment code, merge lines, build or take the footprint."""
    groups: dict[str, list[_Piece]] = {}
    for p in pieces:
        groups.setdefault(p.code or code, []).append(p)
    planned = []
    for group_code, group in groups.items():
        lines = [p for p in group if p.geom is not None and p.geom.geom_type in
                 ("LineString", "MultiLineString")]
        polys = [p for p in group if p.geom is not None and p.geom.geom_type in
                 ("Polygon", "MultiPolygon")]
        for p in group:
            if p not in lines and p not in polys:
                kind = "trống" if p.geom is None else p.geom.geom_type
                report.add(Problem("wrong_geometry_type", Severity.ERROR,
                                   f"Đối tượng là {kind}; tuyến cần đường tim (LineString) hoặc "
                                   "vùng phạm vi thu hồi (Polygon). Xoá đối tượng này.", p.row,
                                   group_code))
        centreline: LineString | None = None
        if lines:
            merged = shapely.line_merge(shapely.union_all([p.geom for p in lines]))
            if merged.geom_type == "LineString" and merged.length > 0:
                centreline = LineString(np.round(shapely.get_coordinates(merged), 3))
            else:
                ends = [shapely.get_coordinates(g)[[0, -1]] for g in shapely.get_parts(merged)]
                gaps = ", ".join(f"({e[1][0]:.1f}, {e[1][1]:.1f})" for e in ends[:-1])
                report.add(Problem("centreline_broken", Severity.ERROR,
                                   f"Tim tuyến {group_code} bị đứt thành {len(ends)} đoạn (hở "
                                   f"gần {gaps}). Nối liền tim tuyến thành một đường, hoặc "
                                   "ghi mã tuyến (MaTuyen) khác nhau cho từng tuyến; với bản"
                                   " vẽ CAD, chọn đúng lớp tim tuyến bằng --layer.",
                                   lines[0].row, group_code))
                continue
        if polys:
            parts = []
            for p in polys:
                fixed = _multi(p.geom)
                change = 1.0 if fixed is None else abs(fixed.area - p.geom.area) / p.geom.area
                if fixed is None or change >= REPAIR_MAX_CHANGE:
                    report.add(Problem("invalid_geometry", Severity.ERROR,
                                       f"Vùng phạm vi thu hồi không hợp lệ "
                                       f"({shapely.is_valid_reason(p.geom)}). Vẽ lại vùng khép "
                                       "kín, không tự cắt.", p.row, group_code, geometry=p.geom))
                    continue
                parts.append(fixed)
            if not parts:
                continue
            footprint = _multi(shapely.union_all(parts))
            widths = [w for w in (width,) if w is not None]
        else:
            if centreline is None:
                continue
            sides = _sides(lines, width, group_code, report)
            if sides is None:
                continue
            footprint = _multi(shapely.union_all([corridor(g, a, b) for g, a, b in sides]))
            widths = [a + b for _, a, b in sides]
        if footprint is None:
            report.add(Problem("empty_geometry", Severity.ERROR, f"Phạm vi thu hồi của tuyến "
                               f"{group_code} rỗng. Kiểm tra lại tệp.", group[0].row, group_code))
            continue
        starts = {p.start for p in group if p.start is not None}
        first = group[0]
        planned.append(_Planned(group_code, name or first.name,
                                centreline, start if start is not None else
                                (min(starts) if starts else None),
                                max(widths) if widths else None, footprint))
    return planned


def _province_check(session: Session, planned: list[_Planned],
                    report: ValidationReport) -> None:
    province = province_context(session).province
    if province is None:
        return
    for a in planned:
        if not shapely.intersects(province, a.footprint):
            report.add(Problem("outside_province", Severity.ERROR,
                               f"Phạm vi tuyến {a.code} nằm ngoài tỉnh Lạng Sơn. Kiểm tra hệ toạ "
                               "độ của tệp (--crs).", None, a.code, geometry=a.footprint))


def _write(session: Session, project_id: int, a: _Planned) -> AlignmentChange:
    ewkt_fp = f"SRID={STORAGE_SRID};{a.footprint.wkt}"
    ewkt_line = None if a.centreline is None else f"SRID={STORAGE_SRID};{a.centreline.wkt}"
    row = session.execute(text("""
        SELECT id, start_chainage_m, row_width_m, name,
               footprint = CAST(:fp AS geometry) OR ST_Equals(footprint, CAST(:fp AS geometry)),
               centreline IS NOT DISTINCT FROM CAST(:line AS geometry)
                   OR ST_Equals(centreline, CAST(:line AS geometry))
        FROM alignments WHERE project_id = :p AND code = :c"""),
        {"p": project_id, "c": a.code, "fp": ewkt_fp, "line": ewkt_line}).first()
    width = None if a.width is None else Decimal(f"{a.width:.2f}")
    length = None if a.centreline is None else a.centreline.length
    area = a.footprint.area / 10_000
    if row is None:
        new_id = session.execute(text(
            "INSERT INTO alignments (project_id, code, name, centreline, start_chainage_m,"
            " row_width_m, footprint) VALUES (:p, :c, :n, CAST(:line AS geometry), :s, :w,"
            " CAST(:fp AS geometry)) RETURNING id"),
            {"p": project_id, "c": a.code, "n": a.name or f"Tuyến {a.code}", "line": ewkt_line,
             "s": a.start or 0, "w": width, "fp": ewkt_fp}).scalar_one()
        return AlignmentChange(a.code, "created", length, a.width, area, int(new_id))
    aid, old_start, old_width, old_name, same_fp, same_line = row
    start = Decimal(f"{a.start:.2f}") if a.start is not None else old_start
    new_name = a.name or old_name
    if same_fp and same_line and start == old_start and width == old_width \
            and new_name == old_name:
        return AlignmentChange(a.code, "unchanged", length, a.width, area, int(aid))
    session.execute(text(
        "UPDATE alignments SET name = :n, centreline = CAST(:line AS geometry),"
        " start_chainage_m = :s, row_width_m = :w, footprint = CAST(:fp AS geometry)"
        " WHERE id = :i"),
        {"i": aid, "n": new_name, "line": ewkt_line, "s": start, "w": width, "fp": ewkt_fp})
    return AlignmentChange(a.code, "updated", length, a.width, area, int(aid))


def import_alignment(
    session: Session,
    path: Path,
    *,
    project: str,
    code: str | None = None,
    name: str | None = None,
    width_m: float | None = None,
    start_chainage: str | float | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    min_area_m2: float = MIN_CASE_AREA_M2,
    overlay: bool = True,
    confirm_paid: bool = False,
    dry_run: bool = False,
    actor: str = "import",
) -> AlignmentImportResult:
    """Import a project's alignment(s) from ``path`` inside ``session``'s transaction.

    Lines are the centreline, buffered with flat caps by ``width_m`` or per-feature widths
    (BeRong, or BeRongTrai/BeRongPhai for each side); polygons are taken as the footprint.
    Features are grouped by their MaTuyen/code attribute (else ``code``, else the project's
    only alignment, else ``T1``). Then the overlay is re-run. Raises
    :class:`ImportRejected` with the report when the file has blocking problems.
    """
    if width_m is not None and not 0 < width_m <= MAX_WIDTH_M:
        raise InvalidInput(f"width {width_m} out of range", message_vi=(
            "Bề rộng {width} m không hợp lệ (phải > 0 và ≤ {most:.0f} m)."),
            params={"width": width_m, "most": MAX_WIDTH_M})
    pid = project_by_code(session, project,
                          hint_vi="Tạo dự án trước rồi nhập tuyến.").id
    start = None if start_chainage is None else parse_chainage(start_chainage)
    if code is None:
        existing = session.execute(text("SELECT code FROM alignments WHERE project_id = :p"),
                                   {"p": pid}).scalars().all()
        code = existing[0] if len(existing) == 1 else "T1"
    frame, file_crs = _read(path, layer)
    bounds = tuple(float(v) for v in frame.total_bounds)
    if file_crs is not None and file_crs.is_geographic and max(map(abs, bounds)) > 180:
        file_crs = None  # GeoJSON always "claims" WGS 84; projected numbers say otherwise
    crs = require_crs(file_crs, assume_crs, (bounds[0], bounds[1], bounds[2], bounds[3]))
    report = ValidationReport(source=path.name, features=len(frame), crs=crs_label(crs))
    planned = _plan(_pieces(frame, crs), code=code.upper(), name=name, width=width_m,
                    start=start, report=report)
    _province_check(session, planned, report)
    if not report.ok:
        n = len(report.errors)
        raise ImportRejected(f"{n} blocking problem(s) in {path.name}", message_vi=(
            "Tệp {name} có {n} lỗi cần sửa; chưa có dữ liệu nào được ghi. Xem báo cáo "
            "kiểm tra."), params={"name": path.name, "n": n}, report=report)
    result = AlignmentImportResult(project, report, dry_run=dry_run)
    with import_savepoint(session, dry_run=dry_run):
        session.execute(text("SELECT set_config('gpmb.actor', :a, true)"), {"a": actor})
        result.alignments = [_write(session, int(pid), a) for a in planned]
        if overlay:
            result.overlay = overlay_project(session, project, min_area_m2, actor=actor,
                                             confirm_paid=confirm_paid)
        if not dry_run:
            counts = Counts(created=sum(a.action == "created" for a in result.alignments),
                            updated=sum(a.action == "updated" for a in result.alignments),
                            unchanged=sum(a.action == "unchanged" for a in result.alignments))
            ov = result.overlay
            note = None if ov is None else (
                f"chồng xếp: {ov.created} hồ sơ mới, {ov.updated} cập nhật, {ov.removed} bỏ,"
                f" {len(ov.kept)} giữ lại cần xem xét, {len(ov.paid_changed)} đã chi trả")
            result.batch_id = record_batch(session, "alignment", file_digest(path), actor=actor,
                                           counts=counts, crs=crs_label(crs), project_id=int(pid),
                                           note=note)
            record_changes(session, result.batch_id, "alignment",
                           [(a.alignment_id, "I" if a.action == "created" else "U")
                            for a in result.alignments if a.action != "unchanged"])
            if ov is not None:
                record_changes(session, result.batch_id, "clearance_case", ov.case_changes)
    return result
