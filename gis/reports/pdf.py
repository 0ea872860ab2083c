"""A one-page PDF summary for meetings: key figures, the S-curve, milestones, the communes
with most left to do and a small map of the cases — drawn with fpdf2 in embedded DejaVu
TrueType fonts (Debian's ``fonts-dejavu-core``), so Vietnamese diacritics stay intact; in
Vietnamese, or in English when given an English ``Wording``."""

from __future__ import annotations

import datetime as dt
import itertools
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.capital.figures import (
    STANDING_VS_NATIONAL_VI,
    STANDING_VS_TARGET_VI,
    DisbursementFigures,
    disbursement_figures,
)
from gis.core.errors import ConfigurationError
from gis.core.wording import VIETNAMESE, Wording
from gis.progress.milestones import NO_FORECAST_VI
from gis.progress.overview import ProjectProgress, project_progress
from gis.progress.state import HANDED, PAID, case_state_sql, in_list, no_jit
from gis.reports.chart import Chart, s_curve_chart
from gis.reports.period import fmt_date

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MAP_CELLS = 90

_MAP_SQL = case_state_sql() + f"""
SELECT ST_X(pt) AS x, ST_Y(pt) AS y,
       CASE WHEN s.step IN {in_list(HANDED)} THEN 2 WHEN s.step IN {in_list(PAID)} THEN 1
            ELSE 0 END AS stage
FROM s JOIN clearance_cases c ON c.id = s.id
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(c.recovered_geom) AS pt) g
"""
STAGE_COLOURS = {0: (214, 69, 65), 1: (240, 160, 40), 2: (11, 93, 59)}
TABLE_LINE = 3.6
"""Line height in the summary's tables, in mm: with the padding a one-line row is 5 mm."""
TABLE_PADDING = (0.7, 1.0)
TABLE_HEADINGS = FontFace(emphasis="BOLD", fill_color=(221, 235, 227))


def font_dir() -> Path:
    """Where DejaVu Sans is installed (``apt-get install fonts-dejavu-core``)."""
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").exists():
            return folder
    raise ConfigurationError("DejaVu fonts not found", message_vi="Thiếu phông chữ DejaVu: cài gói "
                    "fonts-dejavu-core (apt-get install fonts-dejavu-core).")


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def draw_chart(pdf: FPDF, chart: Chart, x0: float, y0: float, w: float, h: float,
               words: Wording = VIETNAMESE) -> None:
    """Draw ``chart`` in the box (x0, y0, w, h) mm: grid, ticks, series, markers, legend
    (its words in the language of ``words``)."""
    pdf.set_draw_color(200, 200, 200)
    pdf.set_font("DejaVu", size=6.5)
    pdf.set_text_color(90, 90, 90)
    for v, label in chart.y_ticks:
        y = y0 + h - v * h
        pdf.line(x0, y, x0 + w, y)
        pdf.text(x0 - 9, y + 1, label)
    for v, label in chart.x_ticks:
        pdf.text(x0 + v * w - 5, y0 + h + 4, label)
    pdf.set_line_width(0.6)
    for series in chart.series:
        pdf.set_draw_color(*_hex(series.colour))
        pts = [(x0 + x * w, y0 + h - y * h) for x, y in series.points]
        for a, b in itertools.pairwise(pts):
            pdf.line(a[0], a[1], b[0], b[1])
    pdf.set_line_width(0.2)
    for m in chart.markers:
        pdf.set_fill_color(*_hex(m.colour))
        cx, cy = x0 + m.x * w, y0 + h - m.y * h
        pdf.rect(cx - 1.2, cy - 1.2, 2.4, 2.4, style="F")
    ly = y0 + h + 7
    for series in chart.series:
        pdf.set_fill_color(*_hex(series.colour))
        pdf.rect(x0, ly - 2, 4, 2, style="F")
        pdf.text(x0 + 5, ly, words(series.label))
        x0 += 45
    if chart.markers:
        pdf.set_fill_color(120, 120, 120)
        pdf.rect(x0, ly - 2.2, 2.4, 2.4, style="F")
        pdf.text(x0 + 4, ly, words("Mốc tiến độ (hạn, mục tiêu)"))
    pdf.set_text_color(0, 0, 0)


