"""Where each demo case ends up, and the dates of its steps.

The final step of every case is drawn by quota per project, so that the dataset reads like
the progress reports: for the Hữu Nghị–Chi Lăng expressway nearly all cases handed over
and a small tail of refusals, late additions and enforcement; other projects earlier in
the procedure. Dates are then laid out step by step on working days, respecting the
legal minimum between notice and recovery decision, and moved earlier as a whole where
a case would otherwise end after ``today``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.core.domain import CaseStep
from gis.demo.history_calendar import (
    Days,
    day_number,
    next_enforcement_day,
    next_working_day,
    notice_minimum_days,
    posting_days,
)

EXPRESSWAY = "CT-HNCL"

FINAL_STEPS: tuple[CaseStep, ...] = (
    CaseStep.NOTIFIED, CaseStep.INVENTORIED, CaseStep.PLAN_POSTED, CaseStep.PLAN_APPROVED,
    CaseStep.DECIDED, CaseStep.PAID, CaseStep.DECIDED_PAID, CaseStep.HANDED_OVER,
)
NOTIFIED, INVENTORIED, POSTED, APPROVED, DECIDED, PAID, DECIDED_PAID, HANDED_OVER = range(8)

# Share of cases ending at each of FINAL_STEPS.
_EXPRESSWAY_MIX = np.array([0.004, 0.006, 0.010, 0.015, 0.030, 0.012, 0.018, 0.905])
_LATER_MIX = np.array([0.02, 0.05, 0.06, 0.15, 0.10, 0.12, 0.20, 0.30])
_EXECUTED_SHARE = 0.005
_ENFORCE_DECIDED_SHARE = 0.0025
_COMPULSORY_SHARE = 0.01

Flags = NDArray[np.bool_]


@dataclass(frozen=True)
class CasePlan:
    """Per-case outcome chosen before any date is drawn."""

    final: NDArray[np.int64]  # index into FINAL_STEPS
    executed: Flags  # enforcement carried out (ends handed over)
    enforce_decided: Flags  # enforcement decided, not yet carried out
    compulsory: Flags  # compulsory inventory was needed

    @property
    def enforced(self) -> Flags:
        """Any enforcement."""
        return self.executed | self.enforce_decided

    @property
    def has_decision(self) -> Flags:
        """A recovery decision was issued."""
        return np.isin(self.final, (DECIDED, DECIDED_PAID, HANDED_OVER))

    @property
    def has_payment(self) -> Flags:
        """The approved money was paid (or deposited)."""
        return np.isin(self.final, (PAID, DECIDED_PAID, HANDED_OVER))


@dataclass(frozen=True)
class CaseDates:
    """Day numbers of every step, drawn for all cases (use only the steps a case took)."""

    notice: NDArray[np.int64]
    compulsory: NDArray[np.int64]
    inventory: NDArray[np.int64]
    posted: NDArray[np.int64]
    approved: NDArray[np.int64]
    decided: NDArray[np.int64]
    first_payment: NDArray[np.int64]
    paid: NDArray[np.int64]
    enforce_decided: NDArray[np.int64]
    enforce_executed: NDArray[np.int64]
    handover: NDArray[np.int64]
    last: NDArray[np.int64]  # the last step the case actually took


def _quota(n: int, shares: NDArray[np.float64]) -> NDArray[np.int64]:
    """Counts per share summing to ``n`` (largest remainder)."""
    raw = shares / shares.sum() * n
    counts: NDArray[np.int64] = np.floor(raw).astype(np.int64)
    extra = n - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:extra]] += 1
    return counts


def _take(rng: np.random.Generator, candidates: NDArray[np.intp], k: int,
          weight: NDArray[np.float64]) -> NDArray[np.intp]:
    """``k`` of ``candidates`` without replacement, with probability rising with ``weight``."""
    if k <= 0 or len(candidates) == 0:
        return np.zeros(0, dtype=np.intp)
    key = rng.exponential(size=len(candidates)) / weight[candidates]
    return candidates[np.argsort(key, kind="stable")[:k]]


def plan_cases(rng: np.random.Generator, project: NDArray[np.object_],
               residential: Flags) -> CasePlan:
    """Draw final steps, enforcement and compulsory inventory by quota per project."""
    n = len(project)
    final = np.zeros(n, dtype=np.int64)
    executed = np.zeros(n, dtype=bool)
    enforce_decided = np.zeros(n, dtype=bool)
    compulsory = np.zeros(n, dtype=bool)
    weight = np.where(residential, 3.0, 1.0)
    for code in sorted(set(project.tolist())):
        rows = np.flatnonzero(project == code)
        counts = _quota(len(rows), _EXPRESSWAY_MIX if code == EXPRESSWAY else _LATER_MIX)
        order = rng.permutation(rows)
        n_late = int(counts[:3].sum())
        final[order[:n_late]] = rng.permutation(np.repeat(np.arange(3), counts[:3]))
        rest = order[n_late:]
        # Households that refuse the money are more often the ones losing a house.
        refusers = _take(rng, rest, int(counts[3:5].sum()), weight)
        final[refusers] = rng.permutation(np.repeat([APPROVED, DECIDED], counts[3:5]))
        others = rest[~np.isin(rest, refusers)]
        final[others] = rng.permutation(np.repeat([PAID, DECIDED_PAID, HANDED_OVER], counts[5:]))

        size = len(rows)
        done = rows[final[rows] == HANDED_OVER]
        executed[_take(rng, done, round(_EXECUTED_SHARE * size), weight)] = True
        waiting = rows[final[rows] == DECIDED_PAID]
        enforce_decided[_take(rng, waiting, round(_ENFORCE_DECIDED_SHARE * size), weight)] = True
        counted = rows[final[rows] >= INVENTORIED]
        stubborn = np.where(executed | enforce_decided | np.isin(final, (APPROVED, DECIDED)),
                            5.0, 1.0)
        compulsory[_take(rng, counted, round(_COMPULSORY_SHARE * size), stubborn)] = True
    return CasePlan(final, executed, enforce_decided, compulsory)


def notice_days(rng: np.random.Generator, project: NDArray[np.object_],
                parcel_key: NDArray[np.int64], commune: NDArray[np.object_] | None,
                final: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First guess of each notice date, and the section of each case: notices go out in
    waves by commune (or by runs of parcel keys when communes are unknown) along each project.

    Late additions (cases still before plan approval) are notified in 2026.
    """
    n = len(project)
    notice = np.zeros(n, dtype=np.int64)
    sections = np.zeros(n, dtype=np.int64)
    for code in sorted(set(project.tolist())):
        rows = np.flatnonzero(project == code)
        if code == EXPRESSWAY:  # spring 2024, eight waves
            start, span, n_sections = day_number(date(2024, 3, 4)), 116, 8
        else:  # early 2025, three waves
            start = day_number(date(2025, 1, 6)) + zlib.crc32(code.encode()) % 45
            span, n_sections = 60, 3
        section: NDArray[np.intp]
        if commune is None:  # cut the project into equal runs of parcel keys
            rank = pd.Series(parcel_key[rows]).rank(method="first").to_numpy(np.int64) - 1
            section = (rank * n_sections // len(rows)).astype(np.intp)
        else:  # one wave per commune
            codes, uniques = pd.factorize(pd.Series(commune[rows]).astype(str), sort=True)
            section, n_sections = codes.astype(np.intp), len(uniques)
        offset = np.round(span * np.arange(n_sections) / max(n_sections - 1, 1)).astype(np.int64)
        wave = start + offset + rng.integers(0, 8, n_sections)
        notice[rows] = wave[section] + rng.integers(0, 15, len(rows))
        sections[rows] = section
    late = final < APPROVED
    notice[late] = day_number(date(2026, 3, 1)) + rng.integers(0, 214, int(late.sum()))
    return notice, sections


@dataclass(frozen=True)
class _Gaps:
    compulsory: NDArray[np.int64]
    after_compulsory: NDArray[np.int64]
    inventory: NDArray[np.int64]
    posting: NDArray[np.int64]
    appraisal: NDArray[np.int64]
    decision: NDArray[np.int64]
    payment: NDArray[np.int64]
    instalment: NDArray[np.int64]
    deposit: NDArray[np.int64]
    enforce_decision: NDArray[np.int64]
    enforce_execution: NDArray[np.int64]
    handover: NDArray[np.int64]
    margin: NDArray[np.int64]


def _draw_gaps(rng: np.random.Generator, plan: CasePlan, resettlement: Flags) -> _Gaps:
    n = len(plan.final)
    waiting = np.isin(plan.final, (PAID, DECIDED_PAID)) & ~plan.enforced
    payment = np.where(rng.random(n) < 0.85, rng.integers(5, 31, n), rng.integers(31, 121, n))
    resettle_wait = np.where(resettlement & (rng.random(n) < 0.5), rng.integers(10, 90, n), 0)
    return _Gaps(
        compulsory=rng.integers(45, 101, n),
        after_compulsory=rng.integers(15, 46, n),
        inventory=rng.integers(20, 101, n),
        posting=rng.integers(10, 61, n),
        appraisal=rng.integers(3, 31, n),
        decision=rng.integers(1, 11, n) + resettle_wait,
        # Paid but not yet handed over: the money came late (disputes, missing papers).
        payment=np.where(waiting, rng.integers(30, 500, n), payment),
        instalment=np.where((rng.random(n) < 0.15) & ~plan.enforced, rng.integers(15, 61, n), 0),
        deposit=rng.integers(15, 61, n),
        # Enforcement still pending today was decided recently, after a long stand-off.
        enforce_decision=np.where(plan.enforce_decided, rng.integers(300, 650, n),
                                  rng.integers(30, 91, n)),
        enforce_execution=rng.integers(15, 46, n),
        handover=rng.integers(3, 41, n),
        margin=rng.integers(3, 31, n),
    )


def _lay_out(notice0: Days, g: _Gaps, plan: CasePlan, agricultural: Flags) -> CaseDates:
    wd = next_working_day
    notice = wd(notice0)
    compulsory = wd(notice + g.compulsory)
    inventory = wd(np.where(plan.compulsory, compulsory + g.after_compulsory,
                            notice + g.inventory))
    posted = wd(inventory + g.posting)
    posting_end = posted + posting_days(posted)
    minimum = notice_minimum_days(notice, agricultural)
    # Approve once appraisal is done, but late enough for the decision to respect the minimum.
    approved = wd(np.maximum(posting_end + g.appraisal, notice + minimum - g.decision))
    decided = wd(approved + g.decision)
    first_payment = wd(approved + g.payment)
    paid = wd(first_payment + g.instalment)
    deposit = wd(np.maximum(decided, approved) + g.deposit)
    paid = np.where(plan.enforced, deposit, paid)
    first_payment = np.where(plan.enforced, deposit, first_payment)
    both = np.maximum(decided, paid)
    enforce_decided = next_enforcement_day(both + g.enforce_decision)
    enforce_executed = next_enforcement_day(enforce_decided + g.enforce_execution)
    handover = np.where(plan.executed, enforce_executed, wd(both + g.handover))

    f = plan.final
    last = notice.copy()
    for step, day in ((INVENTORIED, inventory), (POSTED, posted), (APPROVED, approved)):
        last = np.where(f >= step, day, last)
    last = np.where(plan.has_decision, np.maximum(last, decided), last)
    last = np.where(plan.has_payment, np.maximum(last, paid), last)
    last = np.where(plan.enforce_decided, np.maximum(last, enforce_decided), last)
    last = np.where(f == HANDED_OVER, np.maximum(last, handover), last)
    return CaseDates(notice, compulsory, inventory, posted, approved, decided, first_payment,
                     paid, enforce_decided, enforce_executed, handover, last)


def lay_out_dates(rng: np.random.Generator, notice0: Days, plan: CasePlan,
                  agricultural: Flags, resettlement: Flags, today: int) -> CaseDates:
    """Dates of every step; cases that would end after ``today`` start earlier instead."""
    gaps = _draw_gaps(rng, plan, resettlement)
    notice = np.asarray(notice0, dtype=np.int64).copy()
    for _ in range(50):
        dates = _lay_out(notice, gaps, plan, agricultural)
        over = dates.last - today
        if not (over > 0).any():
            return dates
        notice = np.where(over > 0, notice - over - gaps.margin, notice)
    raise RuntimeError("could not fit the case history before today")
