"""``gpmb export parcels|cases …``: a filtered selection to GeoPackage, Shapefile (zip),
GeoJSON, KML or Excel, in EPSG:9215 or WGS84."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gis.core.calendar import local_today
from gis.core.settings import get_settings
from gis.db.engine import open_database, session_factory
from gis.export import ExportFilters, ExportRequest, export
from gis.export.formats import CRS_LABELS_VI
from gis.export.query import ExportKind

console = Console()
export_app = typer.Typer(help="Xuất thửa đất hoặc hồ sơ GPMB ra tệp (GeoPackage, Shapefile, "
                         "GeoJSON, KML, Excel).", no_args_is_help=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f",
                                        help="gpkg | shp | geojson | kml | xlsx")]
CrsOpt = Annotated[str, typer.Option(help="EPSG:9215 (VN-2000) hoặc EPSG:4326 (WGS84)")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Tệp ra (mặc định: tên tự đặt, thư mục "
                                                "hiện tại)")]
ProjectOpt = Annotated[str | None, typer.Option(help="Mã dự án, ví dụ CT-HNCL")]
CommuneOpt = Annotated[list[str] | None, typer.Option(help="Mã xã (lặp lại được)")]
StepOpt = Annotated[list[str] | None, typer.Option(help="Bước GPMB, ví dụ notified (lặp lại "
                                                   "được)")]
OverdueOpt = Annotated[bool | None, typer.Option("--overdue/--not-overdue",
                                                 help="Chỉ hồ sơ quá hạn / không quá hạn")]
LandUseOpt = Annotated[list[str] | None, typer.Option("--land-use", help="Mã loại đất (lặp lại "
                                                      "được)")]
PersonalOpt = Annotated[bool, typer.Option("--personal", help="Kèm số CCCD và điện thoại "
                                           "(chỉ khi được phép dùng)")]


def _run(kind: ExportKind, fmt: str, crs: str, output: Path | None, filters: ExportFilters,
         personal: bool) -> None:
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="gpmb-export-") as tmp, \
            open_database(settings) as engine, session_factory(engine)() as session:
        result = export(session, ExportRequest(kind, fmt, crs, filters, personal), Path(tmp),
                        today=local_today())
        target = output or Path.cwd() / result.filename
        if target.is_dir():
            target = target / result.filename
        shutil.move(result.path, target)
    console.print(f"Đã xuất {result.features} {'thửa' if kind == 'parcels' else 'hồ sơ'} "
                  f"({result.selection.describe_vi()}) ra [bold]{target}[/] — "
                  f"{CRS_LABELS_VI[result.srid]}"
                  + (", kèm CCCD/điện thoại." if personal else "."), highlight=False)


@export_app.command("parcels")
def export_parcels_cmd(fmt: FormatOpt = "gpkg", crs: CrsOpt = "EPSG:9215",
                       output: OutputOpt = None, project: ProjectOpt = None,
                       commune: CommuneOpt = None, step: StepOpt = None,
                       overdue: OverdueOpt = None, land_use: LandUseOpt = None,
                       personal: PersonalOpt = False) -> None:
    """Xuất thửa đất (nhập lại được bằng gpmb import parcels --survey TÊN_ĐỢT)."""
    _run("parcels", fmt, crs, output, ExportFilters(project, tuple(commune or ()),
         tuple(step or ()), overdue, tuple(land_use or ())), personal)


@export_app.command("cases")
def export_cases_cmd(fmt: FormatOpt = "gpkg", crs: CrsOpt = "EPSG:9215",
                     output: OutputOpt = None, project: ProjectOpt = None,
                     commune: CommuneOpt = None, step: StepOpt = None,
                     overdue: OverdueOpt = None, land_use: LandUseOpt = None,
                     personal: PersonalOpt = False) -> None:
    """Xuất hồ sơ GPMB (phần thu hồi, bước, số tiền, hạn tiếp theo)."""
    _run("cases", fmt, crs, output, ExportFilters(project, tuple(commune or ()),
         tuple(step or ()), overdue, tuple(land_use or ())), personal)
