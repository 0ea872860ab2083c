"""Reports leaders ask for: the periodic progress workbook (Excel) and a one-page PDF, for a
reporting period (``period``), from the figures of ``gis.progress``. The steering committee's
meeting pack is ``gis.committee.pack``."""

from gis.reports.excel import build_workbook, write_excel
from gis.reports.pdf import build_pdf, write_pdf
from gis.reports.period import Period, ReportPeriod, parse_period, report_period

__all__ = ["Period", "ReportPeriod", "build_pdf", "build_workbook", "parse_period",
           "report_period", "write_excel", "write_pdf"]
