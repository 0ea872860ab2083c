"""``gpmb import …``: parcels, alignments and household lists from surveyors' files, and the
project overlay. Each applied import is recorded as an import batch."""

from __future__ import annotations

import getpass
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.core.settings import get_settings
from gis.db.engine import open_database, session_factory
from gis.ingest import OverlayResult, ValidationReport, import_parcels, overlay_project
from gis.ingest.alignment import import_alignment
from gis.ingest.batches import Kind, file_digest, previous_imports, record_parcel_import
from gis.ingest.fields import parse_mapping
from gis.ingest.households import import_households, parse_household_mapping
from gis.ingest.overlay import MIN_CASE_AREA_M2
from gis.ingest.report import SEVERITY_VI

console = Console()
import_app = typer.Typer(help="Nhập dữ liệu đo đạc và chồng xếp phạm vi thu hồi.",
                         no_args_is_help=True)
SHOW_PER_CODE = 20


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_problems(report: ValidationReport) -> None:
    if not report.problems:
        console.print("[green]Không phát hiện vấn đề nào.[/]")
        return
    table = Table("Dòng", "Thửa", "Mức độ", "Mã", "Nội dung và cách sửa", show_lines=False)
    shown: Counter[str] = Counter()
    for p in sorted(report.problems, key=lambda p: (p.severity != "error", p.row or 0)):
        shown[p.code] += 1
        if shown[p.code] <= SHOW_PER_CODE:
            table.add_row(str(p.row or ""), p.parcel, SEVERITY_VI[p.severity], p.code,
                          p.message_vi)
    console.print(table)
    hidden = {c: n - SHOW_PER_CODE for c, n in shown.items() if n > SHOW_PER_CODE}
    for code, n in hidden.items():
        console.print(f"… và {n} vấn đề '{code}' khác (xem báo cáo --report).")


def _rejected(exc: ImportRejected, report: Path | None) -> None:
    rejected = exc.extra.get("report")
    if isinstance(rejected, ValidationReport):
        _print_problems(rejected)
        _save_report(rejected, report)


def _save_report(report: ValidationReport, path: Path | None) -> None:
    if path is None:
        return
    report.to_excel(path)
    geojson = report.to_geojson(path.with_suffix(".geojson"))
    console.print(f"Báo cáo kiểm tra: [bold]{path}[/] và [bold]{geojson}[/]")


def _seen_before(session: Session, file: Path, kind: Kind) -> None:
    """Say when the same file contents were imported before (a re-import changes nothing)."""
    if not file.is_file():
        return
    for b in previous_imports(session, file_digest(file), kind):
        console.print(f"[cyan]Tệp này (cùng nội dung) đã được nhập: lô #{b.batch_id} "
                      f"({b.file_name}) lúc {b.imported_at:%d/%m/%Y %H:%M} bởi {b.actor}.[/]")


def _print_overlay(r: OverlayResult) -> None:
    console.print(f"Dự án {r.project_code}: {r.created} hồ sơ mới, {r.updated} cập nhật diện "
                  f"tích, {r.unchanged} không đổi, {r.removed} bỏ (không còn trong phạm vi).")
    for c in r.kept:
        console.print(f"[yellow]Hồ sơ {c.case_id} (thửa {c.parcel}) không còn trong phạm vi "
                      "nhưng đã có lịch sử: giữ lại, cần người xem xét.[/]")
    for c in r.paid_changed:
        console.print(f"[yellow]Hồ sơ {c.case_id} (thửa {c.parcel}) đã chi trả: diện tích thu "
                      f"hồi {c.old_area_m2:.1f} → {c.new_area_m2:.1f} m² — "
                      + ("đã cập nhật theo xác nhận.[/]" if r.paid_confirmed else
                         "CHƯA cập nhật; kiểm tra rồi chạy lại với --confirm-paid.[/]"))


