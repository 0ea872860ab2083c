"""Clearance figures per project, per commune and in total, as of any day.

One query over the replayed case state (``gis.progress.state``) with grouping sets, so
each level is exact: sums add up (the total of a column is the sum of its rows), and
households (distinct land users of the cases' parcels) are counted without duplicates at
every level — a household holding land in two communes is one household in the total.
Households approved and paid come from the household compensation records: approved with
a decision in force at the end of the day, paid when paid + deposited = approved > 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from gis.core.domain import CaseStep
from gis.progress.state import (
    APPROVED,
    COUNTED,
    HANDED,
    HISTORY_END_SQL,
    LAST_STEP_KEY,
    PAID,
    STEP_ARRAY,
    case_state_sql,
    history_end,
    in_list,
    no_jit,
    step_mask,
)
from gis.workflow.deadlines import DeadlineKind

M2_PER_HA = Decimal(10_000)


@dataclass(frozen=True)
class Figures:
    """What was true on ``as_of`` for one scope (a project × commune, a project, a commune,
    or everything). Areas in m², money in whole VND."""

    parcels: int
    households: int
    area_m2: Decimal
    handed_over_m2: Decimal
    parcels_by_step: dict[CaseStep, int]
    households_by_step: dict[CaseStep, int]
    parcels_counted: int
    households_counted: int
    parcels_approved: int
    households_approved: int
    parcels_paid: int
    households_paid: int
    parcels_handed_over: int
    households_handed_over: int
    approved_vnd: int
    paid_vnd: int
    resettlement_needed: int
    resettlement_allocated: int
    complaints_filed: int
    complaints_open: int
    enforcement_decided: int
    enforcement_executed: int
    overdue: dict[DeadlineKind, int]

    @property
    def area_ha(self) -> Decimal:
        """Area to recover, in hectares."""
        return self.area_m2 / M2_PER_HA

    @property
    def handed_over_ha(self) -> Decimal:
        """Area handed over, in hectares."""
        return self.handed_over_m2 / M2_PER_HA

    @property
    def remaining_m2(self) -> Decimal:
        """Area still to hand over."""
        return self.area_m2 - self.handed_over_m2

    @property
    def handed_over_pct(self) -> float:
        """Share of the area handed over, 0–100."""
        return float(self.handed_over_m2 / self.area_m2 * 100) if self.area_m2 else 0.0

    @property
    def outstanding_vnd(self) -> int:
        """Approved but not yet paid."""
        return self.approved_vnd - self.paid_vnd

    @property
    def overdue_total(self) -> int:
        """Cases with an overdue obligation, of any kind."""
        return sum(self.overdue.values())


HOUSEHOLD_FIELDS = frozenset(f.name for f in fields(Figures) if f.name.startswith("households"))
"""Distinct counts: a total may be less than the sum of its rows."""
ADDITIVE_FIELDS = tuple(f.name for f in fields(Figures) if f.name not in HOUSEHOLD_FIELDS)
"""Figures whose total is the sum of the rows (dicts add up key by key)."""


@dataclass(frozen=True)
class ProgressFigures:
    """Figures as of a day: the total, per project, per commune and per project × commune."""

    as_of: dt.date
    total: Figures
    by_project: dict[int, Figures]
    by_commune: dict[str, Figures]
    by_project_commune: dict[tuple[int, str], Figures]


def _step_cols(prefix: str, expr: str, *, mask: bool = False) -> str:
    def cond(s: CaseStep) -> str:
        return f"steps & {step_mask(frozenset({s}))} <> 0" if mask else f"step = '{s.value}'"
    return ",\n".join(expr.format(cond=cond(s)) + f" AS {prefix}_{s.value}" for s in CaseStep)


_H_COLUMNS = ", ".join(["households", *(f"h_{s.value}" for s in CaseStep),
                        "households_counted", "households_approved", "households_paid",
                        "households_handed_over"])


_RECORD_COLUMNS = frozenset({"households_approved", "households_paid"})
"""Counted from the household compensation records (revision 0008), not the case steps."""

_GROUPS = "GROUPING SETS ((project_id, commune_code), (project_id), (commune_code), ())"

_RECORDS = """hd AS (
    -- Household records: the decisions in force at the end of the day, and their ledger.
    SELECT d.household_id, sum(d.total_vnd) AS approved
    FROM compensation_decisions d
    WHERE d.decision_date <= :as_of AND NOT EXISTS (
        SELECT 1 FROM compensation_decisions x
        WHERE x.amends_decision_id = d.id AND x.decision_date <= :as_of)
    GROUP BY d.household_id
), hl AS (
    SELECT y.household_id, sum(y.amount_vnd) AS settled FROM payments y
    WHERE y.household_id IS NOT NULL AND y.paid_on <= :as_of GROUP BY y.household_id
)"""
"""A household record is paid when paid + deposited = approved > 0 (``hd`` × ``hl``)."""

_FIGURES = f""",
a AS (
    SELECT GROUPING(project_id, commune_code) AS gid, project_id, commune_code,
        count(*) AS parcels,
        COALESCE(sum(area_m2), 0) AS area_m2,
        COALESCE(sum(area_m2) FILTER (WHERE step IN {in_list(HANDED)}), 0) AS handed_over_m2,
        {_step_cols("p", "count(*) FILTER (WHERE {cond})")},
        count(*) FILTER (WHERE step IN {in_list(COUNTED)}) AS parcels_counted,
        count(*) FILTER (WHERE step IN {in_list(APPROVED)}) AS parcels_approved,
        count(*) FILTER (WHERE step IN {in_list(PAID)}) AS parcels_paid,
        count(*) FILTER (WHERE step IN {in_list(HANDED)}) AS parcels_handed_over,
        COALESCE(sum(approved_total_vnd) FILTER (WHERE step IN {in_list(APPROVED)}), 0)
            AS approved_vnd,
        COALESCE(sum(paid_vnd), 0) AS paid_vnd,
        count(*) FILTER (WHERE resettlement_needed AND step <> 'not_started')
            AS resettlement_needed,
        count(*) FILTER (WHERE plots > 0) AS resettlement_allocated,
        COALESCE(sum(complaints_filed), 0) AS complaints_filed,
        count(*) FILTER (WHERE complaints_filed > complaints_resolved) AS complaints_open,
        count(*) FILTER (WHERE enforcement_decided) AS enforcement_decided,
        count(*) FILTER (WHERE enforcement_executed) AS enforcement_executed,
        {",".join(f"count(*) FILTER (WHERE overdue_what = '{k.value}') AS o_{k.value}"
                  for k in DeadlineKind)}
    FROM s GROUP BY {_GROUPS}
), hu AS (
    -- Each household once per grouping level, with the steps of its cases there as bits.
    SELECT GROUPING(s.project_id, s.commune_code) AS gid, s.project_id, s.commune_code,
        bit_or(1 << s.step_no) AS steps
    FROM s CROSS JOIN LATERAL (
        -- OFFSET 0 keeps this an index lookup per case: the planner cannot estimate the
        -- replayed state's size and would otherwise hash every land user of the province.
        SELECT pu.land_user_id FROM parcel_land_users pu WHERE pu.parcel_id = s.parcel_id
        OFFSET 0) u
    GROUP BY GROUPING SETS ((s.project_id, s.commune_code, u.land_user_id),
                            (s.project_id, u.land_user_id),
                            (s.commune_code, u.land_user_id), (u.land_user_id))
), h AS (
    SELECT gid, project_id, commune_code,
        count(*) AS households,
        {_step_cols("h", "count(*) FILTER (WHERE {cond})", mask=True)},
        count(*) FILTER (WHERE steps & {step_mask(COUNTED)} <> 0) AS households_counted,
        count(*) FILTER (WHERE steps & {step_mask(HANDED)} <> 0) AS households_handed_over
    FROM hu GROUP BY gid, project_id, commune_code
), {_RECORDS}, hr AS (
    -- A household is approved with a plan in force, paid when paid + deposited = approved
    -- > 0; it counts wherever one of its cases is.
    SELECT GROUPING(s.project_id, s.commune_code) AS gid, s.project_id, s.commune_code,
        count(DISTINCT hc.household_id) AS households_approved,
        count(DISTINCT hc.household_id) FILTER (
            WHERE hd.approved > 0 AND COALESCE(hl.settled, 0) = hd.approved) AS households_paid
    FROM s JOIN compensation_household_cases hc ON hc.case_id = s.id
    JOIN hd ON hd.household_id = hc.household_id
    LEFT JOIN hl ON hl.household_id = hc.household_id
    GROUP BY {_GROUPS}
)
SELECT a.*, {", ".join("h." + c for c in _H_COLUMNS.split(", ") if c not in _RECORD_COLUMNS)},
    COALESCE(hr.households_approved, 0) AS households_approved,
    COALESCE(hr.households_paid, 0) AS households_paid
