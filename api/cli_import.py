"""``gpmb import …``: parcels from surveyors' files, and the project overlay."""

from __future__ import annotations

import getpass
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gis.db.engine import open_database, session_factory
from gis.errors import ImportRejected
from gis.ingest import ValidationReport, import_parcels, overlay_project
from gis.ingest.fields import parse_mapping
from gis.ingest.report import SEVERITY_VI
from gis.settings import get_settings

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


def _save_report(report: ValidationReport, path: Path | None) -> None:
    if path is None:
        return
    report.to_excel(path)
    geojson = report.to_geojson(path.with_suffix(".geojson"))
    console.print(f"Báo cáo kiểm tra: [bold]{path}[/] và [bold]{geojson}[/]")


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
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    confirm_paid: Annotated[bool, typer.Option(
        "--confirm-paid", help="Xác nhận thay đổi thửa đã có chi trả")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Ghi báo cáo kiểm tra ra tệp .xlsx (kèm .geojson)")] = None,
) -> None:
    """Nhập thửa đất: kiểm tra toàn bộ trước, rồi ghi tất cả hoặc không ghi gì."""
    mapping = parse_mapping(map_ or [])
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        try:
            result = import_parcels(session, file, survey=survey, assume_crs=crs, layer=layer,
                                    mapping=mapping, commune=commune, dry_run=dry_run,
                                    confirm_paid=confirm_paid, actor=_actor())
        except ImportRejected as exc:
            rejected = exc.extra.get("report")
            if isinstance(rejected, ValidationReport):
                _print_problems(rejected)
                _save_report(rejected, report)
            raise
    rep, write = result.report, result.write
    _print_problems(rep)
    _save_report(rep, report)
    assert write is not None
    verb = "Sẽ" if dry_run else "Đã"
    console.print(
        f"{verb} nhập {rep.features} thửa từ {file.name} ({rep.crs}, bảng mã {rep.encoding}): "
        f"{write.inserted} thêm mới, {write.updated} cập nhật, {write.unchanged} không đổi."
        + (" (chạy thử: chưa ghi gì)" if dry_run else ""))
    if write.not_in_file:
        console.print(f"{write.not_in_file} thửa của đợt đo đạc này không có trong tệp "
                      "(giữ nguyên).")
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
    min_area: Annotated[float, typer.Option(help="Bỏ qua phần giao nhỏ hơn (m²)")] = 1.0,
) -> None:
    """Chồng xếp phạm vi thu hồi của dự án với thửa đất: tạo/cập nhật hồ sơ GPMB."""
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        r = overlay_project(session, project, min_area, actor=_actor())
    console.print(f"Dự án {r.project_code}: {r.created} hồ sơ mới, {r.updated} cập nhật diện "
                  f"tích, {r.unchanged} không đổi, {r.removed} bỏ (không còn trong phạm vi).")
    for c in r.kept:
        console.print(f"[yellow]Hồ sơ {c.case_id} (thửa {c.parcel}) không còn trong phạm vi "
                      "nhưng đã có lịch sử: giữ lại, cần xem xét.[/]")
    for c in r.paid_changed:
        console.print(f"[yellow]Hồ sơ {c.case_id} (thửa {c.parcel}) đã chi trả: diện tích thu "
                      f"hồi {c.old_area_m2:.1f} → {c.new_area_m2:.1f} m².[/]")
