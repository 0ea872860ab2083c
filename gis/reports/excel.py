"""The periodic clearance progress report (báo cáo tiến độ GPMB) as an Excel workbook.

Sheet 1: one row per commune and a total row of stored values (no formulas, so readers
that do not calculate — openpyxl ``data_only``, pandas, file viewers — read the numbers):
additive columns are the sum of the rows above; households are distinct counts, so their
total is the project's own figure (a household holding land in two communes counts once).
Sheet 2: milestones; sheet 3: the weekly S-curve; sheet 4: the payment table per household,
commune by commune (``gis.reports.households``); sheet 5: the capital disbursement of the
as-of year (plan revisions, disbursed to date against the plan, the investor's target and
the national average, month by month).
Vietnamese headings (in English when given an English ``Wording``: the cells of numbers
stay numbers), number formats, frozen header, column widths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from gis.capital.figures import (
    STANDING_VS_NATIONAL_VI,
    STANDING_VS_TARGET_VI,
    DisbursementFigures,
    disbursement_figures,
)
from gis.core.collation import vi_name_key
from gis.core.wording import VIETNAMESE, Wording
from gis.progress.figures import EMPTY, Figures, progress_figures
from gis.progress.milestones import NO_FORECAST_VI
from gis.progress.overview import ProjectProgress, project_progress
from gis.reports.households import household_rows, household_sheet
from gis.reports.period import Period, ReportPeriod, fmt_date, report_period

HA = "#,##0.00"
INT = "#,##0"
PCT = "0.0%"

Value = Callable[[Figures, Figures], float | int | str]

OBSTACLES = "Khó khăn, vướng mắc"
"""The column of words, written in the report's language."""

# (heading, number format, width, value(now, period start), summed in the total row)
COLUMNS: list[tuple[str, str, int, Value, bool]] = [
    ("Số hộ bị ảnh hưởng (hộ)", INT, 11, lambda f, _: f.households, False),
    ("Số thửa đất bị thu hồi (thửa)", INT, 11, lambda f, _: f.parcels, True),
    ("Diện tích thu hồi (ha)", HA, 12, lambda f, _: round(float(f.area_ha), 4), True),
    ("Đã kiểm đếm (hộ)", INT, 10, lambda f, _: f.households_counted, False),
    ("Phương án đã phê duyệt (hộ)", INT, 12, lambda f, _: f.households_approved, False),
    ("Giá trị phương án đã phê duyệt (VNĐ)", INT, 18, lambda f, _: f.approved_vnd, True),
    ("Đã chi trả (hộ)", INT, 10, lambda f, _: f.households_paid, False),
    ("Đã chi trả (VNĐ)", INT, 18, lambda f, _: f.paid_vnd, True),
    ("Còn phải chi trả (VNĐ)", INT, 17, lambda f, _: f.outstanding_vnd, True),
    ("Đã bàn giao mặt bằng (ha)", HA, 12,
     lambda f, _: round(float(f.handed_over_ha), 4), True),
    ("Tỷ lệ bàn giao", PCT, 9, lambda f, _: round(f.handed_over_pct / 100, 6), False),
    ("Bàn giao trong kỳ (ha)", HA, 11,
     lambda f, b: round(float(f.handed_over_ha - b.handed_over_ha), 4), True),
    ("Chi trả trong kỳ (VNĐ)", INT, 17, lambda f, b: f.paid_vnd - b.paid_vnd, True),
    ("Diện tích còn lại (ha)", HA, 11, lambda f, _: round(float(f.remaining_m2) / 1e4, 4),
     True),
    ("Tái định cư cần bố trí (hồ sơ)", INT, 11, lambda f, _: f.resettlement_needed, True),
    ("Tái định cư đã bố trí (hồ sơ)", INT, 11, lambda f, _: f.resettlement_allocated, True),
    ("Khiếu nại chưa giải quyết", INT, 11, lambda f, _: f.complaints_open, True),
    ("Quyết định cưỡng chế", INT, 11, lambda f, _: f.enforcement_decided, True),
    ("Hồ sơ quá hạn", INT, 9, lambda f, _: f.overdue_total, True),
    (OBSTACLES, "@", 42, lambda f, _: obstacles_vi(f), False),
]
FIRST_COL = 3  # A: STT, B: Xã/phường
HEADER_ROW = 5

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBE3")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")


