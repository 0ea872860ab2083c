"""The validation report: one :class:`Problem` per row and rule, exportable as Excel (with
Vietnamese headings) and as GeoJSON of the problem features (WGS 84, for any web map)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import shapely
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from gis.core.crs import STORAGE_SRID, WGS84_SRID, transformer
from gis.core.formats import fill


class Severity(StrEnum):
    """How bad a problem is: errors block the import, warnings and notes do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_VI = {Severity.ERROR: "Lỗi (chặn nhập)", Severity.WARNING: "Cảnh báo",
               Severity.INFO: "Ghi chú"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row (``row`` is 1-based; None for the file as a whole)."""

    code: str
    severity: Severity
    message_vi: str
    row: int | None = None
    parcel: str = ""
    field: str | None = None
    geometry: shapely.Geometry | None = None
    template: str = ""
    """The Vietnamese message with ``{name:.1f}`` placeholders (empty: ``message_vi`` has
    none), so that a page can translate it and write its numbers in the reader's language."""
    params: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain values (no geometry), for JSON answers and the CLI."""
        return {"row": self.row, "parcel": self.parcel, "code": self.code,
                "severity": self.severity.value, "field": self.field,
                "message_vi": self.message_vi, "template": self.template or self.message_vi,
                "params": dict(self.params)}


def problem(code: str, severity: Severity, template: str, row: int | None = None,
            parcel: str = "", field: str | None = None,
            geometry: shapely.Geometry | None = None, **params: Any) -> Problem:
    """A problem whose message is ``template`` filled with ``params`` (numbers stay numbers
    until shown: "1.500 m²" in Vietnamese, "1,500 m²" in English)."""
    return Problem(code, severity, fill(template, params), row, parcel, field, geometry,
                   template, tuple(params.items()))


@dataclass
class ValidationReport:
    """All problems of one file, plus what was read."""

    source: str
    features: int = 0
    crs: str = ""
    encoding: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        """Record a problem."""
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        """Problems that block the import."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import."""
        return not self.errors

    def counts(self) -> Counter[str]:
        """Number of problems per code."""
        return Counter(p.code for p in self.problems)

    def to_excel(self, path: Path) -> Path:
        """Write the report as an .xlsx workbook with Vietnamese headings."""
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Kết quả kiểm tra"
        ws.append(["Tệp", self.source])
        ws.append(["Số thửa đọc được", self.features])
        ws.append(["Hệ toạ độ", self.crs])
        ws.append(["Bảng mã", self.encoding])
        ws.append(["Số lỗi chặn nhập", len(self.errors)])
        ws.append([])
        ws.append(["Dòng", "Thửa (xã/tờ/thửa)", "Mức độ", "Mã lỗi", "Trường",
                   "Nội dung và cách sửa"])
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for p in sorted(self.problems, key=lambda p: (p.row or 0, p.code)):
            ws.append([p.row, p.parcel, SEVERITY_VI[p.severity], p.code, p.field or "",
                       p.message_vi])
        for col, width in zip("ABCDEF", (8, 22, 16, 22, 18, 100), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path

    def to_geojson(self, path: Path) -> Path:
        """Write the problem features (those with a geometry) as GeoJSON in WGS 84."""
        to_wgs = transformer(STORAGE_SRID, WGS84_SRID)
        features = []
        for p in self.problems:
            if p.geometry is None or shapely.is_empty(p.geometry):
                continue
            geom = shapely.transform(p.geometry, lambda xy: _project(to_wgs, xy))
            features.append({"type": "Feature", "properties": p.as_dict(),
                             "geometry": json.loads(shapely.to_geojson(geom))})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                   ensure_ascii=False), encoding="utf-8")
        return path


def _project(to_wgs: Any, xy: Any) -> Any:
    import numpy as np

    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