@import_app.command("parcels")
def import_parcels_cmd(
    file: Annotated[Path, typer.Argument(help="GeoPackage, Shapefile (.shp/.zip), GeoJSON, FGB")],
    survey: Annotated[str | None, typer.Option(help="Tên đợt đo đạc (mặc định: tên tệp)")] = None,
    crs: Annotated[str | None, typer.Option(
        "--crs", help="Xác nhận hệ toạ độ khi tệp không khai báo, ví dụ EPSG:9215")] = None,
    layer: Annotated[str | None, typer.Option(help="Tên lớp (GeoPackage nhiều lớp)")] = None,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="Ánh xạ trường=cột, ví dụ --map parcel_no=SO_THUA_MOI")] = None,
    commune: Annotated[str | None, typer.Option(help="Mã xã cho cả tệp khi thiếu cột MaXa")]
    = None,
    land_use: Annotated[str | None, typer.Option(
        "--land-use", help="Loại đất cho các thửa không có (ví dụ LUC), cả bản vẽ")] = None,
    area_from_geometry: Annotated[bool, typer.Option(
        "--area-from-geometry", help="Thửa không có diện tích pháp lý: lấy theo ranh giới")]
    = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    confirm_paid: Annotated[bool, typer.Option(
        "--confirm-paid", help="Xác nhận thay đổi thửa đã có chi trả")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Ghi báo cáo kiểm tra ra tệp .xlsx (kèm .geojson)")] = None,
) -> None:
    """Nhập thửa đất: kiểm tra toàn bộ trước, rồi ghi tất cả hoặc không ghi gì."""
    mapping = parse_mapping(map_ or [])
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        _seen_before(session, file, "parcels")
        try:
            result = import_parcels(session, file, survey=survey, assume_crs=crs, layer=layer,
                                    mapping=mapping, commune=commune, land_use=land_use,
                                    area_from_geometry=area_from_geometry, dry_run=dry_run,
                                    confirm_paid=confirm_paid, actor=_actor())
        except ImportRejected as exc:
            _rejected(exc, report)
            raise
        batch = record_parcel_import(session, file, result, actor=_actor(),
                                     confirm_paid=confirm_paid)
    rep, write = result.report, result.write
    _print_problems(rep)
    _save_report(rep, report)
    assert write is not None
    verb = "Sẽ" if dry_run else "Đã"
    console.print(
        f"{verb} nhập {rep.features} thửa từ {file.name} vào đợt đo đạc "
        f"'{result.survey}' ({rep.crs}, bảng mã {rep.encoding}): "
        f"{write.inserted} thêm mới, {write.updated} cập nhật, {write.unchanged} không đổi."
        + (" (chạy thử: chưa ghi gì)" if dry_run else ""))
    if write.matched:
        console.print(f"{len(write.matched)} thửa đã có trong đợt đo đạc khác (cùng xã/tờ/thửa"
                      ", cùng ranh giới): nhận là cùng thửa, không tạo bản sao.")
    if write.new_versions:
        console.print(f"[yellow]{len(write.new_versions)} thửa là phiên bản mới (ranh giới "
                      "khác) của thửa đã có trong đợt đo đạc khác; xem báo cáo.[/]")
    owners = write.holders
    if owners.rows:
        console.print(f"Chủ sử dụng: {owners.rows} thửa có tên; {owners.users_created} người "
                      f"mới, {owners.holdings_created} liên kết thửa–chủ mới, "
                      f"{owners.holdings_updated} đổi tỷ lệ.")
    if batch is not None:
        console.print(f"Ghi nhận lô nhập #{batch}.")
    if write.not_in_file:
        console.print(f"{write.not_in_file} thửa của đợt đo đạc này không có trong tệp "
                      "(giữ nguyên).")
    if write.outside_footprints:
        console.print(f"{write.outside_footprints} thửa trong tệp nằm ngoài phạm vi thu hồi của "
                      "mọi dự án: không có hồ sơ GPMB nên không hiện trên bản đồ dự án; tìm "
                      "theo tờ/thửa để xem vị trí.")
    if write.held:
        console.print(f"[yellow]{len(write.held)} thửa đã có chi trả bồi thường thay đổi "
                      "nhưng CHƯA được cập nhật; kiểm tra rồi chạy lại với --confirm-paid:[/]")
        for h in write.held:
            console.print(f"  dòng {h.row}: thửa {h.parcel} — diện tích pháp lý "
                          f"{h.old_legal_area_m2:.1f} → {h.new_legal_area_m2:.1f} m²"
                          + (", ranh giới thay đổi" if h.geometry_changed else ""))


@import_app.command("overlay")
def overlay_cmd(
    project: Annotated[str, typer.Argument(help="Mã dự án, ví dụ CT-HNCL")],
    min_area: Annotated[float, typer.Option(
        help="Bỏ qua phần giao nhỏ hơn (m²)")] = MIN_CASE_AREA_M2,
    confirm_paid: Annotated[bool, typer.Option(
        "--confirm-paid", help="Xác nhận thay đổi hồ sơ đã có chi trả")] = False,
) -> None:
    """Chồng xếp phạm vi thu hồi của dự án với thửa đất: tạo/cập nhật hồ sơ GPMB."""
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        r = overlay_project(session, project, min_area, actor=_actor(),
                            confirm_paid=confirm_paid)
    _print_overlay(r)