def obstacles_vi(f: Figures, w: Wording = VIETNAMESE) -> str:
    """What holds a commune back, in a few words ("" when nothing does)."""
    parts = []
    # Counts as plain digits, as the report has always written them.
    if f.parcels > f.parcels_counted:
        parts.append(w("{n} thửa chưa kiểm đếm", n=str(f.parcels - f.parcels_counted)))
    if f.complaints_open:
        parts.append(w("{n} hồ sơ khiếu nại", n=str(f.complaints_open)))
    if f.resettlement_needed > f.resettlement_allocated:
        parts.append(w("{n} hồ sơ chờ tái định cư",
                       n=str(f.resettlement_needed - f.resettlement_allocated)))
    if f.enforcement_decided > f.enforcement_executed:
        parts.append(w("{n} hồ sơ chờ cưỡng chế",
                       n=str(f.enforcement_decided - f.enforcement_executed)))
    if f.overdue_total:
        parts.append(w("{n} hồ sơ quá hạn", n=str(f.overdue_total)))
    return "; ".join(parts)


def _cell(ws: Worksheet, row: int, col: int, value: object, fmt: str | None = None,
          bold: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.border = BOX
    if fmt:
        cell.number_format = fmt
    if bold:
        cell.font = Font(bold=True)
    if isinstance(value, str) and not value.startswith("="):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _column_total(values: list[object]) -> int | float:
    """The sum of a column's commune values as written above the total row."""
    numbers = [v for v in values if isinstance(v, int | float)]
    if all(isinstance(v, int) for v in numbers):
        return sum(int(v) for v in numbers)
    return round(sum(float(v) for v in numbers), 4)


def _value(head: str, value: Value, now: Figures, base: Figures, w: Wording
           ) -> float | int | str:
    return obstacles_vi(now, w) if head == OBSTACLES else value(now, base)


def _main_sheet(ws: Worksheet, progress: ProjectProgress, period: ReportPeriod,
                before: dict[str, Figures], before_total: Figures, w: Wording) -> None:
    project = progress.project
    last_col = FIRST_COL + len(COLUMNS) - 1
    ws.title = w("Tiến độ GPMB")
    ws["A1"] = w("BÁO CÁO TIẾN ĐỘ GIẢI PHÓNG MẶT BẰNG")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = w("Dự án: {name} (mã {code})", name=project.name, code=project.code)
    ws["A3"] = w("Kỳ báo cáo: {period} (từ {start} đến {end}); số liệu tính đến hết ngày "
                 "{end}", period=period.label(w), start=fmt_date(period.start),
                 end=fmt_date(period.end))
    for r in (1, 2, 3):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=last_col)
    heads = [w("STT"), w("Xã/phường"), *(w(c[0]) for c in COLUMNS)]
    for col, head in enumerate(heads, start=1):
        _cell(ws, HEADER_ROW, col, head, bold=True)
        cell = ws.cell(row=HEADER_ROW, column=col)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.row_dimensions[HEADER_ROW].height = 64
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 22
    for i, (_, _, width, _, _) in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(FIRST_COL + i)].width = width
    rows = sorted(progress.communes, key=lambda r: vi_name_key(r.name))
    shown_by_col: list[list[object]] = [[] for _ in COLUMNS]
    for n, row in enumerate(rows, start=1):
        r = HEADER_ROW + n
        _cell(ws, r, 1, n)
        _cell(ws, r, 2, w.place(row.name))
        base = before.get(row.code, EMPTY)
        for i, (head, fmt, _, value, _) in enumerate(COLUMNS):
            shown = _value(head, value, row.figures, base, w)
            _cell(ws, r, FIRST_COL + i, shown, fmt)
            shown_by_col[i].append(shown)
    total = HEADER_ROW + len(rows) + 1
    _cell(ws, total, 1, None)
    _cell(ws, total, 2, w("Tổng cộng"), bold=True)
    for i, (head, fmt, _, value, summed) in enumerate(COLUMNS):
        # The total is a stored value, not a formula: readers that do not calculate
        # (openpyxl data_only, pandas, viewers) would see an empty cell otherwise.
        cell_value: object = _value(head, value, progress.figures, before_total, w)
        if summed and rows:
            cell_value = _column_total(shown_by_col[i])
        _cell(ws, total, FIRST_COL + i, cell_value, fmt, bold=True)
        ws.cell(row=total, column=FIRST_COL + i).fill = TOTAL_FILL
    ws.cell(row=total + 2, column=1, value=w(
        "Ghi chú: số hộ ở dòng Tổng cộng đếm không trùng lặp (một hộ có đất ở nhiều xã được "
        "tính một lần); số liệu tính từ lịch sử hồ sơ đến hết ngày báo cáo."))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=FIRST_COL)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"


