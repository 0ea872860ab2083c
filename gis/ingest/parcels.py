"""``import_parcels``: read → confirm CRS → map fields → validate → write, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.crs import to_storage as lonlat_to_storage
from gis.core.errors import ImportRejected, InvalidInput
from gis.core.landuse import normalise_land_use_code
from gis.ingest.crs_detect import PROVINCE_LONLAT, require_crs
from gis.ingest.fields import resolve_columns
from gis.ingest.locks import guard_import
from gis.ingest.reader import read_source
from gis.ingest.report import Problem, Severity, ValidationReport
from gis.ingest.validate import Context, Defaults, Rules, validate
from gis.ingest.writer import WriteResult, write_parcels

PROVINCE_MARGIN_M = 500.0  # commune boundaries are approximate
INFO, W = Severity.INFO, Severity.WARNING


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
    survey: str = ""


def province_context(session: Session) -> Context:
    """Commune codes (current and pre-2025) and the province outline from the database."""
    rows = session.execute(text("SELECT code, former_codes FROM communes")).all()
    mapping: dict[str, str] = {}
    heirs: dict[str, list[str]] = {}
    for code, former in rows:
        for old in former or ():
            mapping.setdefault(old, code)
            heirs.setdefault(old, []).append(code)
    mapping.update({code: code for code, _ in rows})
    # An old commune split between new ones is placed by the parcel's location.
    splits = {old: tuple(sorted(new)) for old, new in heirs.items() if len(new) > 1}
    wanted = sorted({c for new in splits.values() for c in new})
    boundaries: dict[str, shapely.Geometry] = {}
    for code, wkb_ in session.execute(text(
            "SELECT code, ST_AsBinary(boundary) FROM communes WHERE code = ANY(:c)"
            " AND boundary IS NOT NULL"), {"c": wanted}):
        shape = shapely.from_wkb(bytes(wkb_))
        shapely.prepare(shape)
        boundaries[code] = shape
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
    return Context(mapping, frozenset(code for code, _ in rows), province, splits, boundaries)


SURVEY_COLUMN = "DotDo"
"""The survey column of GPMB's own exports: an exported file names its survey."""


def survey_in_file(frame: pd.DataFrame) -> str | None:
    """The one survey name a file's ``DotDo`` column carries, if it carries exactly one."""
    column = next((c for c in frame.columns if str(c).casefold() == SURVEY_COLUMN.casefold()),
                  None)
    if column is None:
        return None
    names = {str(v).strip() for v in frame[column].dropna() if str(v).strip()}
    return names.pop()[:200] if len(names) == 1 else None


def _report_write(report: ValidationReport, write: WriteResult) -> None:
    """What the write found beyond validation: parcels already recorded under another
    survey, new versions of re-surveyed parcels, land users named in the file."""
    if write.matched:
        surveys = ", ".join(sorted({m.survey for m in write.matched}))
        report.add(Problem("matched_other_survey", INFO, f"{len(write.matched)} thửa đã có "
                           f"trong CSDL (cùng xã, tờ, số thửa và ranh giới) thuộc đợt đo đạc "
                           f"{surveys}: nhận là cùng thửa, không tạo bản sao; thuộc tính khác "
                           "thì cập nhật vào thửa đó."))
    for v in write.new_versions:
        report.add(Problem("new_version", W, f"Thửa {v.parcel} đã có trong đợt đo đạc "
                           f"'{v.survey}' với ranh giới khác: ghi thành phiên bản mới (đợt này);"
                           " hồ sơ GPMB dùng phiên bản mới nhất. Nếu đây là cùng một lần đo, "
                           f"hãy nhập vào đợt '{v.survey}' (--survey).", v.row, v.parcel))
    h = write.holders
    if h.rows:
        report.add(Problem("land_users", INFO, f"{h.rows} thửa có tên chủ sử dụng: "
                           f"{h.users_created} chủ sử dụng mới, {h.holdings_created} liên kết "
                           f"thửa–chủ mới, {h.holdings_updated} đổi tỷ lệ; còn lại đã có.",
                           field="land_user_name"))


def import_parcels(
    session: Session,
    path: Path,
    *,
    survey: str | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    mapping: Mapping[str, str] | None = None,
    commune: str | None = None,
    land_use: str | None = None,
    area_from_geometry: bool = False,
    dry_run: bool = False,
    confirm_paid: bool = False,
    actor: str = "import",
    rules: Rules | None = None,
    before_write: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import a parcel file into ``survey`` (default: the file's own ``DotDo`` survey
    column when it names one survey, else the file name) inside ``session``'s transaction.

    A row whose parcel (commune + sheet + number, same boundary) is already recorded under
    another survey is that parcel: updated if it differs, never copied. ``before_write``
    is called with the survey name once the file is read and valid, just before writing
    (the upload's confirm takes the import lock and re-checks its dry run there, so the
    lock is not held while the file is read).
    Raises :class:`ImportRejected` — with the report in ``extra["report"]`` — when the file
    has blocking problems; nothing is written then.
    """
    guard_import(session)
    src = read_source(path, layer=layer)
    bounds = tuple(float(v) for v in src.frame.total_bounds)
    file_crs = src.crs
    if file_crs is not None and file_crs.is_geographic and not _degrees(bounds):
        file_crs = None  # GeoJSON always "claims" WGS 84; projected numbers say otherwise
    crs = require_crs(file_crs, assume_crs, (bounds[0], bounds[1], bounds[2], bounds[3]))
    columns = resolve_columns(src.frame.columns, mapping)
    defaults = Defaults(commune, normalise_given_land_use(land_use), area_from_geometry)
    rows, report = validate(src, columns, crs, province_context(session), rules=rules,
                            defaults=defaults, source=path.name)
    if not report.ok:
        n = len(report.errors)
        raise ImportRejected(
            f"{n} blocking problem(s) in {path.name}",
            message_vi="Tệp {name} có {n} lỗi cần sửa; chưa có dữ liệu nào được ghi. "
                       "Xem báo cáo kiểm tra.", params={"name": path.name, "n": n},
            report=report,
        )
    name = survey or survey_in_file(src.frame) or path.stem
    if before_write is not None:
        before_write(name)
    write = write_parcels(session, rows, survey=name, source=path.name,
                          actor=actor, confirm_paid=confirm_paid, dry_run=dry_run)
    _report_write(report, write)
    return ImportResult(report, write, dry_run, name)


def normalise_given_land_use(code: str | None) -> str | None:
    """A land-use code given for the whole file, checked against the 2024 list (and the
    pre-2024 codes it maps)."""
    if code is None or not code.strip():
        return None
    value = code.strip().upper()
    if normalise_land_use_code(value) is None:
        raise InvalidInput(f"unknown land-use code {code!r}",
                           message_vi="Mã loại đất '{code}' không có trong danh mục 2024 "
                           "hoặc bảng mã cũ. Ví dụ: LUC, ONT, CLN, HNK.", params={"code": code})
    return value
