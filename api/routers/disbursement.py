"""Project capital disbursement (giải ngân): figures as of a day, the records behind them,
and the staff's writes (plan revisions, disbursements and reversals, the investor's
targets, the national average). Thin: parse, call ``gis``, commit, shape.

Revisable records (a year's plan, a target schedule, a month's national figure) name the
revision they were based on: ``If-Match`` (ETag) or ``version``, 0 for the first entry; a
stale one is 409. Disbursements take an ``Idempotency-Key`` like payments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.contract import IsoDate
from api.deps import CaseWriter, CurrentUser, SessionDep
from api.errors import problems
from api.http import Id, IdempotencyKey, IfMatch, etag, version_from
from gis.capital.disbursement import (
    DisbursementResult,
    MonthTarget,
    check_year,
    record_disbursement,
    record_plan,
    reverse_disbursement,
    set_national_rate,
    set_targets,
)
from gis.capital.figures import Standing, disbursement_figures
from gis.core.calendar import local_today
from gis.core.errors import GpmbError
from gis.maps.geodata import get_project
from gis.models import (
    CapitalPlan,
    Disbursement,
    DisbursementTarget,
    NationalDisbursementRate,
)

router = APIRouter(prefix="/api", tags=["disbursement"])
READ_ERRORS = problems(401, 404, 422)
WRITE_ERRORS = problems(401, 403, 404, 409, 422, 428)
Year = Annotated[int, Path(description="plan year, e.g. 2025 (checked: 2000–2100)")]
Month = Annotated[int, Path(description="month 1–12 (checked)")]
YearQuery = Annotated[int | None, Query(description="plan year (default: the as-of year)")]
AsOf = Annotated[IsoDate | None,
                 Query(description="figures to the end of this day (today)")]


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class PlanIn(Strict):
    """A year's capital plan (first assignment or a revision) and its decision."""

    year: StrictInt
    amount_vnd: StrictInt
    decision_no: str | None = Field(default=None, max_length=100)
    decision_date: IsoDate
    note: str | None = Field(default=None, max_length=2000)
    version: StrictInt | None = Field(default=None, description="current revision (0: none)")


class EntryIn(Strict):
    """Money disbursed, in whole VND, against a year's plan (default: the day's year)."""

    amount_vnd: StrictInt
    disbursed_on: IsoDate
    year: StrictInt | None = None
    source: str | None = Field(default=None, max_length=200)
    voucher_no: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class EntryReversalIn(Strict):
    """Why a disbursement is reversed (and when; default today)."""

    reason: str | None = Field(default=None, max_length=2000)
    reversed_on: IsoDate | None = None


class MonthTargetIn(Strict):
    """A month's cumulative target: a share of the plan (%) or an amount (VND)."""

    month: StrictInt
    cumulative_pct: float | None = None
    cumulative_vnd: StrictInt | None = None


class TargetsIn(Strict):
    """A new revision of the investor's committed schedule for a year."""

    months: list[MonthTargetIn] = Field(max_length=24)
    committed_on: IsoDate
    note: str | None = Field(default=None, max_length=2000)
    version: StrictInt | None = None


class NationalRateIn(Strict):
    """The national average disbursement (% of plan) to the end of a month."""

    rate_pct: float
    published_on: IsoDate | None = None
    source: str | None = Field(default=None, max_length=500)
    version: StrictInt | None = None


class PlanOut(BaseModel):
    """A revision of a capital plan."""

    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    year: int | None = None
    revision: int
    amount_vnd: int
    decision_no: str
    decision_date: dt.date


class EntryOut(BaseModel):
    """A ledger entry (negative: a reversal)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    amount_vnd: int
    reverses_id: int | None
    disbursed_on: dt.date
    source: str | None
    voucher_no: str | None
    note: str | None


class EntryResultOut(BaseModel):
    """The entry recorded and the year's totals afterwards."""

    entry: EntryOut
    disbursed_vnd: int
    plan_vnd: int


class TargetOut(BaseModel):
    """One month of a target schedule revision."""

    model_config = ConfigDict(from_attributes=True)

    year: int
    revision: int
    month: int
    cumulative_pct: Decimal | None
    cumulative_vnd: int | None
    committed_on: dt.date


class NationalRateOut(BaseModel):
    """A revision of a month's national average."""

    model_config = ConfigDict(from_attributes=True)

    year: int
    month: int
    revision: int
    rate_pct: Decimal
    published_on: dt.date
    source: str | None