FROM a LEFT JOIN h ON h.gid = a.gid
    AND h.project_id IS NOT DISTINCT FROM a.project_id
    AND h.commune_code IS NOT DISTINCT FROM a.commune_code
LEFT JOIN hr ON hr.gid = a.gid
    AND hr.project_id IS NOT DISTINCT FROM a.project_id
    AND hr.commune_code IS NOT DISTINCT FROM a.commune_code
"""
_SQL = case_state_sql() + _FIGURES
_CURRENT_SQL = case_state_sql(current=True) + _FIGURES.replace(
    "SELECT a.*,", f"SELECT ({HISTORY_END_SQL}) AS history_end, a.*,")
"""The figures from the current state, with the history's end read in the same snapshot:
an event recorded (back-dated) after the caller's check shows there, and it replays."""


def _figures(row: dict[str, Any]) -> Figures:
    def n(key: str) -> int:
        value = row.get(key)
        return int(value) if value is not None else 0

    return Figures(
        parcels=n("parcels"), households=n("households"),
        area_m2=Decimal(row["area_m2"]), handed_over_m2=Decimal(row["handed_over_m2"]),
        parcels_by_step={s: n(f"p_{s.value}") for s in CaseStep},
        households_by_step={s: n(f"h_{s.value}") for s in CaseStep},
        parcels_counted=n("parcels_counted"), households_counted=n("households_counted"),
        parcels_approved=n("parcels_approved"), households_approved=n("households_approved"),
        parcels_paid=n("parcels_paid"), households_paid=n("households_paid"),
        parcels_handed_over=n("parcels_handed_over"),
        households_handed_over=n("households_handed_over"),
        approved_vnd=n("approved_vnd"), paid_vnd=n("paid_vnd"),
        resettlement_needed=n("resettlement_needed"),
        resettlement_allocated=n("resettlement_allocated"),
        complaints_filed=n("complaints_filed"), complaints_open=n("complaints_open"),
        enforcement_decided=n("enforcement_decided"),
        enforcement_executed=n("enforcement_executed"),
        overdue={k: n(f"o_{k.value}") for k in DeadlineKind},
    )