def _draw_map(pdf: FPDF, session: Session, progress: ProjectProgress, x0: float, y0: float,
              size: float, w: Wording) -> None:
    no_jit(session)
    rows = session.execute(text(_MAP_SQL), {"as_of": progress.as_of,
                                            "project_id": progress.project.id}).all()
    pdf.set_draw_color(180, 180, 180)
    pdf.rect(x0, y0, size, size)
    if not rows:
        return
    xs, ys = [r.x for r in rows], [r.y for r in rows]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    cells: dict[tuple[int, int], int] = {}
    for r in rows:  # one dot per cell, coloured by the least advanced case in it
        key = (int((r.x - min(xs)) / span * (MAP_CELLS - 1)),
               int((r.y - min(ys)) / span * (MAP_CELLS - 1)))
        cells[key] = min(cells.get(key, 2), r.stage)
    dot = size / MAP_CELLS
    for (cx, cy), stage in cells.items():
        pdf.set_fill_color(*STAGE_COLOURS[stage])
        pdf.rect(x0 + cx * dot, y0 + size - (cy + 1) * dot, dot, dot, style="F")
    pdf.set_font("DejaVu", size=6.5)
    for i, label in enumerate(("Chưa chi trả", "Đã chi trả", "Đã bàn giao")):
        pdf.set_fill_color(*STAGE_COLOURS[i])
        pdf.rect(x0 + i * 22, y0 + size + 2, 2.5, 2.5, style="F")
        pdf.text(x0 + i * 22 + 3.5, y0 + size + 4.3, w(label))


