"""Every case as it stood on a given day, replayed in SQL from the append-only history.

``case_state_sql`` is a chain of CTEs ending in ``s``: one row per clearance case with its
step as of ``:as_of`` (the last step event on or before that day), the money paid by then
(payments ledger, reversals included), complaints, enforcement, resettlement plots held and
the kind of its earliest open obligation when that was overdue (the rule tables of
``gis.workflow.deadlines`` rendered by ``gis.workflow.overdue``, applied to the as-of step
instead of the current one).

Approved amounts and the ``resettlement_needed`` flag are case attributes without a
history: they count from the day the plan was approved (resp. the case was notified).

The replay reads each case's events in one hash-aggregate pass (no per-case sort) and the
dates deadlines run from only for cases at a step that has deadlines. From the last day of
the history on (``history_end``: the dashboard's "today"), ``case_state_sql(current=True)``
gives the same rows from the cases' current columns and the trigger-kept
``case_next_deadlines`` instead (tests/gis/progress hold the two and a Python replay
together).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.domain import STEP_ORDER, CaseStep
from gis.workflow.deadlines import DECISION_FROM, OPEN_STEPS, START_DATES
from gis.workflow.overdue import (
    START_EVENT_KINDS_SQL,
    decision_from_sql,
    obligation_dues,
    start_dates_sql,
)
from gis.workflow.overdue import in_list as in_list  # the figures' SQL uses it from here

S = CaseStep

COUNTED = frozenset(s for s in CaseStep if STEP_ORDER[s] >= STEP_ORDER[S.INVENTORIED])
"""Steps at or after the inventory (kiểm đếm)."""
APPROVED = frozenset(s for s in CaseStep if STEP_ORDER[s] >= STEP_ORDER[S.PLAN_APPROVED])
"""Steps at or after the approval of the compensation plan."""
PAID = frozenset({S.PAID, S.DECIDED_PAID, S.HANDED_OVER})
"""Steps where the payment is complete (or the money deposited)."""
DECIDED = frozenset({S.DECIDED, S.DECIDED_PAID, S.HANDED_OVER})
"""Steps with a recovery decision."""
HANDED = frozenset({S.HANDED_OVER})
"""The site handed over."""
WITH_DEADLINES = OPEN_STEPS
"""Steps with an open legal deadline (``gis.workflow.deadlines``)."""


def due(key: str, start: str, rule_day: str) -> str:
    """SQL: the last day of a ``key`` period from ``start`` under the rules in force on
    ``rule_day`` — what ``gpmb_time_limit_due(key, NULL, start, rule_day)`` returns, read
    from the small ``lim`` CTE instead of a function call per case."""
    return (f"(SELECT ({start} + l.span)::date FROM lim l WHERE l.rule_key = '{key}'"
            f" AND l.from_day <= {rule_day} AND ({rule_day} < l.until OR l.until IS NULL))")


START_COLUMNS = ", ".join(f"{{t}}.{s.name}" for s in START_DATES)
"""SQL: the start dates of ``START_DATES`` as columns of the table named by ``{t}``."""
_DUES = obligation_dues("s0.step", {s.name: f"s0.{s.name}" for s in START_DATES} | {
    DECISION_FROM: decision_from_sql("s0.approved_on", "s0.resettlement_needed", "s0.ready_on")},
    due)
DUE_COLUMNS_SQL = ",\n        ".join(f"{sql} AS due_{n}" for n, (_, sql) in enumerate(_DUES, 1))
"""SQL: ``due_1 … due_4``, each obligation's due date as of the replayed step (or NULL)."""
_EARLIEST = "least(" + ", ".join(f"due_{n}" for n in range(1, len(_DUES) + 1)) + ")"
OVERDUE_WHAT_SQL = (f"CASE WHEN {_EARLIEST} < :as_of THEN CASE {_EARLIEST} "
                    + " ".join(f"WHEN due_{n} THEN '{o.what.value}'"
                               for n, (o, _) in enumerate(_DUES, 1)) + " END END")
"""SQL: the earliest open obligation, ties broken in ``DeadlineKind`` order; NULL unless
overdue."""

def step_no(step: CaseStep) -> int:
    """The number of a step in ``STEP_ARRAY`` (from 1), the state's ``step_no`` column."""
    return list(CaseStep).index(step) + 1