EMPTY = Figures(0, 0, Decimal(0), Decimal(0), dict.fromkeys(CaseStep, 0),
                dict.fromkeys(CaseStep, 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                dict.fromkeys(DeadlineKind, 0))
"""Figures of a scope without cases."""


def _state_rows(session: Session, as_of: dt.date, replayed: str, current: str,
                params: dict[str, Any], replay: bool) -> list[RowMapping]:
    """Rows of ``replayed`` (the history replayed to ``as_of``), or of ``current`` (the
    cases' current state, with ``history_end`` in its rows) when that gives the same."""
    no_jit(session)
    params = {"as_of": as_of, **params}
    if not replay:
        end = history_end(session)
        if end is None or as_of >= end:
            rows = list(session.execute(text(current), params).mappings())
            if not any(r["history_end"] is not None and r["history_end"] > as_of
                       for r in rows):
                return rows
            # history written in between: replay after all
    return list(session.execute(text(replayed), params).mappings())


def progress_figures(session: Session, as_of: dt.date, *, project_id: int | None = None,
                     replay: bool = False) -> ProgressFigures:
    """Figures as of the end of ``as_of`` for one project, or the whole province (None).

    On or after the last day of the history (the dashboard's today) the cases' current
    state gives the same figures as the replay, at a fraction of the work; ``replay``
    replays anyway (tests hold the two together)."""
    rows = _state_rows(session, as_of, _SQL, _CURRENT_SQL, {"project_id": project_id},
                       replay)
    total = EMPTY
    by_project: dict[int, Figures] = {}
    by_commune: dict[str, Figures] = {}
    by_pair: dict[tuple[int, str], Figures] = {}
    for row in rows:
        figures, gid = _figures(dict(row)), row["gid"]
        project, commune = row["project_id"], row["commune_code"]
        if gid == 0:
            by_pair[(project, commune)] = figures
        elif gid == 1:
            by_project[project] = figures
        elif gid == 2:
            by_commune[commune] = figures
        else:
            total = figures
    return ProgressFigures(as_of, total, by_project, dict(sorted(by_commune.items())),
                           dict(sorted(by_pair.items())))


def sum_figures(rows: list[Figures]) -> Figures:
    """Column sums of ``rows`` (households too: an upper bound of the distinct count)."""
    out: dict[str, Any] = {}
    for f in fields(Figures):
        values = [getattr(r, f.name) for r in rows]
        if isinstance(getattr(EMPTY, f.name), dict):
            keys = getattr(EMPTY, f.name).keys()
            out[f.name] = {k: sum(v[k] for v in values) for k in keys}
        else:
            out[f.name] = sum(values, start=getattr(EMPTY, f.name))
    return Figures(**out)


_STEP_REPLAYED = f"""WITH c AS (
    SELECT c.id, c.project_id, c.parcel_id, c.recovered_area_m2 AS area_m2
    FROM clearance_cases c WHERE c.project_id = ANY(:ids)
), e AS (
    -- The last step reached by the day, as in the full replay (``case_state_sql``).
    SELECT e.case_id, (max({LAST_STEP_KEY}) % 16)::integer AS step_no
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.kind = 'step' AND e.occurred_on <= :as_of
    GROUP BY e.case_id
), s AS (
    SELECT c.*, COALESCE(({STEP_ARRAY})[e.step_no], 'not_started') AS step
    FROM c LEFT JOIN e ON e.case_id = c.id
)"""
_STEP_CURRENT = """WITH s AS (
    SELECT c.id, c.project_id, c.parcel_id, c.recovered_area_m2 AS area_m2, c.step::text AS step
    FROM clearance_cases c WHERE c.project_id = ANY(:ids)
)"""
"""The cases' step only (what the board needs of the state), replayed or current."""

_HANDOVER = f""",
a AS (
    SELECT project_id,
        COALESCE(sum(area_m2) FILTER (WHERE step IN {in_list(HANDED)}), 0) AS handed_over_m2
    FROM s WHERE project_id = ANY(:ids) GROUP BY project_id
), h AS (
    SELECT s.project_id, count(DISTINCT u.land_user_id) AS households_handed_over
    FROM s CROSS JOIN LATERAL (
        SELECT pu.land_user_id FROM parcel_land_users pu WHERE pu.parcel_id = s.parcel_id
        OFFSET 0) u
    WHERE s.project_id = ANY(:ids) AND s.step IN {in_list(HANDED)}
    GROUP BY s.project_id
), {_RECORDS}, hr AS (
    SELECT s.project_id, count(DISTINCT hc.household_id) FILTER (
            WHERE hd.approved > 0 AND COALESCE(hl.settled, 0) = hd.approved) AS households_paid
    FROM s JOIN compensation_household_cases hc ON hc.case_id = s.id
    JOIN hd ON hd.household_id = hc.household_id
    LEFT JOIN hl ON hl.household_id = hc.household_id
    WHERE s.project_id = ANY(:ids)
    GROUP BY s.project_id
)
SELECT {{end}} a.project_id, a.handed_over_m2,
    COALESCE(h.households_handed_over, 0) AS households_handed_over,
    COALESCE(hr.households_paid, 0) AS households_paid
FROM a LEFT JOIN h ON h.project_id = a.project_id LEFT JOIN hr ON hr.project_id = a.project_id
"""


@dataclass(frozen=True)
class Handover:
    """What a steering committee follows of a project's clearance at the end of a day."""

    handed_over_m2: Decimal
    households_paid: int
    households_handed_over: int


NO_HANDOVER = Handover(Decimal(0), 0, 0)


def handover_figures(session: Session, as_of: dt.date, project_ids: list[int], *,
                     replay: bool = False) -> dict[int, Handover]:
    """Per project of ``project_ids``, the area and households handed over and the
    households paid as of the end of ``as_of`` — the same numbers as
    :func:`progress_figures`' ``by_project`` (a test holds them together), from the cases'
    step alone, without the other figures, deadlines and groupings."""
    rows = _state_rows(session, as_of, _STEP_REPLAYED + _HANDOVER.format(end=""),
                       _STEP_CURRENT + _HANDOVER.format(
                           end=f"({HISTORY_END_SQL}) AS history_end,"),
                       {"ids": project_ids}, replay)
    found = {int(r["project_id"]): Handover(Decimal(r["handed_over_m2"]),
                                             int(r["households_paid"]),
                                             int(r["households_handed_over"])) for r in rows}
    return {pid: found.get(pid, NO_HANDOVER) for pid in project_ids}
