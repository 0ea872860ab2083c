"""``export``: a filtered set of parcels or clearance cases to a file, streamed in chunks.

Memory: rows come from a server-side cursor ``CHUNK`` at a time and each chunk is written
(appended) before the next is read, so a chunk is all that is held — except KML, which
GDAL writes in one piece and which is therefore capped at ``MAX_KML_FEATURES``. Each
format has its cap (``FORMATS``), checked with one count before anything is written.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE, Scope
from gis.core.crs import STORAGE_SRID, WGS84_SRID, transformer
from gis.export.columns import Column, Kind, columns_for
from gis.export.errors import ExportTooLarge
from gis.export.formats import CRS_LABELS_VI, FORMATS, Format, parse_crs, parse_format
from gis.export.query import (
    KIND_VI,
    ExportFilters,
    ExportKind,
    Selection,
    count,
    deadlines,
    resolve,
    stream,
)
from gis.export.writers import (
    write_geojson,
    write_kml,
    write_shapefile_zip,
    write_vector,
    write_xlsx,
)
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.overdue import CaseDeadline

CHUNK = 5_000
LAYERS = {"parcels": "thua_dat", "cases": "ho_so_gpmb"}
TITLES_VI = {"parcels": "Thửa đất", "cases": "Hồ sơ GPMB"}


@dataclass(frozen=True)
class ExportRequest:
    """What to export, as a person asked for it (checked by :func:`export`)."""

    kind: ExportKind
    format: str
    crs: str = "EPSG:9215"
    filters: ExportFilters = field(default_factory=ExportFilters)
    personal_data: bool = False
    scope: Scope = PROVINCE  # the requester's (``gis.access.scope``); the CLI exports everything


@dataclass(frozen=True)
class ExportResult:
    """The written file and what is in it."""

    path: Path
    filename: str  # the name to offer (Vietnamese, UTF-8)
    ascii_filename: str  # the same without diacritics, for old clients
    media_type: str
    format: Format
    srid: int
    features: int
    personal_data: bool
    selection: Selection


def ascii_fallback(name: str) -> str:
    """'Thửa đất CT-HNCL.gpkg' -> 'Thua dat CT-HNCL.gpkg' (đ/Đ included)."""
    name = name.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch if ch.isalnum() or ch in " ._-" else "_" for ch in plain)


def _filename(kind: ExportKind, sel: Selection, fmt: Format, srid: int, today: dt.date) -> str:
    scope = sel.project_code or "toan-tinh"
    crs = "" if fmt in (Format.KML, Format.XLSX) and srid != STORAGE_SRID else f" EPSG{srid}"
    return f"{TITLES_VI[kind]} {scope} {today.isoformat()}{crs}{FORMATS[fmt].extension}"


def _frame(rows: list[dict[str, Any]], columns: Sequence[Column], srid: int,
           due: dict[int, CaseDeadline]) -> gpd.GeoDataFrame:
    """A chunk of rows as a typed GeoDataFrame in the export CRS."""
    data: dict[str, Any] = {}
    for c in columns:
        if c.sql is None:
            found = [due.get(int(r["IdHoSo"])) for r in rows]
            if c.name == "HanTiep":
                values: Any = [None if d is None else DEADLINE_LABELS_VI[d.what] for d in found]
            elif c.name == "HanChot":
                values = [None if d is None else d.due_date for d in found]
            else:
                values = np.array([d is not None and d.is_overdue for d in found], dtype=bool)
        else:
            values = [r[c.name] for r in rows]
        if c.kind in (Kind.INT, Kind.VND):
            data[c.name] = np.asarray(values, dtype=np.int64)
        elif c.kind is Kind.AREA:
            data[c.name] = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        elif c.kind is Kind.BOOL:
            data[c.name] = np.asarray(values, dtype=bool)
        else:
            data[c.name] = pd.Series(values, dtype=object)
    geoms = shapely.from_wkb([bytes(r["wkb"]) for r in rows]) if rows else np.array([], object)
    if srid != STORAGE_SRID:
        geoms = shapely.transform(geoms, to_wgs84_exact)
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(geoms),
                            crs=CRS.from_epsg(srid))


def to_wgs84_exact(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """EPSG:9215 -> WGS84 lon/lat that the import's transformation maps back onto ``xy``.

    PROJ's 2-D datum shift (EPSG:6960 Helmert, heights dropped) is not exactly invertible:
    forward then back drifts ~0.7 mm, enough to move a coordinate to the next 1 mm grid
    point the import snaps to. Two fixed-point corrections make the round trip exact to
    ~1e-8 m; the WGS84 position differs from the plain transform by < 1 mm.
    """
    forward, back = transformer(STORAGE_SRID, WGS84_SRID), transformer(WGS84_SRID, STORAGE_SRID)
    if not len(xy):
        return xy
    source = np.array(xy, dtype=float)
    for _ in range(3):
        lon, lat = forward.transform(source[:, 0], source[:, 1])
        bx, by = back.transform(lon, lat)
        source[:, 0] += xy[:, 0] - bx
        source[:, 1] += xy[:, 1] - by
    lon, lat = forward.transform(source[:, 0], source[:, 1])
    return np.column_stack([lon, lat])


def _kml_name(kind: ExportKind) -> Callable[[dict[str, Any]], str]:
    def name(row: dict[str, Any]) -> str:
        place = f"thửa {row['SoThua']} tờ {row['SoTo']}, {row['TenXa']}"
        if kind == "parcels":
            return f"{place[0].upper()}{place[1:]} ({row['MaLD2024']})"
        return f"{row['MaDuAn']}: {place} — {row['TenBuoc']}"
    return name


def export(session: Session, request: ExportRequest, workdir: Path, *,
           today: dt.date, max_features: int | None = None, chunk: int = CHUNK
           ) -> ExportResult:
    """Write the selection to a new file in ``workdir`` (which the caller owns and removes).

    Raises the specific ``gis.export.errors`` for a bad format, CRS or filter, and
    :class:`ExportTooLarge` above the format's limit (or ``max_features`` when lower);
    nothing is written then. ``chunk``: rows read and written at a time.
    """
    fmt = parse_format(request.format)
    srid = 4326 if fmt is Format.KML else parse_crs(request.crs)  # KML: WGS84 by definition
    info = FORMATS[fmt]
    kind = request.kind
    sel = resolve(session, request.filters, request.scope)
    due = deadlines(session, sel, today, limit=10 * info.max_features) \
        if kind == "cases" or sel.overdue is not None else {}
    late = sorted(case_id for case_id, d in due.items() if d.is_overdue)
    n = count(session, kind, sel, late)
    limit = min(info.max_features, max_features or info.max_features)
    if n > limit:
        raise ExportTooLarge(
            f"{n} {kind} match; {fmt.value} takes at most {limit}",
            message_vi=f"Có {n:,} {KIND_VI[kind]} khớp bộ lọc; định dạng {info.label_vi} nhận "
                       f"tối đa {limit:,}. Hãy lọc theo dự án/xã/bước"
                       + (" hoặc chọn GeoPackage." if fmt is Format.KML else "."),
            features=n, limit=limit)
    columns = columns_for(kind, personal=request.personal_data)

    def frames() -> Iterator[gpd.GeoDataFrame]:
        empty = True
        for rows in stream(session, kind, sel, late, columns, chunk=chunk):
            empty = False
            yield _frame(rows, columns, srid, due)
        if empty:  # the file still gets its layer and fields
            yield _frame([], columns, srid, due)

    name = _filename(kind, sel, fmt, srid, today)
    path = workdir / f"{LAYERS[kind]}{info.extension}"
    layer = LAYERS[kind]
    if fmt is Format.SHP:
        write_shapefile_zip(frames(), path, layer=layer, columns=columns)
    elif fmt is Format.KML:
        write_kml(frames(), path, layer=layer, columns=columns, name_of=_kml_name(kind))
    elif fmt is Format.XLSX:
        notes = [("Dữ liệu", TITLES_VI[kind]), ("Bộ lọc", sel.describe_vi()),
                 ("Số dòng", str(n)), ("Hệ toạ độ của cột toạ độ", CRS_LABELS_VI[srid]),
                 ("Ngày xuất", today.strftime("%d/%m/%Y")),
                 ("Thông tin cá nhân (CCCD, điện thoại)",
                  "có" if request.personal_data else "không (ẩn theo quyền)"),
                 ("Ghi chú", "Ranh giới đầy đủ: xuất GeoPackage/Shapefile. Cột toạ độ là một "
                  "điểm nằm trong thửa/phần thu hồi.")]
        write_xlsx(frames(), path, columns=columns, srid=srid, title=TITLES_VI[kind],
                   notes=notes)
    elif fmt is Format.GEOJSON:
        write_geojson(frames(), path, layer=layer, columns=columns)
    else:
        assert info.driver is not None
        write_vector(frames(), path, driver=info.driver, layer=layer, columns=columns)
    return ExportResult(path, name, ascii_fallback(name), info.media_type, fmt, srid, n,
                        request.personal_data, sel)
