"""Land users named in a parcel file (``ChuSuDung``/``TENCHU``): after the parcels are
written, each name becomes a land user of its parcel through the household import's own
matching and write (the same name already on the parcel is that person; shares split
equally among the names of a parcel, "; "-separated as GPMB's exports write them)."""

from __future__ import annotations

import re

import geopandas as gpd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.domain import LandUserKind
from gis.ingest.households import HolderRow, HouseholdImportResult, _cross_checks, _write
from gis.ingest.report import ValidationReport
from gis.ingest.writer import HolderCounts

_SEPARATORS = re.compile(r"\s*[;\n]\s*")


def split_names(value: object) -> list[str]:
    """The distinct names of one cell ("A; B" → ["A", "B"]), in order."""
    if not isinstance(value, str):
        return []
    seen: dict[str, str] = {}
    for name in _SEPARATORS.split(value.strip()):
        name = re.sub(r"\s+", " ", name).strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def attach_holders(session: Session, rows: gpd.GeoDataFrame, survey_id: int) -> HolderCounts:
    """Link the names of ``rows`` to the parcels the last write targeted (read from its
    temporary tables), creating land users where the parcel has no one of that name."""
    names = {int(r): split_names(v) for r, v in zip(rows["row_no"], rows["land_user_name"],
                                                    strict=True)}
    named = [r for r, n in names.items() if n]
    if not named:
        return HolderCounts()
    targets = session.execute(text("""
        SELECT d.row_no, coalesce(d.parcel_id, p.id), s.commune_code,
               s.commune_code || '/' || s.sheet_no || '/' || s.parcel_no
        FROM import_diff d JOIN import_stage s USING (row_no)
        LEFT JOIN parcels p ON d.parcel_id IS NULL AND p.survey_id = :sid
             AND p.commune_code = s.commune_code
             AND p.sheet_commune_code = s.sheet_commune_code AND p.sheet_no = s.sheet_no
             AND p.parcel_no = s.parcel_no
        WHERE d.row_no = ANY(:rows)"""), {"sid": survey_id, "rows": named}).all()
    parcel_ids = sorted({int(t[1]) for t in targets if t[1] is not None})
    # a person already holding the parcel keeps what is recorded of them (kind, commune)
    known = {(int(pid), str(name).casefold()): (LandUserKind(kind), commune)
             for pid, name, kind, commune in session.execute(text(
                 "SELECT pu.parcel_id, u.full_name, u.kind::text, u.commune_code"
                 " FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id"
                 " WHERE pu.parcel_id = ANY(:p)"), {"p": parcel_ids}).all()}
    holders = []
    for row, pid, commune, ident in targets:
        if pid is None:
            continue
        for name in names[int(row)]:
            kind, home = known.get((int(pid), name.casefold()),
                                   (LandUserKind.HOUSEHOLD, commune))
            holders.append(HolderRow(int(row), int(pid), str(ident), name, None, None, None,
                                     kind, str(home or commune), None))
    result = HouseholdImportResult(ValidationReport(source=""))
    _cross_checks(holders, result.report)  # equal shares per parcel
    users, holdings = _write(session, holders, result)
    return HolderCounts(len(named), result.users_created, result.users_updated,
                        result.holdings_created, result.holdings_updated,
                        tuple(users), tuple(holdings))
