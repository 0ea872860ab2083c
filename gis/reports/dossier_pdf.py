"""The parcel dossier as an A4 PDF, drawn with fpdf2 in the embedded DejaVu fonts of the
meeting summary (``gis.reports.pdf``), so Vietnamese diacritics stay intact. Fact labels wrap
in their column, table cells in theirs, each row as tall as its tallest part; tables break
across pages and every page carries the parcel and a page number. The words of the page
furniture follow the ``Wording`` the dossier was built with."""

from __future__ import annotations

from typing import cast

from fpdf import FPDF
from fpdf.fonts import FontFace

from gis.cases.dossier import Dossier, Section, Table
from gis.core.text import fmt_date
from gis.core.wording import VIETNAMESE, Wording
from gis.reports.pdf import font_dir

LINE = 190.0
"""Usable width of an A4 page with 10 mm margins, in mm."""
LABEL = 62.0
"""Width of the label column of a section's facts, in mm (a longer label wraps in it)."""
FACT_LINE = 4.8
HEADINGS = FontFace(emphasis="BOLD", fill_color=(221, 235, 227))


class _DossierPDF(FPDF):
    footer_text = ""
    page_word = "trang"

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(100, 100, 100)
        self.cell(0, 5, f"{self.footer_text} — {self.page_word} {self.page_no()}/{{nb}}",
                  align="C")
        self.set_text_color(0, 0, 0)


def build_dossier_pdf(dossier: Dossier, w: Wording = VIETNAMESE) -> bytes:
    """The dossier as PDF bytes (``w``: the language it was built in)."""
    fonts = font_dir()
    pdf = _DossierPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(dossier.title.capitalize())
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.footer_text = w("Hồ sơ GPMB #{id} · {subtitle} · in ngày {day}",
                        id=str(dossier.case_id), subtitle=dossier.subtitle,
                        day=fmt_date(dossier.printed_on))
    pdf.page_word = w("trang")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(LINE, 7, dossier.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(LINE, 5, dossier.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for section in dossier.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf: FPDF, section: Section) -> None:
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(LINE, 6, section.title, new_x="LMARGIN", new_y="NEXT")
    for label, value in section.facts:
        _fact(pdf, label + ":", value)
    for table in section.tables:
        _table(pdf, table)
    pdf.ln(2)


def _fact(pdf: FPDF, label: str, value: str) -> None:
    """One fact: the label wrapped in its column, the value beside it, the next fact below
    the taller of the two (both on one page)."""
    pdf.set_font("DejaVu", "B", 8.5)
    label_height = _height(pdf, LABEL, label, "L")
    pdf.set_font("DejaVu", "", 8.5)
    height = max(label_height, _height(pdf, LINE - LABEL, value, "J"))
    if pdf.will_page_break(height):
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 8.5)
    pdf.multi_cell(LABEL, FACT_LINE, label, align="L", new_x="RIGHT", new_y="TOP")
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(LINE - LABEL, FACT_LINE, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + height)


def _height(pdf: FPDF, width: float, text: str, align: str) -> float:
    """How tall ``text`` is once wrapped in ``width`` mm in the current font, in mm."""
    lines = pdf.multi_cell(width, FACT_LINE, text, align=align, dry_run=True, output="LINES")
    return len(cast(list[str], lines)) * FACT_LINE


def _table(pdf: FPDF, table: Table) -> None:
    pdf.ln(1)
    pdf.set_font("DejaVu", "B", 8.5)
    pdf.multi_cell(LINE, 5, table.title, new_x="LMARGIN", new_y="NEXT")
    if not table.rows:
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(LINE, 4.5, table.empty, new_x="LMARGIN", new_y="NEXT")
        return
    scale = LINE / sum(table.widths)
    widths = tuple(w * scale for w in table.widths)
    aligns = tuple("RIGHT" if i in table.numeric else "LEFT" for i in range(len(widths)))
    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(col_widths=widths, text_align=aligns, line_height=4,
                   headings_style=HEADINGS, repeat_headings=1, first_row_as_headings=True,
                   width=LINE) as grid:
        for row in (table.heads, *table.rows):
            cells = grid.row()
            for value in row:
                cells.cell(value)