def _milestone_sheet(ws: Worksheet, progress: ProjectProgress, w: Wording) -> None:
    ws.title = w("Mốc tiến độ")
    heads = ["Mốc", "Hạn", "Mục tiêu", "Đạt được", "Dự báo hoàn thành", "Tình trạng"]
    for col, head in enumerate(heads, start=1):
        _cell(ws, 1, col, w(head), bold=True)
    for r, m in enumerate(progress.milestones, start=2):
        _cell(ws, r, 1, w.milestone(m))
        _cell(ws, r, 2, m.due_date, "DD/MM/YYYY")
        _cell(ws, r, 3, m.target_share, PCT)
        _cell(ws, r, 4, round(m.share, 6), PCT)
        _cell(ws, r, 5, m.forecast or (w(NO_FORECAST_VI) if m.no_forecast else "—"),
              "DD/MM/YYYY")
        _cell(ws, r, 6, w(m.status_vi))
    for letter, width in zip("ABCDEF", (44, 12, 10, 10, 18, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _curve_sheet(ws: Worksheet, progress: ProjectProgress, w: Wording) -> None:
    ws.title = w("Tiến độ theo tuần")
    for col, head in enumerate(["Tuần đến ngày", "Lũy kế đã bàn giao (ha)",
                                "Lũy kế hộ đã chi trả (hộ)"], start=1):
        _cell(ws, 1, col, w(head), bold=True)
    for r, p in enumerate(progress.curve.points, start=2):
        _cell(ws, r, 1, p.week_end, "DD/MM/YYYY")
        _cell(ws, r, 2, round(float(p.handed_over_m2) / 1e4, 4), HA)
        _cell(ws, r, 3, p.paid_households, INT)
    for letter, width in zip("ABC", (14, 24, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _pct(value: float | None) -> float | str:
    return round(value / 100, 6) if value is not None else "—"


def _disbursement_sheet(ws: Worksheet, f: DisbursementFigures, as_of: dt.date,
                        w: Wording) -> None:
    ws.title = w("Giải ngân vốn")
    ws["A1"] = w("TÌNH HÌNH GIẢI NGÂN KẾ HOẠCH VỐN NĂM {year}", year=str(f.year))
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = w("Số liệu tính đến hết ngày {day}", day=fmt_date(as_of))
    plan = f.plan
    rows: list[tuple[str, object, str | None]] = [
        (w("Kế hoạch vốn được giao (VNĐ)"), f.plan_vnd, INT),
        (w("Quyết định giao/điều chỉnh gần nhất"),
         w("{no} ngày {day} (lần {rev})", no=plan.decision_no,
           day=fmt_date(plan.decision_date), rev=str(plan.revision))
         if plan else w("Chưa giao kế hoạch vốn"), None),
        (w("Lũy kế giải ngân (VNĐ)"), f.disbursed_vnd, INT),
        (w("Còn lại chưa giải ngân (VNĐ)"), f.remaining_vnd, INT),
        (w("Tỷ lệ giải ngân so với kế hoạch"), _pct(f.pct), PCT),
        (w("Mục tiêu cam kết đến ngày báo cáo"), _pct(f.target_pct), PCT),
        (w("So với mục tiêu"), w(STANDING_VS_TARGET_VI[f.vs_target]) if f.vs_target else "—",
         None),
        (w("Bình quân cả nước (tháng {m})", m=str(f.national_month)) if f.national_month
         else w("Bình quân cả nước"), _pct(f.national_pct), PCT),
        (w("Tỷ lệ của dự án cùng kỳ"), _pct(f.pct_at_national_month), PCT),
        (w("So với bình quân cả nước"),
         w(STANDING_VS_NATIONAL_VI[f.vs_national]) if f.vs_national else "—", None),
    ]
    for r, (label, value, fmt) in enumerate(rows, start=4):
        _cell(ws, r, 1, label, bold=True)
        _cell(ws, r, 2, value, fmt)
    top = 4 + len(rows) + 1
    heads = ["Tháng", "Đến ngày", "Lũy kế giải ngân (VNĐ)", "Tỷ lệ so với kế hoạch",
             "Mục tiêu lũy kế", "Bình quân cả nước"]
    for col, head in enumerate(heads, start=1):
        _cell(ws, top, col, w(head), bold=True)
        ws.cell(row=top, column=col).fill = HEAD_FILL
    for r, m in enumerate(f.months, start=top + 1):
        _cell(ws, r, 1, f"{m.month}/{f.year}")
        _cell(ws, r, 2, m.day, "DD/MM/YYYY")
        _cell(ws, r, 3, m.disbursed_vnd, INT)
        _cell(ws, r, 4, _pct(m.pct), PCT)
        _cell(ws, r, 5, _pct(m.target_pct), PCT)
        _cell(ws, r, 6, _pct(m.national_pct), PCT)
    for letter, width in zip("ABCDEF", (40, 30, 22, 14, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    ws.cell(row=top + len(f.months) + 2, column=1, value=w(
        "Ghi chú: tỷ lệ tính trên kế hoạch vốn có hiệu lực tại ngày báo cáo; mục tiêu theo "
        "cam kết của chủ đầu tư, nội suy trong tháng; bình quân cả nước theo số liệu công bố."))


def build_workbook(session: Session, code: str, as_of: dt.date,
                   period: Period = Period.MONTH, w: Wording = VIETNAMESE
                   ) -> tuple[Workbook, ProjectProgress]:
    """The report workbook of project ``code`` for the ``period`` ending on ``as_of``, in the
    language of ``w``."""
    progress = project_progress(session, code, as_of)
    span = report_period(period, as_of)
    start = progress_figures(session, span.start - dt.timedelta(days=1),
                             project_id=progress.project.id)
    wb = Workbook()
    _main_sheet(wb.active, progress, span, start.by_commune, start.total, w)
    _milestone_sheet(wb.create_sheet(), progress, w)
    _curve_sheet(wb.create_sheet(), progress, w)
    household_sheet(wb.create_sheet(), household_rows(session, progress.project.id, as_of),
                    f"{progress.project.code} — {progress.project.name}", as_of, w)
    _disbursement_sheet(wb.create_sheet(), disbursement_figures(
        session, progress.project.id, as_of), as_of, w)
    wb.properties.title = w("Báo cáo tiến độ GPMB {code} {day}", code=progress.project.code,
                            day=as_of.isoformat())
    return wb, progress


def write_excel(session: Session, code: str, as_of: dt.date, out: Path | BytesIO,
                period: Period = Period.MONTH, w: Wording = VIETNAMESE) -> ProjectProgress:
    """Write the report to ``out`` (a path or a buffer), in the language of ``w``; return
    the figures it holds."""
    wb, progress = build_workbook(session, code, as_of, period, w)
    wb.save(out)
    return progress