@import_app.command("alignment")
def import_alignment_cmd(
    file: Annotated[Path, typer.Argument(help="Tim tuyến (đường) hoặc phạm vi (vùng): DXF, "
                                              "DGN, GeoPackage, Shapefile, GeoJSON, FGB")],
    project: Annotated[str, typer.Option(help="Mã dự án, ví dụ CT-HNCL")],
    width: Annotated[float | None, typer.Option(
        help="Bề rộng phạm vi thu hồi (m), chia đều hai bên tim tuyến")] = None,
    code: Annotated[str | None, typer.Option(help="Mã tuyến (mặc định: cột MaTuyen, hoặc "
                                                  "tuyến duy nhất của dự án, hoặc T1)")] = None,
    name: Annotated[str | None, typer.Option(help="Tên tuyến")] = None,
    start_chainage: Annotated[str | None, typer.Option(
        help="Lý trình đầu tuyến, ví dụ Km12+350")] = None,
    crs: Annotated[str | None, typer.Option(
        "--crs", help="Xác nhận hệ toạ độ khi tệp không khai báo, ví dụ EPSG:9215")] = None,
    layer: Annotated[str | None, typer.Option(
        help="Lớp (GeoPackage) hoặc lớp CAD/level (DXF/DGN) chứa tuyến")] = None,
    min_area: Annotated[float, typer.Option(
        help="Bỏ qua phần giao nhỏ hơn (m²)")] = MIN_CASE_AREA_M2,
    no_overlay: Annotated[bool, typer.Option(
        "--no-overlay", help="Không chồng xếp lại ngay")] = False,
    confirm_paid: Annotated[bool, typer.Option(
        "--confirm-paid", help="Xác nhận thay đổi hồ sơ đã có chi trả")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Ghi báo cáo kiểm tra ra tệp .xlsx (kèm .geojson)")] = None,
) -> None:
    """Nhập tim tuyến + bề rộng, hoặc vùng phạm vi thu hồi, rồi chồng xếp lại hồ sơ GPMB."""
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        _seen_before(session, file, "alignment")
        try:
            r = import_alignment(session, file, project=project, code=code, name=name,
                                 width_m=width, start_chainage=start_chainage, assume_crs=crs,
                                 layer=layer, min_area_m2=min_area, overlay=not no_overlay,
                                 confirm_paid=confirm_paid, dry_run=dry_run, actor=_actor())
        except ImportRejected as exc:
            _rejected(exc, report)
            raise
    _save_report(r.report, report)
    verb = "Sẽ" if dry_run else "Đã"
    labels = {"created": "thêm mới", "updated": "cập nhật", "unchanged": "không đổi"}
    for a in r.alignments:
        length = f"dài {a.length_m:,.1f} m, " if a.length_m is not None else ""
        console.print(f"{verb} nhập tuyến {a.code} ({r.report.crs}): {labels[a.action]}; "
                      f"{length}phạm vi {a.footprint_ha:,.2f} ha.")
    if r.overlay is not None:
        _print_overlay(r.overlay)
    if r.batch_id is not None:
        console.print(f"Ghi nhận lô nhập #{r.batch_id}.")
    if dry_run:
        console.print("(chạy thử: chưa ghi gì)")


@import_app.command("households")
def import_households_cmd(
    file: Annotated[Path, typer.Argument(help="Danh sách chủ sử dụng: .xlsx hoặc .csv")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="Ánh xạ cột, ví dụ --map full_name=TEN_CHU (hoặc TEN_CHU=full_name)")]
    = None,
    sheet: Annotated[str | None, typer.Option(help="Tên trang tính (Excel)")] = None,
    commune: Annotated[str | None, typer.Option(help="Mã xã cho cả tệp khi thiếu cột MaXa")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Ghi báo cáo kiểm tra ra tệp .xlsx")] = None,
) -> None:
    """Nhập danh sách hộ dân/chủ sử dụng, nối với thửa theo mã xã + số tờ + số thửa."""
    mapping = parse_household_mapping(map_ or [])
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        _seen_before(session, file, "households")
        try:
            r = import_households(session, file, mapping=mapping, sheet=sheet, commune=commune,
                                  dry_run=dry_run, actor=_actor())
        except ImportRejected as exc:
            _rejected(exc, report)
            raise
    _print_problems(r.report)
    _save_report(r.report, report)
    verb = "Sẽ" if dry_run else "Đã"
    console.print(
        f"{verb} nhập {r.report.features} dòng từ {file.name} (bảng mã {r.report.encoding}): "
        f"{r.users_created} chủ sử dụng mới, {r.users_updated} cập nhật; {r.holdings_created} "
        f"liên kết thửa mới, {r.holdings_updated} đổi tỷ lệ; {r.unchanged_rows} dòng không đổi."
        + (" (chạy thử: chưa ghi gì)" if dry_run else ""))
    if r.other_holders:
        console.print(f"{r.other_holders} chủ sử dụng đã ghi cho các thửa này không có trong "
                      "tệp (giữ nguyên).")
    if r.batch_id is not None:
        console.print(f"Ghi nhận lô nhập #{r.batch_id}.")
