"""``import_parcels``: read → confirm CRS → map fields → validate → write, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import to_storage as lonlat_to_storage
from gis.errors import ImportRejected
from gis.ingest.crs_detect import PROVINCE_LONLAT, require_crs
from gis.ingest.fields import resolve_columns
from gis.ingest.reader import read_source
from gis.ingest.report import ValidationReport
from gis.ingest.validate import Context, Rules, validate
from gis.ingest.writer import WriteResult, write_parcels

PROVINCE_MARGIN_M = 500.0  # commune boundaries are approximate


def _degrees(bounds: tuple[float, ...]) -> bool:
    """Coordinates that can be longitudes/latitudes. A declared geographic CRS is trusted
    for these (a world file reaching 180.00000000000006° is still degrees); numbers in
    the hundreds of thousands are metres whatever a GeoJSON claims."""
    minx, miny, maxx, maxy = bounds[:4]
    return max(abs(minx), abs(maxx)) <= 360 and max(abs(miny), abs(maxy)) <= 90.001


@dataclass
class ImportResult:
    """The validation report and, unless rejected, what the write did."""

    report: ValidationReport
    write: WriteResult | None
    dry_run: bool


def province_context(session: Session) -> Context:
    """Commune codes (current and pre-2025) and the province outline from the database."""
    rows = session.execute(text("SELECT code, former_codes FROM communes")).all()
    mapping: dict[str, str] = {}
    for code, former in rows:
        for old in former or ():
            mapping.setdefault(old, code)
    mapping.update({code: code for code, _ in rows})
    wkb = session.execute(text(
        "SELECT ST_AsBinary(ST_Buffer(ST_Union(boundary), :m)) FROM communes"
        " WHERE boundary IS NOT NULL"), {"m": PROVINCE_MARGIN_M}).scalar()
    if wkb is not None:
        province = shapely.from_wkb(bytes(wkb))
    else:
        x0, y0, x1, y1 = PROVINCE_LONLAT
        (ax, ay), (bx, by) = lonlat_to_storage(x0, y0), lonlat_to_storage(x1, y1)
        province = shapely.box(ax, ay, bx, by)
    shapely.prepare(province)
    return Context(mapping, frozenset(code for code, _ in rows), province)


def import_parcels(
    session: Session,
    path: Path,
    *,
    survey: str | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    mapping: Mapping[str, str] | None = None,
    commune: str | None = None,
    dry_run: bool = False,
    confirm_paid: bool = False,
    actor: str = "import",
    rules: Rules | None = None,
) -> ImportResult:
    """Import a parcel file into ``survey`` (default: the file name) inside ``session``'s
    transaction.

    Raises :class:`ImportRejected` — with the report in ``extra["report"]`` — when the file
    has blocking problems; nothing is written then.
    """
    src = read_source(path, layer=layer)
    bounds = tuple(float(v) for v in src.frame.total_bounds)
    file_crs = src.crs
    if file_crs is not None and file_crs.is_geographic and not _degrees(bounds):
        file_crs = None  # GeoJSON always "claims" WGS 84; projected numbers say otherwise
    crs = require_crs(file_crs, assume_crs, (bounds[0], bounds[1], bounds[2], bounds[3]))
    columns = resolve_columns(src.frame.columns, mapping)
    rows, report = validate(src, columns, crs, province_context(session), rules=rules,
                            default_commune=commune, source=path.name)
    if not report.ok:
        n = len(report.errors)
        raise ImportRejected(
            f"{n} blocking problem(s) in {path.name}",
            message_vi=f"Tệp {path.name} có {n} lỗi cần sửa; chưa có dữ liệu nào được ghi. "
                       "Xem báo cáo kiểm tra.",
            report=report,
        )
    write = write_parcels(session, rows, survey=survey or path.stem, source=path.name,
                          actor=actor, confirm_paid=confirm_paid, dry_run=dry_run)
    return ImportResult(report, write, dry_run)