def step_mask(steps: frozenset[CaseStep]) -> int:
    """Bits ``1 << step_no`` of the steps: ``mask & (1 << step_no) <> 0`` tests membership."""
    return sum(1 << step_no(s) for s in steps)


STEP_ARRAY = "ARRAY[" + ", ".join(f"'{s.value}'" for s in CaseStep) + "]"
"""SQL: every step name in order (``STEP_ARRAY[n]`` is the step numbered ``n``, from 1)."""
LAST_STEP_KEY = (f"((e.occurred_on - DATE '0001-01-01')::bigint * {2 ** 40}"
                 f" + e.id * 16 + array_position({STEP_ARRAY}::case_step[], e.step_to))")
"""SQL: a number ordering step events as replayed (by day, then by id) whose remainder
modulo 16 is the number of the step reached. ``max`` of it over a case's events gives its
step in one pass of a hash aggregate, without sorting each case's events. It fits a bigint
for any day of years 1–9999 and event ids below 2³⁶."""

_STATE = f"""
lim AS MATERIALIZED (
    SELECT t.rule_key, v.effective_from AS from_day, v.until,
        CASE t.unit WHEN 'month' THEN make_interval(months => t.amount)
                    ELSE make_interval(days => t.amount) END AS span
    FROM (SELECT version, effective_from,
                 lead(effective_from) OVER (ORDER BY effective_from) AS until
          FROM rule_sets) v
    JOIN time_limits t ON t.rule_version = v.version AND t.land_category IS NULL
), c AS (
    SELECT c.id, c.project_id, p.commune_code, c.parcel_id,
           c.recovered_area_m2 AS area_m2, c.approved_total_vnd, c.resettlement_needed
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE (CAST(:project_id AS integer) IS NULL OR c.project_id = :project_id)
), e AS MATERIALIZED (
    -- One pass over the cases' events: the last step reached and the rare kinds.
    SELECT e.case_id,
        (max({LAST_STEP_KEY}) FILTER (WHERE e.kind = 'step') % 16)::integer AS step_no,
        count(*) FILTER (WHERE e.kind = 'complaint_filed') AS complaints_filed,
        count(*) FILTER (WHERE e.kind = 'complaint_resolved') AS complaints_resolved,
        bool_or(e.kind = 'enforcement_decided') AS enforcement_decided,
        bool_or(e.kind = 'enforcement_executed') AS enforcement_executed
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.kind IN ('step', 'complaint_filed', 'complaint_resolved', 'enforcement_decided',
                     'enforcement_executed') AND e.occurred_on <= :as_of
    GROUP BY e.case_id
), d AS (
    -- The days deadlines run from, read by index only for cases at a step with deadlines.
    SELECT open.case_id, {START_COLUMNS.format(t='t')}
    FROM e AS open CROSS JOIN LATERAL (
        SELECT
            {start_dates_sql("v")}
        FROM case_events v
        WHERE v.case_id = open.case_id AND v.occurred_on <= :as_of
          AND v.kind IN {START_EVENT_KINDS_SQL}
        OFFSET 0) t
    WHERE open.step_no IN ({", ".join(str(step_no(s)) for s in WITH_DEADLINES)})
), pay AS (
    SELECT y.case_id, sum(y.amount_vnd) AS paid_vnd
    FROM payments y JOIN c ON c.id = y.case_id
    WHERE y.paid_on <= :as_of
    GROUP BY y.case_id
), r AS (
    SELECT a.case_id, min(a.allocated_on) AS ready_on, count(*) AS plots
    FROM resettlement_allocations a JOIN c ON c.id = a.case_id
    WHERE a.allocated_on <= :as_of AND (a.released_on IS NULL OR a.released_on > :as_of)
    GROUP BY a.case_id
), s0 AS (
    SELECT c.id, c.project_id, c.commune_code, c.parcel_id, c.area_m2,
        c.approved_total_vnd, c.resettlement_needed,
        COALESCE(({STEP_ARRAY})[e.step_no], 'not_started') AS step,
        COALESCE(e.step_no, 1) AS step_no,
        COALESCE(e.complaints_filed, 0) AS complaints_filed,
        COALESCE(e.complaints_resolved, 0) AS complaints_resolved,
        COALESCE(e.enforcement_decided, false) AS enforcement_decided,
        COALESCE(e.enforcement_executed, false) AS enforcement_executed,
        {START_COLUMNS.format(t='d')},
        COALESCE(pay.paid_vnd, 0) AS paid_vnd,
        COALESCE(r.plots, 0) AS plots, r.ready_on
    FROM c LEFT JOIN e ON e.case_id = c.id LEFT JOIN d ON d.case_id = c.id
    LEFT JOIN pay ON pay.case_id = c.id LEFT JOIN r ON r.case_id = c.id
), s1 AS MATERIALIZED (
    SELECT s0.*,
        {DUE_COLUMNS_SQL}
    FROM s0
), s AS (
    -- The earliest open obligation, ties broken in DeadlineKind order; NULL unless overdue.
    SELECT s1.*, {OVERDUE_WHAT_SQL} AS overdue_what
    FROM s1
)
"""