class MonthPointOut(BaseModel):
    """A month's end in the plan year (or the as-of day in its month)."""

    month: int
    day: dt.date
    disbursed_vnd: int
    pct: float | None
    target_pct: float | None
    national_pct: float | None


class DisbursementOut(BaseModel):
    """A project's disbursement figures as of a day (shares in %, money in VND)."""

    project_id: int
    year: int
    as_of: dt.date
    plan_vnd: int
    plan: PlanOut | None
    plan_revisions: list[PlanOut]
    disbursed_vnd: int
    remaining_vnd: int
    pct: float | None
    target_pct: float | None
    month_target_pct: float | None
    vs_target: Standing | None
    national_month: int | None
    national_pct: float | None
    pct_at_national_month: float | None
    vs_national: Standing | None
    months: list[MonthPointOut]


class RecordsOut(BaseModel):
    """Every record of a project-year, revisions and reversals included."""

    project_id: int
    year: int
    plans: list[PlanOut]
    entries: list[EntryOut]
    targets: list[TargetOut]


@contextmanager
def _transaction(session: Session) -> Iterator[None]:
    """Commit on success; roll back on a domain error (nothing half-done)."""
    try:
        yield
    except GpmbError:
        session.rollback()
        raise
    session.commit()


@router.get("/projects/{project_id}/disbursement", response_model=DisbursementOut,
            responses=READ_ERRORS, summary="Disbursement figures of a project as of a day")
def get_figures(project_id: Id, user: CurrentUser, session: SessionDep,
                as_of: AsOf = None, year: YearQuery = None) -> DisbursementOut:
    """Plan in force, disbursed to date, % of plan, against the investor's target and the
    national average, and the monthly series — all as they stood at the end of ``as_of``."""
    get_project(session, project_id, scope=user.scope)
    day = as_of or local_today()
    f = disbursement_figures(session, project_id, day,
                             check_year(year) if year is not None else None)
    plans = [PlanOut(revision=p.revision, amount_vnd=p.amount_vnd, decision_no=p.decision_no,
                     decision_date=p.decision_date, year=f.year) for p in f.plans]
    return DisbursementOut(
        project_id=project_id, year=f.year, as_of=day, plan_vnd=f.plan_vnd,
        plan=plans[-1] if plans else None, plan_revisions=plans, disbursed_vnd=f.disbursed_vnd,
        remaining_vnd=f.remaining_vnd, pct=f.pct, target_pct=f.target_pct,
        month_target_pct=f.month_target_pct, vs_target=f.vs_target,
        national_month=f.national_month, national_pct=f.national_pct,
        pct_at_national_month=f.pct_at_national_month, vs_national=f.vs_national,
        months=[MonthPointOut.model_validate(m, from_attributes=True) for m in f.months])


@router.get("/projects/{project_id}/disbursement/records", response_model=RecordsOut,
            responses=READ_ERRORS, summary="Plan revisions, ledger and targets of a year")
def get_records(project_id: Id, user: CurrentUser, session: SessionDep,
                year: YearQuery = None) -> RecordsOut:
    """Everything recorded for the project-year, oldest first (history is never edited)."""
    get_project(session, project_id, scope=user.scope)
    y = check_year(year) if year is not None else local_today().year
    plans = session.scalars(select(CapitalPlan).where(
        CapitalPlan.project_id == project_id, CapitalPlan.year == y)
        .order_by(CapitalPlan.revision))
    entries = session.scalars(select(Disbursement).where(
        Disbursement.project_id == project_id, Disbursement.year == y)
        .order_by(Disbursement.disbursed_on, Disbursement.id))
    targets = session.scalars(select(DisbursementTarget).where(
        DisbursementTarget.project_id == project_id, DisbursementTarget.year == y)
        .order_by(DisbursementTarget.revision, DisbursementTarget.month))
    return RecordsOut(project_id=project_id, year=y,
                      plans=[PlanOut.model_validate(p) for p in plans],
                      entries=[EntryOut.model_validate(e) for e in entries],
                      targets=[TargetOut.model_validate(t) for t in targets])


@router.post("/projects/{project_id}/disbursement/plans", response_model=PlanOut,
             status_code=201, responses=WRITE_ERRORS,
             summary="Assign or revise a year's capital plan")
