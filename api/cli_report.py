"""``gpmb report excel|pdf``: the progress report of a project, written to a file (the
year's capital disbursement is printed alongside, as in the files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gis.capital.figures import disbursement_figures
from gis.core.calendar import local_today
from gis.core.errors import InvalidInput
from gis.core.settings import get_settings
from gis.db.engine import open_database, session_factory
from gis.reports import parse_period, write_excel, write_pdf
from gis.reports.pdf import disbursement_line_vi

console = Console()
report_app = typer.Typer(help="Báo cáo tiến độ GPMB (Excel, PDF).", no_args_is_help=True)

ProjectOpt = Annotated[str, typer.Option("--project", help="Mã dự án, ví dụ CT-HNCL")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Số liệu đến hết ngày YYYY-MM-DD "
                                                             "(mặc định: hôm nay)")]
OutOpt = Annotated[Path, typer.Option("--out", help="Tệp kết quả")]


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return local_today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"bad date {value!r}", message_vi=f"Ngày '{value}' không hợp lệ: "
                           "dùng dạng YYYY-MM-DD, ví dụ 2025-03-31.", field="as_of") from None


@report_app.command("excel")
def report_excel(
    project: ProjectOpt,
    out: OutOpt,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option(help="week | month | quarter")] = "month",
) -> None:
    """Báo cáo tiến độ GPMB theo xã/phường (Excel)."""
    day, kind = _as_of(as_of), parse_period(period)
    with open_database(get_settings()) as engine, session_factory(engine)() as session:
        progress = write_excel(session, project, day, out, kind)
        money = disbursement_line_vi(disbursement_figures(session, progress.project.id, day))
    console.print(f"Đã ghi [bold]{out}[/] ({len(progress.communes)} xã/phường, "
                  f"số liệu đến {day.strftime('%d/%m/%Y')}).")
    console.print(money, markup=False)


@report_app.command("pdf")
def report_pdf(project: ProjectOpt, out: OutOpt, as_of: AsOfOpt = None) -> None:
    """Tóm tắt tiến độ một trang (PDF)."""
    day = _as_of(as_of)
    with open_database(get_settings()) as engine, session_factory(engine)() as session:
        progress = write_pdf(session, project, day, out)
        money = disbursement_line_vi(disbursement_figures(session, progress.project.id, day))
    console.print(f"Đã ghi [bold]{out}[/] (số liệu đến {day.strftime('%d/%m/%Y')}).")
    console.print(money, markup=False)