HISTORY_END_SQL = """
SELECT greatest((SELECT max(occurred_on) FROM case_events),
                (SELECT max(paid_on) FROM payments),
                (SELECT max(greatest(allocated_on, released_on)) FROM resettlement_allocations))
"""

_CURRENT = f"""
c AS (
    SELECT c.id, c.project_id, p.commune_code, c.parcel_id,
           c.recovered_area_m2 AS area_m2, c.approved_total_vnd, c.resettlement_needed,
           c.step::text AS step, array_position({STEP_ARRAY}::case_step[], c.step) AS step_no,
           c.paid_vnd
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE (CAST(:project_id AS integer) IS NULL OR c.project_id = :project_id)
), x AS (
    SELECT e.case_id,
        count(*) FILTER (WHERE e.kind = 'complaint_filed') AS complaints_filed,
        count(*) FILTER (WHERE e.kind = 'complaint_resolved') AS complaints_resolved,
        bool_or(e.kind = 'enforcement_decided') AS enforcement_decided,
        bool_or(e.kind = 'enforcement_executed') AS enforcement_executed
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.kind IN ('complaint_filed', 'complaint_resolved', 'enforcement_decided',
                     'enforcement_executed')
    GROUP BY e.case_id
), r AS (
    SELECT a.case_id, count(*) AS plots
    FROM resettlement_allocations a JOIN c ON c.id = a.case_id
    WHERE a.released_on IS NULL
    GROUP BY a.case_id
), s AS (
    SELECT c.*,
        COALESCE(x.complaints_filed, 0) AS complaints_filed,
        COALESCE(x.complaints_resolved, 0) AS complaints_resolved,
        COALESCE(x.enforcement_decided, false) AS enforcement_decided,
        COALESCE(x.enforcement_executed, false) AS enforcement_executed,
        COALESCE(r.plots, 0) AS plots,
        CASE WHEN n.due_on < :as_of THEN n.what END AS overdue_what
    FROM c LEFT JOIN x ON x.case_id = c.id LEFT JOIN r ON r.case_id = c.id
    LEFT JOIN case_next_deadlines n ON n.case_id = c.id
)
"""


def no_jit(session: Session) -> None:
    """Turn JIT compilation off for this transaction: these queries are costed high but run
    in milliseconds, and compiling them takes seconds (the embedded cluster has it off)."""
    session.execute(text("SET LOCAL jit = off"))


def history_end(session: Session) -> dt.date | None:
    """The last day anything in the replayed history happened (None without history).

    From the day after it on, replaying gives every case's current state: the step and the
    paid sum the workflow keeps on the case (a test holds them to the replay) and the next
    deadline kept in ``case_next_deadlines``. The workflow refuses events dated in the
    future, so the dashboard's "today" is always past it."""
    end: dt.date | None = session.execute(text(HISTORY_END_SQL)).scalar_one()
    return end


def case_state_sql(*, current: bool = False) -> str:
    """The ``WITH …`` chain (without the final SELECT) of the as-of case state ``s``.

    Parameters: ``:as_of`` (date) and ``:project_id`` (int or NULL for the province).
    With ``current``, the state is read from the cases as they stand now instead of being
    replayed: the same rows, valid only when ``:as_of`` is on or after ``history_end``.
    """
    return "WITH " + (_CURRENT if current else _STATE)