def _key_figures(pdf: FPDF, p: ProjectProgress, words: Wording) -> None:
    f, t = p.figures, words
    boxes = [
        ("Diện tích thu hồi", t("{n} ha", n=t.dec(f.area_ha))),
        ("Đã bàn giao", t("{n} ha ({pct} %)", n=t.dec(f.handed_over_ha),
                          pct=t.dec(f.handed_over_pct, 1))),
        ("Còn lại", t("{n} ha", n=t.dec(f.remaining_m2 / 10000))),
        ("Hộ bị ảnh hưởng", t("{n} hộ / {parcels} thửa", n=t.whole(f.households),
                              parcels=t.whole(f.parcels))),
        ("Phương án đã phê duyệt", t("{n} hộ, {vnd} tỷ đồng", n=t.whole(f.households_approved),
                                     vnd=t.billion(f.approved_vnd))),
        ("Đã chi trả", t("{n} hộ, {vnd} tỷ đồng", n=t.whole(f.households_paid),
                         vnd=t.billion(f.paid_vnd))),
        ("Còn phải chi trả", t("{n} tỷ đồng", n=t.billion(f.outstanding_vnd))),
        ("Khiếu nại / cưỡng chế / quá hạn",
         t("{a} / {b} / {c} hồ sơ", a=str(f.complaints_open), b=str(f.enforcement_decided),
           c=str(f.overdue_total))),
    ]
    w, h = 47.5, 15
    for i, (label, value) in enumerate(boxes):
        x, y = 10 + (i % 4) * w, 36 + (i // 4) * (h + 2)
        pdf.set_fill_color(238, 245, 240)
        pdf.rect(x, y, w - 2, h, style="F")
        pdf.set_xy(x + 1.5, y + 1.5)
        pdf.set_font("DejaVu", size=7)
        pdf.cell(w - 5, 4, t(label))
        pdf.set_xy(x + 1.5, y + 6.5)
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.multi_cell(w - 5, 4, value, align="L")


def build_pdf(session: Session, code: str, as_of: dt.date, w: Wording = VIETNAMESE
              ) -> tuple[bytes, ProjectProgress]:
    """The one-page summary of project ``code`` as of ``as_of``, in the language of ``w``:
    (PDF bytes, figures)."""
    p = project_progress(session, code, as_of)
    fonts = font_dir()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(w("Tóm tắt tiến độ GPMB {code}", code=p.project.code))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.set_xy(10, 10)
    pdf.cell(190, 7, w("BÁO CÁO TÓM TẮT TIẾN ĐỘ GPMB"), align="C")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_xy(10, 18)
    pdf.multi_cell(190, 5, w("Giải phóng mặt bằng dự án {name}", name=p.project.name) + "\n"
                   + w("Số liệu tính đến hết ngày {day}", day=fmt_date(as_of)), align="C")
    _key_figures(pdf, p, w)
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.text(10, 78, w("Tiến độ lũy kế theo tuần (% so với tổng)"))
    chart = s_curve_chart(p.curve, float(p.figures.area_m2), p.figures.households,
                          p.milestones)
    draw_chart(pdf, chart, 20, 82, 110, 62, w)
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.text(140, 78, w("Sơ đồ hồ sơ theo tình trạng"))
    _draw_map(pdf, session, p, 140, 82, 60, w)
    pace = p.pace
    pdf.set_font("DejaVu", "", 8.5)
    why = {"too_little": "chưa đủ số liệu để dự báo",
           "too_far": "còn hơn 5 năm với tốc độ hiện nay"}.get(pace.no_forecast or "",
                                                               "chưa dự báo được (không có "
                                                               "tiến triển)")
    forecast = fmt_date(pace.forecast_completion) if pace.forecast_completion else w(why)
    pdf.set_xy(10, 156)
    pdf.multi_cell(190, 4.5, w("Tốc độ {weeks} tuần gần nhất: {ha} ha/tuần, {households} hộ "
                               "chi trả/tuần. Dự báo bàn giao xong: {forecast}.",
                               weeks=str(pace.weeks),
                               ha=w.dec(pace.handed_over_m2_per_week / 10000),
                               households=w.dec(pace.paid_households_per_week, 1),
                               forecast=forecast))
    pdf.set_xy(10, pdf.get_y() + 1)
    pdf.multi_cell(190, 4.5, disbursement_line_vi(disbursement_figures(
        session, p.project.id, as_of), w))
    y = _table(pdf, max(171, pdf.get_y() + 5), w("Mốc tiến độ"),
               [w(head) for head in ("Mốc", "Hạn", "Đạt", "Dự báo", "Tình trạng")],
               [86, 22, 18, 28, 36],
               [[w.milestone(m), fmt_date(m.due_date), f"{w.dec(m.share * 100, 1)} %",
                 fmt_date(m.forecast) if m.forecast else w(NO_FORECAST_VI) if m.no_forecast
                 else "—", w(m.status_vi)]
                for m in p.milestones])
    _table(pdf, y + 4, w("Xã/phường còn nhiều diện tích chưa bàn giao"),
           [w(head) for head in ("Xã/phường", "Thu hồi (ha)", "Đã bàn giao (ha)",
                                 "Còn lại (ha)", "Quá hạn")],
           [70, 30, 32, 30, 28],
           [[w.place(r.name), w.dec(r.figures.area_ha), w.dec(r.figures.handed_over_ha),
             w.dec(r.figures.remaining_m2 / 10000), str(r.figures.overdue_total)]
            for r in p.ranking[:8]])
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(100, 100, 100)
    pdf.text(10, 290, w("GPMB Lạng Sơn — lập ngày {day}; số liệu tính từ lịch sử hồ sơ, chi "
                        "trả theo sổ chi trả.", day=fmt_date(dt.date.today())))
    return bytes(pdf.output()), p


def disbursement_line_vi(f: DisbursementFigures, w: Wording = VIETNAMESE) -> str:
    """One sentence on the year's capital disbursement, as the province reports it."""
    year = str(f.year)
    if f.plan is None:
        return w("Giải ngân vốn năm {year}: chưa giao kế hoạch vốn.", year=year)
    parts = [w("Giải ngân vốn năm {year}: {done}/{plan} tỷ đồng, đạt {pct} % kế hoạch",
               year=year, done=w.billion(f.disbursed_vnd), plan=w.billion(f.plan_vnd),
               pct=w.dec(f.pct or 0, 1))]
    if f.target_pct is not None and f.vs_target is not None:
        parts.append(w("mục tiêu {pct} % ({standing})", pct=w.dec(f.target_pct, 1),
                       standing=w(STANDING_VS_TARGET_VI[f.vs_target]).lower()))
    if f.national_pct is not None and f.vs_national is not None:
        parts.append(w("bình quân cả nước tháng {m}: {pct} % ({standing})",
                       m=str(f.national_month), pct=w.dec(f.national_pct, 1),
                       standing=w(STANDING_VS_NATIONAL_VI[f.vs_national]).lower()))
    return "; ".join(parts) + "."


def _table(pdf: FPDF, y: float, title: str, heads: list[str], widths: list[float],
           rows: list[list[str]]) -> float:
    """A titled table from ``y`` mm down, its cells wrapped in their columns and each row as
    tall as its tallest cell; returns where it ends."""
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.text(10, y, title)
    pdf.set_xy(10, y + 2)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_fill_color(255, 255, 255)  # the cells' background (the heading row has its own)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT",
                   line_height=TABLE_LINE, padding=TABLE_PADDING, v_align="MIDDLE",
                   headings_style=TABLE_HEADINGS, first_row_as_headings=True) as grid:
        for row in (heads, *rows):
            cells = grid.row()
            for value in row:
                cells.cell(value)
    return pdf.get_y()


def write_pdf(session: Session, code: str, as_of: dt.date, out: Path | BytesIO,
              w: Wording = VIETNAMESE) -> ProjectProgress:
    """Write the one-page summary to ``out``, in the language of ``w``; return the figures
    it shows."""
    data, progress = build_pdf(session, code, as_of, w)
    if isinstance(out, Path):
        out.write_bytes(data)
    else:
        out.write(data)
    return progress
