"""Filters pick exactly the parcels and cases SQL says they should (demo database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.export import ExportFilters, ExportRequest, export
from gis.export.errors import (
    BadCrs,
    ExportTooLarge,
    UnknownCommune,
    UnknownFormat,
    UnknownLandUse,
    UnknownProject,
    UnknownStep,
)
from gis.workflow.overdue import overdue_cases

TODAY = dt.date(2026, 6, 1)


def exported_ids(session: Session, tmp: Path, kind: str, field: str, **filters: Any
                 ) -> set[int]:
    tmp.mkdir(parents=True, exist_ok=True)
    result = export(session, ExportRequest(kind, "gpkg", "EPSG:9215",  # type: ignore[arg-type]
                                           ExportFilters(**filters)), tmp, today=TODAY,
                    chunk=97)
    frame = pyogrio.read_dataframe(result.path, read_geometry=False)
    ids = {int(v) for v in frame[field]}
    assert result.features == len(frame) == len(ids)
    return ids


def sql_ids(session: Session, sql: str, **params: Any) -> set[int]:
    return {int(v) for v in session.execute(text(sql), params).scalars()}


def busiest_commune(session: Session) -> str:
    return str(session.execute(text(
        "SELECT p.commune_code FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar_one())


def test_case_filters_match_sql(demo_session: Session, tmp_path: Path) -> None:
    s = demo_session
    commune = busiest_commune(s)
    hncl = int(s.execute(text("SELECT id FROM projects WHERE code = 'CT-HNCL'")).scalar_one())
    base = ("SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
            " WHERE ")
    checks: list[tuple[dict[str, Any], str]] = [
        ({}, "true"),
        ({"project": "CT-HNCL"}, f"c.project_id = {hncl}"),
        ({"project": str(hncl)}, f"c.project_id = {hncl}"),
        ({"communes": (commune,)}, f"p.commune_code = '{commune}'"),
        ({"steps": ("notified", "inventoried")}, "c.step IN ('notified', 'inventoried')"),
        ({"land_uses": ("LUC", "ONT")}, "p.land_use_code IN ('LUC', 'ONT')"),
        ({"project": "ct-hncl", "communes": (commune,), "steps": ("plan_approved",)},
         f"c.project_id = {hncl} AND p.commune_code = '{commune}'"
         " AND c.step = 'plan_approved'"),
    ]
    for i, (filters, where) in enumerate(checks):
        expected = sql_ids(s, base + where)
        assert expected, filters  # every check selects something
        assert exported_ids(s, tmp_path / str(i), "cases", "IdHoSo", **filters) == expected, \
            filters


def test_overdue_filter_uses_the_workflow_rules(demo_session: Session, tmp_path: Path) -> None:
    s = demo_session
    hncl = int(s.execute(text("SELECT id FROM projects WHERE code = 'CT-HNCL'")).scalar_one())
    late = {d.case_id for d in overdue_cases(s, hncl, TODAY)}
    everything = sql_ids(s, "SELECT id FROM clearance_cases WHERE project_id = :p", p=hncl)
    assert late and late < everything
    assert exported_ids(s, tmp_path / "a", "cases", "IdHoSo", project="CT-HNCL",
                        overdue=True) == late
    assert exported_ids(s, tmp_path / "b", "cases", "IdHoSo", project="CT-HNCL",
                        overdue=False) == everything - late
    result = export(s, ExportRequest("cases", "gpkg", "EPSG:9215",
                                     ExportFilters(project="CT-HNCL")), tmp_path, today=TODAY)
    frame = pyogrio.read_dataframe(result.path, read_geometry=False)
    assert {int(i) for i in frame.loc[frame["QuaHan"].astype(bool), "IdHoSo"]} == late
    assert frame.loc[frame["QuaHan"].astype(bool), "HanChot"].map(
        lambda d: d.date() < TODAY).all()  # a real date in the GeoPackage
    parcels = exported_ids(s, tmp_path / "c", "parcels", "IdThua", project="CT-HNCL",
                           overdue=True)
    assert parcels == sql_ids(s, "SELECT DISTINCT parcel_id FROM clearance_cases"
                                 " WHERE id = ANY(:ids)", ids=sorted(late))


def test_parcel_filters_match_sql(demo_session: Session, tmp_path: Path) -> None:
    s = demo_session
    commune = busiest_commune(s)
    checks: list[tuple[dict[str, Any], str]] = [
        ({}, "SELECT id FROM parcels"),
        ({"communes": (commune,)}, f"SELECT id FROM parcels WHERE commune_code = '{commune}'"),
        ({"land_uses": ("BHK",)}, "SELECT id FROM parcels WHERE land_use_code = 'HNK'"),
        ({"project": "CT-HNCL"}, "SELECT DISTINCT c.parcel_id FROM clearance_cases c"
         " JOIN projects j ON j.id = c.project_id WHERE j.code = 'CT-HNCL'"),
        ({"project": "CT-HNCL", "steps": ("handed_over",)},
         "SELECT DISTINCT c.parcel_id FROM clearance_cases c JOIN projects j"
         " ON j.id = c.project_id WHERE j.code = 'CT-HNCL' AND c.step = 'handed_over'"),
    ]
    for i, (filters, sql) in enumerate(checks):
        expected = sql_ids(s, sql)
        assert expected, filters
        assert exported_ids(s, tmp_path / str(i), "parcels", "IdThua", **filters) == \
            expected, filters


@pytest.mark.parametrize(("change", "error", "code"), [
    ({"filters": ExportFilters(project="KHONG-CO")}, UnknownProject, "unknown_project"),
    ({"filters": ExportFilters(project="999999")}, UnknownProject, "unknown_project"),
    ({"filters": ExportFilters(communes=("99999",))}, UnknownCommune, "unknown_commune"),
    ({"filters": ExportFilters(steps=("paid_twice",))}, UnknownStep, "unknown_step"),
    ({"filters": ExportFilters(land_uses=("XYZ",))}, UnknownLandUse, "unknown_land_use"),
    ({"format": "dwg"}, UnknownFormat, "unknown_format"),
    ({"crs": "EPSG:3857"}, BadCrs, "bad_crs"),
    ({"crs": "VN-2000 UTM"}, BadCrs, "bad_crs"),
])
def test_bad_requests_are_refused_with_specific_errors(
        demo_session: Session, tmp_path: Path, change: dict[str, Any], error: type[Exception],
        code: str) -> None:
    request = ExportRequest(**{"kind": "cases", "format": "gpkg", **change})
    with pytest.raises(error) as caught:
        export(demo_session, request, tmp_path, today=TODAY)
    assert getattr(caught.value, "code", None) == code
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_too_large_is_refused_before_writing(demo_session: Session, tmp_path: Path) -> None:
    with pytest.raises(ExportTooLarge) as caught:
        export(demo_session, ExportRequest("parcels", "kml"), tmp_path, today=TODAY,
               max_features=100)
    n = int(demo_session.execute(text("SELECT count(*) FROM parcels")).scalar_one())
    assert caught.value.extra == {"features": n, "limit": 100}
    assert list(tmp_path.iterdir()) == []
