"""Check parcels before anything is written: fields, geometries, duplicates, overlaps,
province extent, land-use codes and legal areas. Each problem names the row, the parcel
and says, in Vietnamese, how to fix it."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from gis.core.crs import STORAGE_SRID, vn2000_tm3_107_15
from gis.core.landuse import normalise_land_use_code
from gis.ingest.crs_detect import candidates, crs_label, parse_crs
from gis.ingest.fields import LABELS_VI, REQUIRED, TEXT_TARGETS
from gis.ingest.reader import ENCODING_VI, SourceLayer
from gis.ingest.report import Problem, Severity, ValidationReport, problem

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
GRID_M = 0.001  # stored coordinates are snapped to 1 mm


@dataclass(frozen=True)
class Rules:
    """Tolerances of the checks."""

    repair_max_change: float = 0.001  # make_valid may change the area by < 0.1 %
    overlap_m2: float = 1.0
    area_tolerance: float = 0.05  # legal vs drawn area, relative
    area_tolerance_m2: float = 2.0  # …and never flag less than this


@dataclass(frozen=True)
class Context:
    """What the database knows: commune codes (current and former) and the province."""

    communes: Mapping[str, str]  # any known code (current or pre-2025) -> current code
    current: frozenset[str]
    province: shapely.Geometry | None
    splits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Pre-2025 codes split between several current communes -> those communes."""
    boundaries: Mapping[str, shapely.Geometry] = field(default_factory=dict)
    """Boundaries of the communes in ``splits`` (prepared), to place a parcel by location."""


