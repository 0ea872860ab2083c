"""Bulk step updates from an Excel sheet: every row checked, all applied or none.

The first sheet has a header row naming (in Vietnamese, case and accents as written, or the
English keys) the columns: ``Mã hồ sơ`` (case_id), ``Bước`` (step: a ``CaseStep`` value or
its Vietnamese label), ``Ngày`` (occurred_on), and optionally ``Số văn bản``,
``Ngày văn bản``, ``Người ký``, ``Ghi chú``, ``Phiên bản`` (version). Rows are applied in
order, each through ``record_step`` in its own savepoint, so a later row sees the earlier
ones (a case can move two steps in one sheet). Any refused row makes the whole import fail
with ``ImportRejected`` listing every refused row; the caller then rolls back.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from gis.core.domain import STEP_LABELS_VI, CaseStep
from gis.core.errors import GpmbError, ImportRejected
from gis.models import ClearanceCase
from gis.workflow.service import EventResult, record_step

MAX_ROWS = 5000
HEADERS = {
    "mã hồ sơ": "case_id", "case_id": "case_id",
    "bước": "step", "step": "step",
    "ngày": "occurred_on", "occurred_on": "occurred_on",
    "số văn bản": "decision_no", "decision_no": "decision_no",
    "ngày văn bản": "decision_date", "decision_date": "decision_date",
    "người ký": "signer", "signer": "signer",
    "ghi chú": "note", "note": "note",
    "phiên bản": "version", "version": "version",
}
REQUIRED = ("case_id", "step", "occurred_on")
STEP_BY_LABEL = {label.lower(): step for step, label in STEP_LABELS_VI.items()}


@dataclass(frozen=True)
class RowProblem:
    """Why one row of the sheet was refused (``row`` as Excel numbers it)."""

    row: int
    case_id: int | None
    code: str
    message: str


@dataclass(frozen=True)
class AppliedRow:
    """A row that was recorded."""

    row: int
    case_id: int
    step: CaseStep
    event_id: int
    version: int


def reject(problems: list[RowProblem], message: str | None = None) -> ImportRejected:
    """The error that refuses the whole sheet, with the per-row report in ``extra``."""
    return ImportRejected(
        f"{len(problems)} row(s) refused",
        message_vi=message or "Có {count} dòng lỗi; chưa có dòng nào được ghi. "
        "Sửa các dòng được liệt kê rồi gửi lại.", params={"count": len(problems)},
        reason="rows_refused", rows=[p.__dict__ for p in problems])


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"Ngày '{text}' không đúng dạng dd/mm/yyyy.")


def _int(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{label} phải là số nguyên.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    raise ValueError(f"{label} '{text}' phải là số nguyên.")


def _step(value: Any) -> CaseStep:
    text = str(value).strip()
    try:
        return CaseStep(text)
    except ValueError:
        if text.lower() in STEP_BY_LABEL:
            return STEP_BY_LABEL[text.lower()]
    raise ValueError(f"Bước '{text}' không có trong danh mục (ví dụ: notified, inventoried…).")


@dataclass(frozen=True)
class SheetRow:
    """A parsed row."""

    row: int
    case_id: int
    values: dict[str, Any]


def read_sheet(content: bytes) -> list[SheetRow]:
    """Parse the workbook; refuse it whole when the file, header or any cell is wrong."""
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise ImportRejected(f"not an xlsx workbook: {exc}", message_vi="Tệp không phải bảng "
                             "tính Excel (.xlsx) hợp lệ.", reason="not_xlsx") from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip().lower() if h is not None else "" for h in next(rows, ())]
    columns = {i: HEADERS[h] for i, h in enumerate(header) if h in HEADERS}
    missing = [c for c in REQUIRED if c not in columns.values()]
    if missing:
        raise ImportRejected(f"missing columns {missing}", message_vi="Thiếu cột bắt buộc: "
                             "Mã hồ sơ, Bước, Ngày (dòng 1 là tiêu đề).",
                             reason="missing_columns", columns=missing)
    parsed: list[SheetRow] = []
    problems: list[RowProblem] = []
    for number, cells in enumerate(rows, start=2):
        raw = {name: cells[i] for i, name in columns.items() if i < len(cells)}
        if all(v is None or str(v).strip() == "" for v in raw.values()):
            continue
        if len(parsed) + len(problems) >= MAX_ROWS:
            raise ImportRejected("too many rows", message_vi="Tối đa {most} dòng mỗi tệp.",
                                 params={"most": MAX_ROWS},
                                 reason="too_many_rows")
        try:
            blank = [n for n in REQUIRED if raw.get(n) in (None, "")]
            if blank:
                raise ValueError("Thiếu giá trị ở cột bắt buộc (Mã hồ sơ, Bước, Ngày).")
            case_id = _int(raw["case_id"], "Mã hồ sơ")
            values: dict[str, Any] = {"to_step": _step(raw["step"]),
                                      "occurred_on": _date(raw["occurred_on"])}
            for name in ("decision_no", "signer", "note"):
                if raw.get(name) not in (None, ""):
                    values[name] = str(raw[name]).strip()
            if raw.get("decision_date") not in (None, ""):
                values["decision_date"] = _date(raw["decision_date"])
            if raw.get("version") not in (None, ""):
                values["expected_version"] = _int(raw["version"], "Phiên bản")
            parsed.append(SheetRow(number, case_id, values))
        except ValueError as exc:
            problems.append(RowProblem(number, None, "bad_cell", str(exc)))
    if problems:
        raise reject(problems)
    if not parsed:
        raise ImportRejected("no rows", message_vi="Bảng tính không có dòng dữ liệu nào.",
                             reason="empty")
    return parsed


def apply_rows(session: Session, rows: list[SheetRow], *, actor_id: int,
               today: dt.date | None = None) -> list[AppliedRow]:
    """Record every row in the caller's transaction; refuse all when any row fails."""
    applied: list[AppliedRow] = []
    problems: list[RowProblem] = []
    for row in rows:
        values = dict(row.values)
        if "expected_version" not in values:
            case = session.get(ClearanceCase, row.case_id, populate_existing=True)
            values["expected_version"] = case.version if case else 0
        try:
            result: EventResult = record_step(session, row.case_id, actor_id=actor_id,
                                              today=today, **values)
        except GpmbError as exc:
            problems.append(RowProblem(row.row, row.case_id, exc.code, exc.message_vi))
            continue
        applied.append(AppliedRow(row.row, row.case_id, result.step, result.event_id,
                                  result.version))
    if problems:
        raise reject(problems)
    return applied
