"""No text of a PDF report runs over other text: poppler's ``pdftotext -bbox-layout`` gives
every word drawn with its box, and no two words that share a line of a page may overlap
side by side — a label longer than its column, or a table cell wider than its column, would
be drawn over its neighbour. Checked in Vietnamese and in English (the languages the web
side hands in) for the dossier of demo cases with payments and the one-page summary of every
demo project, which must also stay on one page above its footer."""

from __future__ import annotations

import datetime as dt
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.cases.dossier import build_dossier
from gis.progress.milestones import NO_FORECAST_VI
from gis.reports import build_pdf
from gis.reports.dossier_pdf import build_dossier_pdf
from web.i18n import wording

AS_OF = dt.date(2025, 3, 31)
XHTML = "{http://www.w3.org/1999/xhtml}"
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _words(data: bytes, tmp_path: Path) -> tuple[int, list[Word]]:
    """The pages of a PDF and every word on them, with its box (points)."""
    assert data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = list(ET.fromstring(xml).iter(XHTML + "page"))
    return len(pages), [Word(n, w.text or "", *(float(w.attrib[k]) for k in
                                                ("xMin", "yMin", "xMax", "yMax")))
                        for n, page in enumerate(pages, 1) for w in page.iter(XHTML + "word")]


def _overlaps(words: list[Word]) -> list[tuple[int, str, str]]:
    """Pairs of words on the same line of a page (their heights overlap by more than half
    the smaller one) whose widths overlap by more than a hair."""
    found = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if a.page != b.page:
                continue
            tall = min(a.y1, b.y1) - max(a.y0, b.y0)
            wide = min(a.x1, b.x1) - max(a.x0, b.x0)
            if tall > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0) and wide > 0.3:
                found.append((a.page, a.text, b.text))
    return found


def test_the_overlap_check_sees_text_drawn_over_text(tmp_path: Path) -> None:
    """The check itself: a label drawn over its value is found, the same texts apart are
    not."""
    from fpdf import FPDF

    from gis.reports.pdf import font_dir

    def drawn(value_x: float) -> bytes:
        pdf = FPDF()
        pdf.add_font("DejaVu", "", str(font_dir() / "DejaVuSans.ttf"))
        pdf.add_page()
        pdf.set_font("DejaVu", "", 8.5)
        pdf.text(10, 20, "Trong đó thửa này: được duyệt / đã chi trả và gửi (đồng):")
        pdf.text(value_x, 20, "13.848.611.000")
        return bytes(pdf.output())

    assert _overlaps(_words(drawn(72), tmp_path)[1])
    assert _overlaps(_words(drawn(120), tmp_path)[1]) == []


@pytest.fixture(scope="module")
def paid_cases(demo_engine: Engine) -> list[int]:
    """Demo cases with payments: the most paid (its household facts have the longest labels)
    and one with a deposit or several households, if any."""
    with demo_engine.connect() as conn:
        return list(conn.execute(text(
            """(SELECT c.id FROM clearance_cases c
                WHERE EXISTS (SELECT 1 FROM payments y WHERE y.case_id = c.id)
                ORDER BY c.paid_vnd DESC, c.id LIMIT 2)
               UNION
               (SELECT y.case_id FROM payments y GROUP BY y.case_id
                HAVING count(DISTINCT y.kind) > 1 ORDER BY y.case_id LIMIT 1)""")).scalars())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dossier_pdf_text_does_not_overlap(demo_engine: Engine, paid_cases: list[int],
                                           lang: str, tmp_path: Path) -> None:
    w = wording(lang)
    assert paid_cases
    with Session(demo_engine) as s:
        for case_id in paid_cases:
            dossier = build_dossier(s, case_id, dt.date.today(), scope=Scope(), w=w)
            _, words = _words(build_dossier_pdf(dossier, w), tmp_path)
            labels = {label for section in dossier.sections for label, _ in section.facts}
            assert labels, case_id
            assert _overlaps(words) == [], (lang, case_id)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_summary_pdf_text_does_not_overlap_and_fits_one_page(demo_engine: Engine, lang: str,
                                                             tmp_path: Path) -> None:
    w = wording(lang)
    with Session(demo_engine) as s:
        codes = s.execute(text("SELECT code FROM projects ORDER BY code")).scalars().all()
        assert codes
        for code in codes:
            data, progress = build_pdf(s, code, AS_OF, w)
            pages, words = _words(data, tmp_path)
            assert pages == 1, code
            assert _overlaps(words) == [], (lang, code)
            footer = max(word.y0 for word in words if word.text == "GPMB")
            assert max(word.y0 for word in words) == footer, code  # the lowest line ...
            assert [x.text for x in words if x.y0 < footer < x.y1] == [], code  # ... clear
            if any(m.no_forecast for m in progress.milestones):
                shown = {word.text for word in words}
                assert set(w(NO_FORECAST_VI).split()) <= shown, code  # wrapped, not cut
