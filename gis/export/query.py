"""Which parcels or cases an export holds: filters checked against the database, one
count, then the rows streamed from a server-side cursor in chunks (never all at once).

Filters (all optional, combined with AND):

- ``project`` (code such as ``CT-HNCL``, or id): cases of that project; parcels with a case in it;
- ``communes``: the parcel's commune;
- ``steps``: the case's step; parcels with a case at that step;
- ``overdue``: True — cases with an obligation past its due date (the rules of
  ``gis.workflow.overdue``), False — cases without one; parcels with such a case;
- ``land_uses``: the parcel's 2024 land-use code (pre-2024 codes are mapped first).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE, SCOPE_COMMUNE_SQL, SCOPE_PROJECT_SQL, Scope
from gis.core.domain import CaseStep
from gis.core.landuse import normalise_land_use_code
from gis.export.columns import Column
from gis.export.errors import UnknownCommune, UnknownLandUse, UnknownProject, UnknownStep
from gis.workflow.overdue import CaseDeadline, case_deadlines

ExportKind = Literal["parcels", "cases"]
_PROJECT_REF = re.compile(r"[\w.\-/]{1,64}")  # codes such as CT-HNCL, or ids
_COMMUNE_CODE = re.compile(r"[0-9]{5}")
KIND_VI: dict[str, str] = {"parcels": "thửa đất", "cases": "hồ sơ GPMB"}


@dataclass(frozen=True)
class ExportFilters:
    """The filters as a person gave them (codes and names, not yet checked)."""

    project: str | None = None
    communes: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    overdue: bool | None = None
    land_uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """Checked filters, ready for SQL."""

    project_id: int | None = None
    project_code: str | None = None
    communes: tuple[str, ...] = ()
    steps: tuple[CaseStep, ...] = ()
    overdue: bool | None = None
    land_uses: tuple[str, ...] = ()
    scope: Scope = PROVINCE

    def describe_vi(self) -> str:
        """The filters in Vietnamese, for the Excel notes sheet and the CLI."""
        parts = []
        if self.project_code:
            parts.append(f"dự án {self.project_code}")
        if self.communes:
            parts.append("xã " + ", ".join(self.communes))
        if self.steps:
            parts.append("bước " + ", ".join(s.value for s in self.steps))
        if self.overdue is not None:
            parts.append("quá hạn" if self.overdue else "không quá hạn")
        if self.land_uses:
            parts.append("loại đất " + ", ".join(self.land_uses))
        return "; ".join(parts) or "không lọc (tất cả)"


def _project(session: Session, ref: str, scope: Scope) -> tuple[int, str]:
    ref = ref.strip()
    params = {"ref": ref, **scope.sql_params()}
    visible = SCOPE_PROJECT_SQL.format(project="id")
    row = None if not _PROJECT_REF.fullmatch(ref) else session.execute(text(
        "SELECT id, code FROM projects WHERE (upper(code) = upper(:ref)"
        " OR (:ref ~ '^[0-9]{1,9}$' AND id = CAST(:ref AS integer))) AND " + visible +
        " ORDER BY upper(code) = upper(:ref) DESC LIMIT 1"), params).first()
    if row is None:
        known = ", ".join(session.execute(text(
            "SELECT code FROM projects WHERE " + visible + " ORDER BY code"), params).scalars())
        raise UnknownProject(f"no project {ref!r}", message_vi=f"Không có dự án '{ref}'. "
                             f"Các dự án hiện có: {known or 'chưa có'}.", project=ref)
    return int(row.id), str(row.code)


def _communes(session: Session, codes: Sequence[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        return ()
    found = set(session.execute(text("SELECT code FROM communes WHERE code = ANY(:c)"),
                                {"c": [c for c in wanted if _COMMUNE_CODE.fullmatch(c)]})
                .scalars())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise UnknownCommune(f"unknown commune(s): {', '.join(missing)}",
                             message_vi=f"Không có xã/phường mã {', '.join(missing)} trong "
                             "tỉnh Lạng Sơn (mã xã gồm 5 chữ số, theo danh mục sau sáp nhập "
                             "2025).", communes=missing)
    return wanted


def _steps(values: Sequence[str]) -> tuple[CaseStep, ...]:
    steps: list[CaseStep] = []
    for value in values:
        try:
            steps.append(CaseStep(value.strip()))
        except ValueError:
            allowed = ", ".join(s.value for s in CaseStep)
            raise UnknownStep(f"unknown step {value!r}", message_vi=f"Bước '{value}' không "
                              f"hợp lệ. Chọn một trong: {allowed}.", step=value) from None
    return tuple(dict.fromkeys(steps))


def _land_uses(values: Sequence[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for value in values:
        code = normalise_land_use_code(value) if value.strip() else None
        if code is None:
            raise UnknownLandUse(f"unknown land-use code {value!r}",
                                 message_vi=f"Mã loại đất '{value}' không có trong danh mục "
                                 "2024 (ví dụ ONT, LUC, CLN, RSX) hay mã cũ (BHK, NHK, LUN…).",
                                 land_use=value)
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _given(values: Sequence[str] | None) -> tuple[str, ...]:
    """The values filled in: an HTML form sends ``commune=`` for "all communes"."""
    return tuple(v for v in values or () if v.strip())


def filters_from_query(project: str | None = None, communes: Sequence[str] | None = None,
                       steps: Sequence[str] | None = None, overdue: bool | None = None,
                       land_uses: Sequence[str] | None = None) -> ExportFilters:
    """The filters of a query string or form (``project``, ``commune``, ``step``,
    ``overdue``, ``land_use``), blanks dropped: the one parser of the export API and the
    project map's filters, so a map's count and its export cannot disagree."""
    return ExportFilters(project if project and project.strip() else None, _given(communes),
                         _given(steps), overdue, _given(land_uses))


def resolve(session: Session, f: ExportFilters, scope: Scope = PROVINCE) -> Selection:
    """Check every filter against the database: unknown values get specific errors (a
    project outside ``scope`` is unknown). The selection keeps only what ``scope`` holds."""
    project_id, project_code = (_project(session, f.project, scope) if f.project
                                else (None, None))
    communes = _communes(session, f.communes)
    return Selection(project_id, project_code, communes, _steps(f.steps), f.overdue,
                     _land_uses(f.land_uses), scope)


def late_case_ids(session: Session, sel: Selection, today: dt.date, *, limit: int
                  ) -> list[int]:
    """The overdue cases among ``sel``'s (what ``overdue`` filters on), sorted."""
    return sorted(case_id for case_id, d in deadlines(session, sel, today, limit=limit).items()
                  if d.is_overdue)