def post_plan(project_id: Id, body: PlanIn, user: CaseWriter, session: SessionDep,
              response: Response, if_match: IfMatch = None) -> PlanOut:
    """A new revision with its decision; the version is the current revision (0: none).
    Refused below what was already disbursed."""
    version = version_from(if_match, body.version, required=True)
    assert version is not None
    with _transaction(session):
        plan = record_plan(session, project_id, body.year, body.amount_vnd,
                           decision_no=body.decision_no, decision_date=body.decision_date,
                           expected_revision=version, actor_id=user.id, note=body.note)
        out = PlanOut.model_validate(plan)
    response.headers["ETag"] = etag(out.revision)
    return out


def _entry_out(result: DisbursementResult, response: Response) -> EntryResultOut:
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return EntryResultOut(entry=EntryOut.model_validate(result.entry),
                          disbursed_vnd=result.disbursed_vnd, plan_vnd=result.plan_vnd)


@router.post("/projects/{project_id}/disbursement/entries", response_model=EntryResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Record a disbursement")
def post_entry(project_id: Id, body: EntryIn, user: CaseWriter, session: SessionDep,
               response: Response, idempotency_key: IdempotencyKey = None) -> EntryResultOut:
    """Whole VND, not in the future, within the year's window, never above the plan."""
    with _transaction(session):
        result = record_disbursement(
            session, project_id, body.amount_vnd, body.disbursed_on, actor_id=user.id,
            year=body.year, source=body.source, voucher_no=body.voucher_no, note=body.note,
            idempotency_key=idempotency_key)
        out = _entry_out(result, response)
    return out


@router.post("/disbursement/entries/{entry_id}/reversal", response_model=EntryResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Reverse a disbursement")
def post_reversal(entry_id: Id, body: EntryReversalIn, user: CaseWriter, session: SessionDep,
                  response: Response, idempotency_key: IdempotencyKey = None
                  ) -> EntryResultOut:
    """A negative entry cancelling the disbursement; the original stays in the ledger."""
    with _transaction(session):
        result = reverse_disbursement(session, entry_id, reason=body.reason, actor_id=user.id,
                                      reversed_on=body.reversed_on,
                                      idempotency_key=idempotency_key)
        out = _entry_out(result, response)
    return out


@router.put("/projects/{project_id}/disbursement/targets/{year}",
            response_model=list[TargetOut], responses=WRITE_ERRORS,
            summary="Record the investor's committed monthly targets for a year")
def put_targets(project_id: Id, year: Year, body: TargetsIn, user: CaseWriter,
                session: SessionDep, response: Response, if_match: IfMatch = None
                ) -> list[TargetOut]:
    """Cumulative % or VND per month; a new revision replaces the schedule from its
    commitment date on (the earlier one stays in the history)."""
    version = version_from(if_match, body.version, required=True)
    assert version is not None
    with _transaction(session):
        rows = set_targets(
            session, project_id, year,
            [MonthTarget(m.month, m.cumulative_pct, m.cumulative_vnd) for m in body.months],
            committed_on=body.committed_on, expected_revision=version, actor_id=user.id,
            note=body.note)
        out = [TargetOut.model_validate(r) for r in rows]
    response.headers["ETag"] = etag(out[0].revision)
    return out


@router.get("/disbursement/national-rates", response_model=list[NationalRateOut],
            responses=READ_ERRORS, summary="National average disbursement, with history")
def get_national(_user: CurrentUser, session: SessionDep,
                 year: YearQuery = None) -> list[NationalRateOut]:
    """Every revision of every month of the year (the latest revision of a month wins)."""
    y = check_year(year) if year is not None else local_today().year
    rows = session.scalars(select(NationalDisbursementRate).where(
        NationalDisbursementRate.year == y).order_by(NationalDisbursementRate.month,
                                                     NationalDisbursementRate.revision))
    return [NationalRateOut.model_validate(r) for r in rows]


@router.put("/disbursement/national-rates/{year}/{month}", response_model=NationalRateOut,
            responses=WRITE_ERRORS, summary="Enter or revise a month's national average")
def put_national(year: Year, month: Month, body: NationalRateIn, user: CaseWriter,
                 session: SessionDep, response: Response, if_match: IfMatch = None
                 ) -> NationalRateOut:
    """% of the year's plan disbursed nationally to the month's end, as published."""
    version = version_from(if_match, body.version, required=True)
    assert version is not None
    with _transaction(session):
        rate = set_national_rate(session, year, month, body.rate_pct,
                                 published_on=body.published_on or local_today(),
                                 expected_revision=version, actor_id=user.id,
                                 source=body.source)
        out = NationalRateOut.model_validate(rate)
    response.headers["ETag"] = etag(out.revision)
    return out