def to_storage(frame: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoSeries:
    """Geometries in EPSG:9215 (no datum shift when the source is already on VN-2000)."""
    # the file's own claim (GeoJSON always says WGS 84) gives way to the CRS decided on
    geo = gpd.GeoSeries(np.asarray(frame.geometry.values, dtype=object), crs=crs,
                        index=frame.index)
    with warnings.catch_warnings():  # PROJ-string export is lossy; only the params matter
        warnings.simplefilter("ignore", UserWarning)
        params = crs.to_dict()
    same = crs.to_epsg() == STORAGE_SRID or (
        params.get("proj") == "tmerc" and abs(float(params.get("lon_0", 0)) - 107.25) < 1e-9
        and abs(float(params.get("k", 0)) - 0.9999) < 1e-9
        and float(params.get("x_0", 0)) == 500000 and float(params.get("y_0", 0)) == 0)
    if same:
        return geo.set_crs(vn2000_tm3_107_15(), allow_override=True)
    datum = crs.geodetic_crs.name if crs.geodetic_crs is not None else ""
    if "VN-2000" in datum or "VN_2000" in datum:
        return geo.to_crs(CRS.from_epsg(STORAGE_SRID)).set_crs(vn2000_tm3_107_15(),
                                                                 allow_override=True)
    return geo.to_crs(vn2000_tm3_107_15())


def _blank(value: Any) -> bool:
    """None, NaN, NA or an empty string."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or value == ""


def _ident(commune: Any, sheet: Any, parcel: Any) -> str:
    return "/".join("?" if _blank(v) else str(v) for v in (commune, sheet, parcel))


def _as_int(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    ok = num.notna() & (num > 0) & (num == np.floor(num.fillna(0)))
    return num.where(ok).astype("Int64")


@dataclass(frozen=True)
class Defaults:
    """Values given for the whole file where a row (or the file) has none."""

    commune: str | None = None
    land_use: str | None = None  # a land-use code for every parcel without one
    area_from_geometry: bool = False  # legal area = the drawn area where none is given


_GIVE = {"commune_code": " Hoặc dùng --commune MÃ_XÃ cho cả tệp.",
         "land_use_code": " Hoặc dùng --land-use MÃ (ví dụ --land-use LUC) cho cả tệp.",
         "legal_area_m2": " Hoặc dùng --area-from-geometry để lấy diện tích theo ranh giới."}


def _fields(src: pd.DataFrame, columns: Mapping[str, str], ctx: Context,
            defaults: Defaults, report: ValidationReport) -> pd.DataFrame:
    """Pick and normalise the mapped attributes; report missing and malformed values."""
    n = len(src)
    default_commune = defaults.commune
    out = pd.DataFrame(index=src.index)
    given = {"commune_code": bool(default_commune), "land_use_code": bool(defaults.land_use),
             "legal_area_m2": defaults.area_from_geometry}
    for target in REQUIRED:
        if target not in columns and not given.get(target):
            report.add(Problem("missing_field", E, f"Thiếu trường {LABELS_VI[target]}. Bổ sung "
                               f"cột này vào tệp, hoặc chỉ rõ cột bằng --map {target}=TÊN_CỘT."
                               + _GIVE.get(target, ""), field=target))
    get = {t: src[c] if c in src else pd.Series([None] * n, index=src.index)
           for t, c in columns.items()}
    if defaults.land_use:
        uses = get.get("land_use_code", pd.Series([None] * n, index=src.index))
        get["land_use_code"] = uses.map(lambda v: defaults.land_use if _blank(v) else v)
    commune = get.get("commune_code", pd.Series([default_commune] * n, index=src.index))
    commune = commune.map(lambda v: None if v is None or pd.isna(v) else
                          str(int(v)) if isinstance(v, float) else str(v).strip())
    commune = commune.map(lambda v: v.zfill(5) if v and v.isdigit() else v)
    if default_commune:
        commune = commune.fillna(default_commune)
    out["commune_code"] = commune.map(lambda v: ctx.communes.get(v, v) if v else v)
    sheet_commune = get.get("sheet_commune_code")
    former = commune.where(commune.isin(list(ctx.communes)) & ~commune.isin(ctx.current))
    if sheet_commune is not None:
        sheet_commune = sheet_commune.map(lambda v: None if v is None or pd.isna(v) else
                                          str(int(v) if isinstance(v, float) else v).zfill(5))
    else:
        sheet_commune = former
    out["sheet_commune_code"] = sheet_commune.fillna(former).fillna(out["commune_code"])
    # A split former commune keeps its sheet numbering in both new communes.
    split = commune.where(commune.isin(list(ctx.splits)))
    out["sheet_commune_code"] = out["sheet_commune_code"].where(split.isna(), split) if (
        get.get("sheet_commune_code") is None) else out["sheet_commune_code"]
    out["commune_source"] = commune
    out["sheet_no"] = _as_int(get["sheet_no"]) if "sheet_no" in get else pd.NA
    out["parcel_no"] = _as_int(get["parcel_no"]) if "parcel_no" in get else pd.NA
    legal = pd.to_numeric(get["legal_area_m2"], errors="coerce") if "legal_area_m2" in get \
        else pd.Series(np.nan, index=src.index)
    out["legal_area_m2"] = legal.where(legal > 0).round(1)
    raw_use = get["land_use_code"] if "land_use_code" in get else pd.Series(None, index=src.index)
    out["land_use_code_source"] = raw_use.map(lambda v: None if v is None or pd.isna(v)
                                              else str(v).strip().upper()[:16])
    primary = out["land_use_code_source"].map(lambda v: v.replace("+", " ").split()[0]
                                              if v else None)
    out["land_use_code"] = primary.map(lambda v: normalise_land_use_code(v) if v else None)
    for target in TEXT_TARGETS:
        out[target] = get[target].map(lambda v: None if v is None or pd.isna(v)
                                      else str(v).strip() or None) if target in get else None
    ident = pd.Series([_ident(c, s_, p) for c, s_, p in zip(
        out["commune_code"].tolist(), out["sheet_no"].tolist(), out["parcel_no"].tolist(),
        strict=True)], index=out.index)
    out["ident"] = ident
    col: dict[str, list[Any]] = {c: out[c].tolist() for c in out.columns}
    raw: dict[str, list[Any]] = {t: s.tolist() for t, s in get.items()}
    primaries: list[Any] = primary.tolist()
    idents: list[str] = ident.tolist()
    for i in range(n):
        row, who = i + 1, idents[i]
        for target in ("sheet_no", "parcel_no"):
            if target in get and pd.isna(col[target][i]):
                report.add(problem("bad_value", E, "{what} '{value}' không phải số nguyên "
                                   "dương. Sửa giá trị trong tệp.", row, who, target,
                                   what=LABELS_VI[target].capitalize(),
                                   value=str(raw[target][i])))
        code = col["commune_code"][i]
        if _blank(code):
            if "commune_code" in columns:
                report.add(Problem("missing_value", E, "Thiếu mã xã. Điền mã đơn vị hành chính "
                                   "5 chữ số, hoặc dùng --commune cho cả tệp.", row, who,
                                   "commune_code"))
        elif code not in ctx.current:
            report.add(problem("unknown_commune", E, "Mã xã '{given}' không thuộc tỉnh Lạng Sơn"
                               " (kể cả mã trước sáp nhập 2025). Kiểm tra lại mã xã.", row, who,
                               "commune_code", given=str(code)))
        if "legal_area_m2" in get and pd.isna(col["legal_area_m2"][i]) and not (
                defaults.area_from_geometry and _blank(raw["legal_area_m2"][i])):
            report.add(problem("bad_value", E, "Diện tích pháp lý '{value}' trống hoặc không "
                               "phải số dương. Điền diện tích theo hồ sơ (m²).", row, who,
                               "legal_area_m2", value=str(raw["legal_area_m2"][i])))
        source, use = col["land_use_code_source"][i], col["land_use_code"][i]
        if "land_use_code" not in get:
            continue
        if _blank(source):
            report.add(Problem("missing_value", E, "Thiếu loại đất. Điền mã loại đất (ví dụ LUC, "
                               "ONT, CLN).", row, who, "land_use_code"))
        elif _blank(use):
            report.add(problem("unknown_land_use", E, "Mã loại đất '{given}' không có trong "
                               "danh mục 2024 hoặc bảng mã cũ. Sửa thành mã đúng (ví dụ LUC, ONT, "
                               "HNK).", row, who, "land_use_code", given=str(source)))
        elif use != primaries[i]:
            report.add(problem("land_use_mapped", INFO, "Mã cũ '{old}' được chuyển thành "
                               "'{new}' theo danh mục 2024.", row, who, "land_use_code",
                               old=str(primaries[i]), new=str(use)))
    return out


def _geometries(geoms: np.ndarray, out: pd.DataFrame, rules: Rules,
                report: ValidationReport) -> np.ndarray:
    """Type and validity checks; returns MultiPolygons snapped to 1 mm (None when rejected)."""
    result = np.asarray(geoms, dtype=object).copy()
    type_id = shapely.get_type_id(geoms)
    valid = shapely.is_valid(geoms)
    idents = out["ident"].tolist()
    suspicious = np.flatnonzero(~valid | ~np.isin(type_id, (3, 6)) | shapely.is_empty(geoms))
    for i in suspicious:
        g, row, who = geoms[i], int(i) + 1, idents[i]
        result[i] = None
        if g is None or shapely.is_empty(g):
            report.add(Problem("empty_geometry", E, "Thửa không có hình học. Vẽ lại ranh giới "
                               "thửa hoặc xoá dòng này.", row, who))
            continue
        if type_id[i] not in (3, 6):
            report.add(problem("wrong_geometry_type", E, "Hình học là {kind}, cần vùng "
                               "(Polygon/MultiPolygon). Chuyển đối tượng đường/điểm thành vùng "
                               "khép kín.", row, who, geometry=g, kind=g.geom_type))
            continue
        if not valid[i]:
            fixed = shapely.make_valid(g)
            polys = shapely.get_parts(fixed)
            polys = polys[shapely.get_type_id(polys) == 3]
            fixed = shapely.multipolygons(polys) if len(polys) else None
            before = shapely.area(g)
            change = abs(shapely.area(fixed) - before) / before if fixed is not None and before \
                else 1.0
            reason = shapely.is_valid_reason(g)
            if fixed is None or change >= rules.repair_max_change:
                report.add(problem("invalid_geometry", E, "Ranh giới thửa không hợp lệ "
                                   "({reason}); tự sửa sẽ làm diện tích thay đổi {change:.2f} %. "
                                   "Vẽ lại ranh giới (hết tự cắt, khép kín) rồi nhập lại.", row,
                                   who, geometry=g, reason=reason, change=float(change * 100)))
                continue
            report.add(problem("geometry_repaired", W, "Ranh giới tự cắt/không hợp lệ "
                               "({reason}) đã được tự sửa (diện tích thay đổi {change:.3f} %). "
                               "Nên kiểm tra lại trên bản đồ.", row, who, geometry=g,
                               reason=reason, change=float(change * 100)))
            g = fixed
        result[i] = g
    keep = np.flatnonzero([g is not None for g in result])
    snapped = snap_to_grid(result[keep])
    is_poly = shapely.get_type_id(snapped) == 3
    snapped[is_poly] = shapely.multipolygons(snapped[is_poly].reshape(-1, 1))
    result[keep] = snapped
    for i in keep[~np.isin(shapely.get_type_id(snapped), (6,)) | shapely.is_empty(snapped)]:
        report.add(Problem("invalid_geometry", E, "Thửa quá nhỏ hoặc quá hẹp (mất hình khi làm "
                           "tròn toạ độ đến 1 mm). Kiểm tra lại ranh giới.", int(i) + 1,
                           idents[i], geometry=geoms[i]))
        result[i] = None
    return result


def snap_to_grid(geoms: np.ndarray) -> np.ndarray:
    """Coordinates rounded to :data:`GRID_M`, in GEOS's normal form (so the same file
    always gives byte-identical geometries). Rounding point by point is ~7× faster than
    GEOS's topology-preserving reduction; the few shapes it makes invalid (or empty) get
    that reduction instead."""
    snapped = shapely.normalize(shapely.set_precision(geoms, GRID_M, mode="pointwise"))
    bad = np.flatnonzero(~shapely.is_valid(snapped) | shapely.is_empty(snapped))
    if len(bad):
        snapped[bad] = shapely.set_precision(geoms[bad], GRID_M)
    return np.asarray(snapped, dtype=object)


def _duplicates(out: pd.DataFrame, report: ValidationReport) -> None:
    key = ["commune_code", "sheet_commune_code", "sheet_no", "parcel_no"]
    dup = out[out[key].notna().all(axis=1) & out.duplicated(key, keep=False)]
    for _, group in dup.groupby(key):
        rows = [int(i) + 1 for i in group.index]
        for r in rows:
            others = ", ".join(str(o) for o in rows if o != r)
            report.add(problem("duplicate_parcel", E, "Trùng xã/tờ/thửa với dòng {rows}. Sửa "
                               "số thửa hoặc bỏ dòng trùng.", r, out["ident"].iloc[r - 1],
                               rows=others))


def _overlaps(geoms: np.ndarray, idents: list[str], rules: Rules,
              report: ValidationReport) -> None:
    """Overlaps above the tolerance, found with an STRtree.

    Parcels are shrunk by 1 cm before the (prepared, fast) ``intersects`` query, so that
    neighbours sharing a boundary are not candidates; only real overlaps are intersected.
    """
    ok = np.flatnonzero([g is not None for g in geoms])
    if len(ok) < 2:
        return
    arr = geoms[ok]
    tree = shapely.STRtree(arr)
    pairs = tree.query(shapely.buffer(arr, -0.01, join_style="mitre"), predicate="intersects")
    pairs = pairs[:, pairs[0] != pairs[1]]
    if not pairs.size:
        return
    pairs = np.unique(np.sort(pairs, axis=0), axis=1)
    inter = shapely.intersection(arr[pairs[0]], arr[pairs[1]])
    area = shapely.area(inter)
    for k in np.flatnonzero(area > rules.overlap_m2):
        a, b = ok[pairs[0, k]], ok[pairs[1, k]]
        report.add(problem("overlap", E, "Chồng lấn {area:.1f} m² với thửa {other} (dòng "
                           "{other_row}). Chỉnh ranh giới chung của hai thửa.", int(b) + 1,
                           idents[b], geometry=inter[k], area=float(area[k]),
                           other=str(idents[a]), other_row=str(int(a) + 1)))


def _place_split_communes(out: pd.DataFrame, geoms: NDArray[np.object_], ctx: Context,
                          report: ValidationReport) -> None:
    """A pre-2025 commune split between new communes: the parcel goes to the one its
    location falls in (the nearest when the approximate boundaries leave a gap), never
    to whichever row the table lists first."""
    source = out["commune_source"].tolist()
    codes = out["commune_code"].tolist()
    for i, old in enumerate(source):
        candidates = ctx.splits.get(old) if old else None
        if not candidates or geoms[i] is None:
            continue
        point = shapely.point_on_surface(geoms[i])
        shapes = [(c, ctx.boundaries.get(c)) for c in candidates]
        inside = [c for c, b in shapes if b is not None and shapely.contains(b, point)]
        if inside:
            codes[i] = inside[0]
            continue
        near = [(shapely.distance(b, point), c) for c, b in shapes if b is not None]
        if near:
            codes[i] = min(near)[1]
            report.add(Problem("split_commune_nearest", W, f"Mã xã cũ {old} nay thuộc nhiều "
                               f"xã ({', '.join(candidates)}); thửa nằm ngoài ranh giới các xã "
                               f"này nên được xếp vào xã gần nhất {codes[i]}. Kiểm tra lại.",
                               i + 1, out["ident"].iloc[i], "commune_code", geoms[i]))
    out["commune_code"] = codes


def outside_province_problem(layer: SourceLayer, crs: CRS) -> Problem:
    """The file-level error when no parcel lies in Lạng Sơn: where the data is (in degrees),
    and, when the raw coordinates would fall in the province read in another system
    (typically VN-2000 / UTM 48N, EPSG:3405, under a TM-3 .prj), that system by name."""
    bounds = tuple(float(v) for v in layer.frame.total_bounds)
    where = ""
    try:
        geo = gpd.GeoSeries(np.asarray(layer.frame.geometry.values, dtype=object),
                            crs=crs).to_crs(4326)
        x0, y0, x1, y1 = (float(v) for v in geo.total_bounds)
        where = (f" (theo hệ toạ độ {crs_label(crs)}, dữ liệu ở kinh độ {x0:.2f}°…"
                 f"{x1:.2f}°, vĩ độ {y0:.2f}°…{y1:.2f}°)")
    except Exception:  # coordinates PROJ cannot take: described without their place
        where = ""
    likely = [c for c in candidates((bounds[0], bounds[1], bounds[2], bounds[3]))
              if c.in_province and not crs.equals(parse_crs(f"EPSG:{c.srid}"),
                                                  ignore_axis_order=True)]
    if likely:
        best = likely[0]
        hint = (f" Nếu đọc theo {best.label_vi} thì toạ độ nằm trong tỉnh: tệp .prj có thể "
                f"khai báo sai. Sửa .prj thành EPSG:{best.srid}, hoặc bỏ tệp .prj rồi nhập lại "
                f"và xác nhận hệ toạ độ EPSG:{best.srid} (lệnh gpmb: {best.flag}).")
    else:
        hint = " Kiểm tra lại toạ độ và tệp .prj (hệ toạ độ) của tệp; chỉ nhập dữ liệu trong tỉnh."
    return Problem("file_outside_province", E, "Toàn bộ dữ liệu của tệp nằm ngoài tỉnh Lạng "
                   f"Sơn{where}.{hint}")


def validate(layer: SourceLayer, columns: Mapping[str, str], crs: CRS, ctx: Context, *,
             rules: Rules | None = None, defaults: Defaults | None = None,
             source: str = "") -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Validate and normalise ``layer``; returns the rows to write and the report."""
    rules = rules or Rules()
    defaults = defaults or Defaults()
    report = ValidationReport(source=source, features=len(layer.frame), crs=crs_label(crs),
                              encoding=layer.encoding, columns=dict(columns))
    out = _fields(layer.frame, columns, ctx, defaults, report)
    for issue in layer.issues:
        mapped = issue.column in {columns.get(t) for t in TEXT_TARGETS}
        what = ("lẫn bảng mã khác với phần còn lại của tệp" if issue.kind == "mixed"
                else "không xác định được bảng mã")
        guess = ENCODING_VI.get(issue.guess, issue.guess)
        report.add(Problem(f"encoding_{issue.kind}", E if mapped else W,
                           f"Cột {issue.column} giá trị '{issue.raw}' {what} (gần nhất: {guess})."
                           " Chuyển cả tệp sang Unicode (ví dụ bằng Unikey Toolkit) rồi nhập "
                           "lại.", issue.index + 1, out["ident"].iloc[issue.index], issue.column))
    for decision in layer.encodings:
        report.add(Problem("code_page", INFO, decision.evidence_vi(),
                           field=decision.column))
    for index, code, message in layer.notes:
        report.add(Problem(code, W, message, index + 1, out["ident"].iloc[index]))
    geoms = _geometries(np.asarray(to_storage(layer.frame, crs).values, dtype=object), out,
                        rules, report)
    _place_split_communes(out, geoms, ctx, report)
    out = out.drop(columns="commune_source")
    _duplicates(out, report)
    _overlaps(geoms, out["ident"].tolist(), rules, report)
    ok = np.array([g is not None for g in geoms])
    if ctx.province is not None and ok.any():
        pts = shapely.point_on_surface(geoms[ok])
        inside = shapely.contains_xy(ctx.province, shapely.get_x(pts), shapely.get_y(pts))
        if not inside.any():
            report.add(outside_province_problem(layer, crs))
        for i in np.flatnonzero(ok)[~inside]:
            report.add(Problem("outside_province", E, "Thửa nằm ngoài địa giới tỉnh Lạng Sơn. "
                               "Kiểm tra toạ độ và hệ toạ độ của tệp.", int(i) + 1,
                               out["ident"].iloc[i], geometry=geoms[i]))
    drawn = np.array([shapely.area(g) if g is not None else np.nan for g in geoms])
    if defaults.area_from_geometry:
        blank = out["legal_area_m2"].isna().to_numpy() & ok
        out.loc[blank, "legal_area_m2"] = np.round(drawn[blank], 1)
        if blank.any():
            report.add(problem("area_from_geometry", INFO, "{n} thửa không có diện tích pháp "
                               "lý: lấy theo diện tích ranh giới (m², làm tròn 0,1) như đã "
                               "chọn.", field="legal_area_m2", n=int(blank.sum())))
    legal = out["legal_area_m2"].to_numpy(dtype=float, na_value=np.nan)
    diff = np.abs(drawn - legal)
    bad = ok & ~np.isnan(legal) & (diff > np.maximum(rules.area_tolerance * legal,
                                                     rules.area_tolerance_m2))
    for i in np.flatnonzero(bad):
        report.add(problem("area_mismatch", W, "Diện tích pháp lý {legal:.1f} m² lệch "
                           "{pct:.1f} % so với diện tích theo ranh giới {drawn:.1f} m². Kiểm "
                           "tra lại số liệu đo đạc hoặc hồ sơ.", int(i) + 1,
                           out["ident"].iloc[i], "legal_area_m2", geoms[i],
                           legal=float(legal[i]), pct=float(diff[i] / legal[i] * 100),
                           drawn=float(drawn[i])))
    out["row_no"] = np.arange(1, len(out) + 1)
    rows = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=out.index),
                            crs=vn2000_tm3_107_15())
    return rows, report