def deadlines(session: Session, sel: Selection, today: dt.date, *,
              limit: int) -> dict[int, CaseDeadline]:
    """Next obligation of each open case in scope (``gis.workflow.overdue``), by case id."""
    commune = sel.communes[0] if len(sel.communes) == 1 else None
    return {d.case_id: d for d in case_deadlines(session, today, project_id=sel.project_id,
                                                 commune_code=commune, limit=limit)}


def _case_conditions(sel: Selection, late_ids: list[int], alias: str
                     ) -> tuple[list[str], dict[str, Any]]:
    conds: list[str] = []
    params: dict[str, Any] = {}
    if sel.scope.projects is not None:
        conds.append(SCOPE_PROJECT_SQL.format(project=f"{alias}.project_id"))
    if sel.project_id is not None:
        conds.append(f"{alias}.project_id = :project_id")
        params["project_id"] = sel.project_id
    if sel.steps:
        conds.append(f"{alias}.step::text = ANY(:steps)")
        params["steps"] = [s.value for s in sel.steps]
    if sel.overdue is not None:
        conds.append(f"{'' if sel.overdue else 'NOT '}{alias}.id = ANY(:late)")
        params["late"] = late_ids
    return conds, params


def where_clause(kind: ExportKind, sel: Selection, late_ids: list[int]
                 ) -> tuple[str, dict[str, Any]]:
    """`` WHERE …`` and its parameters selecting ``sel`` (``late_ids``: the overdue cases)
    from ``FROM_SQL[kind]`` (parcels ``p``; cases ``cc``)."""
    conds: list[str] = []
    params: dict[str, Any] = dict(sel.scope.sql_params())
    if sel.scope.communes is not None:
        conds.append(SCOPE_COMMUNE_SQL.format(commune="p.commune_code"))
    if sel.communes:
        conds.append("p.commune_code = ANY(:communes)")
        params["communes"] = list(sel.communes)
    if sel.land_uses:
        conds.append("p.land_use_code = ANY(:land_uses)")
        params["land_uses"] = list(sel.land_uses)
    case_conds, case_params = _case_conditions(sel, late_ids, "cc" if kind == "cases" else "x")
    params.update(case_params)
    if kind == "cases":
        conds += case_conds
    elif case_conds:
        conds.append("EXISTS (SELECT 1 FROM clearance_cases x WHERE x.parcel_id = p.id AND "
                     + " AND ".join(case_conds) + ")")
    return (" WHERE " + " AND ".join(conds)) if conds else "", params


