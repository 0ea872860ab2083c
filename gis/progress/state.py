"""Every case as it stood on a given day, replayed in SQL from the append-only history.

``case_state_sql`` is a chain of CTEs ending in ``s``: one row per clearance case with its
step as of ``:as_of`` (the last step event on or before that day), the money paid by then
(payments ledger, reversals included), complaints, enforcement, resettlement plots held and
the kind of its earliest open obligation when that was overdue (the rules of
``gis.workflow.overdue``, applied to the as-of step instead of the current one).

Approved amounts and the ``resettlement_needed`` flag are case attributes without a
history: they count from the day the plan was approved (resp. the case was notified).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.domain import STEP_ORDER, CaseStep

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


def in_list(steps: frozenset[CaseStep]) -> str:
    """``('a', 'b')`` for a SQL ``IN`` over step names (enum values, never user input)."""
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(steps, key=list(CaseStep).index)) + ")"


def due(key: str, start: str, rule_day: str) -> str:
    """SQL: the last day of a ``key`` period from ``start`` under the rules in force on
    ``rule_day`` — what ``gpmb_time_limit_due(key, NULL, start, rule_day)`` returns, read
    from the small ``lim`` CTE instead of a function call per case."""
    return (f"(SELECT ({start} + l.span)::date FROM lim l WHERE l.rule_key = '{key}'"
            f" AND l.from_day <= {rule_day} AND ({rule_day} < l.until OR l.until IS NULL))")


DECISION_FROM = ("greatest(s0.approved_on, CASE WHEN s0.resettlement_needed"
                 " THEN s0.ready_on END)")

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
), e AS (
    SELECT e.case_id,
        (array_agg(e.step_to::text ORDER BY e.occurred_on DESC, e.id DESC)
            FILTER (WHERE e.kind = 'step' AND e.step_to IS NOT NULL))[1] AS step,
        count(*) FILTER (WHERE e.kind = 'complaint_filed') AS complaints_filed,
        count(*) FILTER (WHERE e.kind = 'complaint_resolved') AS complaints_resolved,
        bool_or(e.kind = 'enforcement_decided') AS enforcement_decided,
        bool_or(e.kind = 'enforcement_executed') AS enforcement_executed,
        max(COALESCE(e.decision_date, e.occurred_on))
            FILTER (WHERE e.step_from = 'not_started' AND e.step_to = 'notified') AS notice_on,
        max(e.occurred_on)
            FILTER (WHERE e.step_from = 'inventoried' AND e.step_to = 'plan_posted') AS posted_on,
        max(COALESCE(e.decision_date, e.occurred_on))
            FILTER (WHERE e.step_from = 'plan_posted' AND e.step_to = 'plan_approved')
            AS approved_on
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.occurred_on <= :as_of
    GROUP BY e.case_id
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
        COALESCE(e.step, 'not_started') AS step,
        COALESCE(e.complaints_filed, 0) AS complaints_filed,
        COALESCE(e.complaints_resolved, 0) AS complaints_resolved,
        COALESCE(e.enforcement_decided, false) AS enforcement_decided,
        COALESCE(e.enforcement_executed, false) AS enforcement_executed,
        e.notice_on, e.posted_on, e.approved_on,
        COALESCE(pay.paid_vnd, 0) AS paid_vnd,
        COALESCE(r.plots, 0) AS plots, r.ready_on
    FROM c LEFT JOIN e ON e.case_id = c.id LEFT JOIN pay ON pay.case_id = c.id
    LEFT JOIN r ON r.case_id = c.id
), s AS (
    SELECT s0.*, CASE WHEN nx.due < :as_of THEN nx.what END AS overdue_what
    FROM s0
    LEFT JOIN LATERAL (
        SELECT v.what, v.due FROM (VALUES
            (1, 'notice_expiry',
             CASE WHEN s0.step IN ('notified', 'inventoried', 'plan_posted', 'plan_approved',
                                   'paid') AND s0.notice_on IS NOT NULL
                  THEN {due('notice_validity', 's0.notice_on', 's0.notice_on')} END),
            (2, 'plan_approval',
             CASE WHEN s0.step = 'plan_posted' AND s0.posted_on IS NOT NULL
                  THEN {due('plan_appraisal',
                            due('plan_posting', 's0.posted_on', 's0.posted_on'),
                            's0.posted_on')} END),
            (3, 'recovery_decision',
             CASE WHEN s0.step IN ('plan_approved', 'paid') AND s0.approved_on IS NOT NULL
                       AND (NOT s0.resettlement_needed OR s0.ready_on IS NOT NULL)
                  THEN {due('decision_after_approval', DECISION_FROM, DECISION_FROM)} END),
            (4, 'payment',
             CASE WHEN s0.step IN ('plan_approved', 'decided') AND s0.approved_on IS NOT NULL
                  THEN {due('payment_after_approval', 's0.approved_on', 's0.approved_on')} END)
        ) AS v (ord, what, due)
        WHERE v.due IS NOT NULL
        ORDER BY v.due, v.ord
        LIMIT 1
    ) nx ON true
)
"""


def no_jit(session: Session) -> None:
    """Turn JIT compilation off for this transaction: these queries are costed high but run
    in milliseconds, and compiling them takes seconds (the embedded cluster has it off)."""
    session.execute(text("SET LOCAL jit = off"))


def case_state_sql() -> str:
    """The ``WITH …`` chain (without the final SELECT) of the as-of case state ``s``.

    Parameters: ``:as_of`` (date) and ``:project_id`` (int or NULL for the province).
    """
    return "WITH " + _STATE
