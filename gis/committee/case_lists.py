"""Saved lists of clearance cases that a task points to, e.g. "cases with an enforcement
decision whose households have not taken the money". A list is its conditions (stored as
JSON on the task), evaluated on the cases' current state whenever it is read, so it
updates itself as cases move on.

Conditions (all optional, combined with AND): ``project`` (code), ``commune`` (code),
``steps`` (list of case steps), ``enforcement`` (an enforcement decision exists),
``money_not_taken`` (an approved amount not fully paid, or money deposited at the
treasury because the household did not take it), ``overdue`` (a legal deadline passed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.capital.disbursement import refuse
from gis.core.domain import STEP_LABELS_VI, CaseStep

KEYS = frozenset({"project", "commune", "steps", "enforcement", "money_not_taken", "overdue"})
FLAGS = ("enforcement", "money_not_taken", "overdue")
FLAG_LABELS_VI = {"enforcement": "có quyết định cưỡng chế",
                  "money_not_taken": "hộ chưa nhận tiền",
                  "overdue": "quá hạn theo quy định"}


def check_case_list(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """The conditions of a saved list, normalised; unknown keys and values refused."""
    if raw is None or raw == {}:
        return None
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise refuse(f"unknown conditions {unknown}", "Điều kiện lọc không hợp lệ: "
                     "{unknown}. Dùng: {known}.", "bad_case_list",
                     {"unknown": ", ".join(unknown), "known": ", ".join(sorted(KEYS))},
                     field="case_list")
    out: dict[str, Any] = {}
    for key in ("project", "commune"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise refuse(f"{key} must be a code", "Điều kiện '{key}' phải là một mã.",
                             "bad_case_list", {"key": key}, field=f"case_list.{key}")
            out[key] = raw[key].strip()
    if raw.get("steps"):
        steps = raw["steps"]
        valid = {c.value for c in CaseStep}
        if not isinstance(steps, list) or any(not isinstance(s, str) or s not in valid
                                              for s in steps):
            raise refuse("bad steps", "Điều kiện 'steps' phải là danh sách bước hồ sơ hợp lệ.",
                         "bad_case_list", field="case_list.steps")
        out["steps"] = sorted(set(steps))
    for flag in FLAGS:
        if raw.get(flag) is not None:
            if not isinstance(raw[flag], bool):
                raise refuse(f"{flag} must be true/false", "Điều kiện '{flag}' phải là "
                             "true hoặc false.", "bad_case_list", {"flag": flag},
                             field=f"case_list.{flag}")
            if raw[flag]:
                out[flag] = True
    return out or None


def describe_vi(conditions: dict[str, Any]) -> str:
    """The list in words: "Hồ sơ dự án CT-HNCL, có quyết định cưỡng chế, hộ chưa nhận tiền"."""
    parts = ["Hồ sơ"]
    if "project" in conditions:
        parts.append(f"dự án {conditions['project']}")
    if "commune" in conditions:
        parts.append(f"xã/phường mã {conditions['commune']}")
    if "steps" in conditions:
        parts.append("bước " + " / ".join(STEP_LABELS_VI[CaseStep(s)].lower()
                                           for s in conditions["steps"]))
    parts.extend(FLAG_LABELS_VI[f] for f in FLAGS if conditions.get(f))
    return parts[0] + " " + ", ".join(parts[1:]) if len(parts) > 1 else "Tất cả hồ sơ"


def _where(conditions: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    clauses, params = ["true"], {}
    if "project" in conditions:
        clauses.append("p.code = :project")
        params["project"] = conditions["project"]
    if "commune" in conditions:
        clauses.append("pa.commune_code = :commune")
        params["commune"] = conditions["commune"]
    if "steps" in conditions:
        clauses.append("c.step::text = ANY(:steps)")
        params["steps"] = conditions["steps"]
    if conditions.get("enforcement"):
        clauses.append("c.enforcement_stage IS NOT NULL")
    if conditions.get("money_not_taken"):
        clauses.append("c.approved_total_vnd > 0 AND (c.paid_vnd < c.approved_total_vnd OR "
                       "EXISTS (SELECT 1 FROM payments y WHERE y.case_id = c.id "
                       "AND y.method = 'treasury_deposit'))")
    if conditions.get("overdue"):
        clauses.append("EXISTS (SELECT 1 FROM case_next_deadlines d WHERE d.case_id = c.id "
                       "AND d.due_on < :today)")
    return " AND ".join(clauses), params


_FROM = """FROM clearance_cases c JOIN projects p ON p.id = c.project_id
JOIN parcels pa ON pa.id = c.parcel_id"""


@dataclass(frozen=True)
class ListedCase:
    """One case of a saved list."""

    id: int
    project_code: str
    commune_code: str
    sheet_no: int
    parcel_no: int
    step: CaseStep
    recovered_area_m2: Decimal
    approved_total_vnd: int
    paid_vnd: int


def count_cases(session: Session, conditions: dict[str, Any], today: dt.date) -> int:
    """How many cases meet the conditions now."""
    where, params = _where(conditions)
    return int(session.execute(text(f"SELECT count(*) {_FROM} WHERE {where}"),
                               {**params, "today": today}).scalar_one())


def list_cases(session: Session, conditions: dict[str, Any], today: dt.date, *,
               limit: int = 200) -> list[ListedCase]:
    """The cases meeting the conditions now (most money outstanding first)."""
    where, params = _where(conditions)
    rows = session.execute(text(
        f"SELECT c.id, p.code, pa.commune_code, pa.sheet_no, pa.parcel_no, c.step, "
        f"c.recovered_area_m2, c.approved_total_vnd, c.paid_vnd {_FROM} WHERE {where} "
        "ORDER BY c.approved_total_vnd - c.paid_vnd DESC, c.id LIMIT :limit"),
        {**params, "today": today, "limit": limit}).all()
    return [ListedCase(r[0], r[1], r[2], r[3], r[4], CaseStep(r[5]), r[6], r[7], r[8])
            for r in rows]