FROM_SQL = {
    "parcels": ("FROM parcels p JOIN surveys s ON s.id = p.survey_id"
                " JOIN communes cm ON cm.code = p.commune_code"
                " LEFT JOIN land_use_types lu ON lu.code = p.land_use_code"),
    "cases": ("FROM clearance_cases cc JOIN parcels p ON p.id = cc.parcel_id"
              " JOIN projects pj ON pj.id = cc.project_id"
              " JOIN communes cm ON cm.code = p.commune_code"),
}
_HOLDERS = """LEFT JOIN LATERAL (
    SELECT string_agg(u.full_name, '; ' ORDER BY u.id) AS names,
           string_agg(u.citizen_id, '; ' ORDER BY u.id) AS citizen_ids,
           string_agg(u.phone, '; ' ORDER BY u.id) AS phones
    FROM parcel_land_users pl JOIN land_users u ON u.id = pl.land_user_id
    WHERE pl.parcel_id = p.id) h ON true"""
_PROJECTS = """LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT pj.code, '; ') AS codes
    FROM clearance_cases y JOIN projects pj ON pj.id = y.project_id
    WHERE y.parcel_id = p.id
      AND (CAST(:scope_projects AS integer[]) IS NULL
           OR y.project_id = ANY(CAST(:scope_projects AS integer[])))) pr ON true"""


def count(session: Session, kind: ExportKind, sel: Selection, late_ids: list[int]) -> int:
    """How many features the export will hold (``late_ids``: the overdue cases)."""
    where, params = where_clause(kind, sel, late_ids)
    return int(session.execute(text(f"SELECT count(*) {FROM_SQL[kind]}{where}"), params)
               .scalar_one())


def stream(session: Session, kind: ExportKind, sel: Selection, late_ids: list[int],
           columns: Sequence[Column], *, chunk: int) -> Iterator[list[dict[str, Any]]]:
    """The selected rows ordered by id, ``chunk`` at a time from a server-side cursor;
    each row has the selected columns and ``wkb`` (EPSG:9215 geometry)."""
    where, params = where_clause(kind, sel, late_ids)
    select = ", ".join(f'{c.sql} AS "{c.name}"' for c in columns if c.sql is not None)
    geom = "p.geom" if kind == "parcels" else "cc.recovered_geom"
    joins = _HOLDERS + ("\n" + _PROJECTS if kind == "parcels" else "")
    order = "p.id" if kind == "parcels" else "cc.id"
    sql = (f"SELECT {select}, ST_AsBinary({geom}) AS wkb {FROM_SQL[kind]}\n{joins}{where}"
           f" ORDER BY {order}")
    result = session.execute(text(sql), params, execution_options={"yield_per": chunk})
    for part in result.mappings().partitions(chunk):
        yield [dict(row) for row in part]
