"""Project capital disbursement (giải ngân): recording plans, disbursements, targets and the
national average. Reading the figures as of a day is ``gis.capital.figures``.

Everything is append-only. A revised capital plan (kế hoạch vốn điều chỉnh) is a new
revision with its decision number and date; a wrong disbursement is cancelled by a
reversing entry; a new target schedule or national figure is a new revision, the latest
wins. Writes on one project's capital are serialised by locking the project row, and each
revisable record is changed only by naming the revision it was based on (optimistic
concurrency: 0 for the first). Disbursements take an idempotency key, like payments.

Rules (codes in ``extra.reason``):

* amounts are whole VND: a plan or target may not be negative (``negative_amount``), a
  disbursement must be positive (``amount_not_positive``);
* years 2000–2100 (``year_out_of_range``), months 1–12 (``month_out_of_range``);
* no date in the future (``date_in_future``);
* a year's plan is disbursed from 1 January to 31 January of the next year, the extension
  the Law on Public Investment allows (``outside_disbursement_window``), never before the
  first plan decision (``no_plan``);
* **disbursing above the plan is refused** (``exceeds_plan``), not merely warned about:
  public investment may not be disbursed beyond the capital plan assigned, so the figure
  would be wrong, not just worrying. The check holds on every day: the money disbursed to
  any date never exceeds the plan in force on that date (so a back-dated entry cannot
  overshoot an earlier, smaller plan), and a plan may not be revised below what was
  disbursed by its date (``plan_below_disbursed``);
* revisions of a plan are dated in order (``decision_before_previous``);
* target schedules are cumulative, never falling month to month (``target_not_cumulative``),
  in % (0–100, ``pct_out_of_range``) or VND (``target_measure`` when both or neither).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.access.scope import OFFICE_ROLES, check_project_write, load_scope, require_province
from gis.core.calendar import local_today
from gis.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gis.core.formats import Phrase, Term
from gis.core.text import DECISION_NO, clean_text
from gis.models import (
    CapitalPlan,
    Disbursement,
    DisbursementTarget,
    NationalDisbursementRate,
    Project,
    User,
)
from gis.workflow.boundary import (
    check_replayed_reversal,
    clean_key,
    idempotency_conflict,
    translate_db_errors,
)

MAX_VND = 10**16
"""Largest amount accepted (a typo guard far above any provincial capital plan)."""
FIRST_YEAR, LAST_YEAR = 2000, 2100


def refuse(detail: str, message_vi: str, reason: str, params: Mapping[str, object] | None = None,
           **extra: Any) -> InvalidInput:
    """A refused input with its Vietnamese message (a template filled from ``params``) and
    machine reason."""
    return InvalidInput(detail, message_vi=message_vi, reason=reason, params=params, **extra)


# -- small checks -----------------------------------------------------------------------

def check_year(year: object, field: str = "year") -> int:
    """A plan year, 2000–2100."""
    if isinstance(year, bool) or not isinstance(year, int) or not (
            FIRST_YEAR <= year <= LAST_YEAR):
        raise refuse(f"year {year!r} out of range", "Năm kế hoạch '{year}' không hợp lệ "
                     "(từ {first} đến {last}).", "year_out_of_range",
                     {"year": str(year), "first": str(FIRST_YEAR), "last": str(LAST_YEAR)},
                     field=field)
    return year


def check_month(month: object, field: str = "month") -> int:
    """A month, 1–12."""
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise refuse(f"month {month!r} out of range", "Tháng '{month}' không hợp lệ: tháng "
                     "phải từ 1 đến 12.", "month_out_of_range", {"month": str(month)},
                     field=field)
    return month


def check_vnd(value: object, field: str, *, positive: bool = False) -> int:
    """Whole VND: an int, never negative (or > 0), at most ``MAX_VND``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(f"{field} must be an integer", "Số tiền phải là số nguyên đồng.",
                     "not_integer_vnd", field=field)
    if positive and value <= 0:
        raise refuse(f"{field} must be positive", "Số tiền giải ngân {amount} đ phải "
                     "lớn hơn 0; để điều chỉnh giảm hãy đảo bút toán đã ghi.",
                     "amount_not_positive", {"amount": value}, field=field)
    if value < 0:
        raise refuse(f"{field} negative", "Số tiền {amount} đ không được âm.",
                     "negative_amount", {"amount": value}, field=field)
    if value > MAX_VND:
        raise refuse(f"{field} too large", "Số tiền {amount} đ quá lớn; kiểm tra lại "
                     "đơn vị (đồng).", "amount_too_large", {"amount": value}, field=field)
    return value


def check_pct(value: object, field: str) -> Decimal:
    """A percentage 0–100 with two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or (
            isinstance(value, float) and not math.isfinite(value)):
        raise refuse(f"{field} not a number", "Tỷ lệ phải là một số (%).", "pct_out_of_range",
                     field=field)
    pct = Decimal(str(value)).quantize(Decimal("0.01"))
    if not Decimal(0) <= pct <= Decimal(100):
        raise refuse(f"{field} out of range", "Tỷ lệ {pct} % không hợp lệ: phải từ 0 đến "
                     "100 %.", "pct_out_of_range", {"pct": value}, field=field)
    return pct


def check_past(day: dt.date, today: dt.date, field: str, label_vi: str) -> dt.date:
    """Refuse a date after today."""
    if day > today:
        raise refuse(f"{field} in the future", "{label:cap} ({day}) ở tương lai — hôm "
                     "nay là {today}.", "date_in_future",
                     {"label": Term(label_vi), "day": day, "today": today}, field=field)
    return day


def check_decision_no(value: str | None) -> str:
    """A decision number such as ``125/QĐ-UBND`` (required)."""
    text_ = clean_text(value, field="decision_no", label_vi="Số quyết định")
    if text_ is None:
        raise refuse("decision_no required", "Cần ghi số quyết định giao (điều chỉnh) kế hoạch "
                     "vốn, ví dụ 125/QĐ-UBND.", "required", field="decision_no")
    text_ = text_.replace(" ", "").upper()
    if not DECISION_NO.match(text_):
        raise refuse(f"bad decision number {value!r}", "Số quyết định '{value}' không đúng "
                     "dạng 'số/ký hiệu', ví dụ 125/QĐ-UBND hoặc 45/2025/QĐ-UBND.",
                     "bad_decision_no", {"value": str(value)}, field="decision_no")
    return text_


def window(year: int) -> tuple[dt.date, dt.date]:
    """The days a year's plan may be disbursed: 1 January to 31 January of the next year."""
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 31)


# -- the timeline check -----------------------------------------------------------------

def plan_in_force(plans: Iterable[tuple[int, dt.date, int]],
                  day: dt.date) -> tuple[int, int] | None:
    """(revision, amount) of the latest revision decided on or before ``day``."""
    found = [(rev, amount) for rev, on, amount in plans if on <= day]
    return max(found) if found else None


def first_overshoot(plans: list[tuple[int, dt.date, int]],
                    ledger: list[tuple[dt.date, int]]) -> tuple[dt.date, int, int] | None:
    """The first day on which the money disbursed exceeds the plan then in force:
    (day, disbursed, plan), or None. ``plans`` are (revision, decision date, amount)."""
    days = sorted({d for d, _ in ledger} | {d for _, d, _ in plans})
    for day in days:
        done = sum(a for d, a in ledger if d <= day)
        plan = plan_in_force(plans, day)
        if done > (plan[1] if plan else 0):
            return day, done, plan[1] if plan else 0
    return None


# -- writes -----------------------------------------------------------------------------

def _writer(session: Session, actor_id: int, project_id: int | None) -> User:
    """The acting user, if they may record capital data of ``project_id`` (None: the
    national figures, which reach the whole province)."""
    user = session.get(User, actor_id)
    if user is None or not user.is_active:
        raise PermissionDenied(f"user {actor_id} unknown or disabled", message_vi="Tài khoản "
                               "không tồn tại hoặc đã bị khoá.", reason="inactive_actor")
    if user.role not in OFFICE_ROLES:
        raise PermissionDenied(f"role {user.role} may not record disbursement",
                               reason="role_not_allowed", role=user.role.value)
    scope = load_scope(session, user.id, user.role)
    if project_id is None:
        require_province(scope, "Nhập tỷ lệ giải ngân bình quân cả nước")
    else:
        check_project_write(scope, project_id)
    return user


def lock_project(session: Session, project_id: int) -> Project:
    """The project, locked so that its capital records are written one at a time."""
    session.execute(text("SET LOCAL lock_timeout = '10s'"))
    project = session.get(Project, project_id, with_for_update=True)
    if project is None:
        raise NotFound(f"project {project_id} not found", message_vi="Không tìm thấy dự án số "
                       "{project}.", params={"project": str(project_id)},
                       reason="project_not_found", project_id=project_id)
    return project


def _stale(what: Phrase, current: int, expected: int) -> Conflict:
    return Conflict(f"{what}: revision {current}, not {expected}", message_vi="{what} đã "
                    "được người khác cập nhật (phiên bản hiện tại {current}, bạn đang sửa phiên "
                    "bản {expected}). Vui lòng tải lại.",
                    params={"what": what, "current": str(current), "expected": str(expected)},
                    reason="stale_version",
                    current_version=current, expected_version=expected)


def _plans(session: Session, project_id: int, year: int) -> list[CapitalPlan]:
    return list(session.scalars(select(CapitalPlan).where(
        CapitalPlan.project_id == project_id, CapitalPlan.year == year)
        .order_by(CapitalPlan.revision)))


def _ledger(session: Session, project_id: int, year: int) -> list[tuple[dt.date, int]]:
    rows = session.execute(select(Disbursement.disbursed_on, Disbursement.amount_vnd).where(
        Disbursement.project_id == project_id, Disbursement.year == year))
    return [(d, a) for d, a in rows]


def _timeline(plans: list[CapitalPlan]) -> list[tuple[int, dt.date, int]]:
    return [(p.revision, p.decision_date, p.amount_vnd) for p in plans]


def record_plan(session: Session, project_id: int, year: int, amount_vnd: int, *,
                decision_no: str | None, decision_date: dt.date, expected_revision: int,
                actor_id: int, note: str | None = None,
                today: dt.date | None = None) -> CapitalPlan:
    """Assign (revision 1) or revise a year's capital plan; ``expected_revision`` is the
    revision the change was based on (0 when there is none yet)."""
    today = today or local_today()
    year = check_year(year)
    amount = check_vnd(amount_vnd, "amount_vnd")
    number = check_decision_no(decision_no)
    check_past(decision_date, today, "decision_date", "Ngày quyết định")
    note = clean_text(note, field="note", label_vi="Ghi chú")
    if not dt.date(year - 1, 1, 1) <= decision_date <= window(year)[1]:
        raise refuse("decision date far from the plan year", "Ngày quyết định "
                     "({day}) không khớp năm kế hoạch {year}.", "decision_outside_year",
                     {"day": decision_date, "year": str(year)}, field="decision_date")
    with translate_db_errors(), session.begin_nested():
        lock_project(session, project_id)
        user = _writer(session, actor_id, project_id)
        plans = _plans(session, project_id, year)
        current = plans[-1].revision if plans else 0
        if expected_revision != current:
            raise _stale(Phrase("Kế hoạch vốn năm {year}", year=str(year)), current,
                         expected_revision)
        if plans and decision_date < plans[-1].decision_date:
            raise refuse("revision dated before the previous one", "Quyết định điều chỉnh "
                         "({day}) không được trước quyết định lần trước "
                         "({previous} ngày {previous_day}).", "decision_before_previous",
                         {"day": decision_date, "previous": plans[-1].decision_no,
                          "previous_day": plans[-1].decision_date}, field="decision_date")
        timeline = [*_timeline(plans), (current + 1, decision_date, amount)]
        over = first_overshoot(timeline, _ledger(session, project_id, year))
        if over is not None:
            raise refuse("plan below disbursed", "Kế hoạch vốn {amount} đ thấp hơn số "
                         "đã giải ngân đến ngày {day} ({disbursed} đ); cần "
                         "đảo bút toán giải ngân trước.", "plan_below_disbursed",
                         {"amount": amount, "day": over[0], "disbursed": over[1]},
                         field="amount_vnd", disbursed_vnd=over[1])
        plan = CapitalPlan(project_id=project_id, year=year, revision=current + 1,
                           amount_vnd=amount, decision_no=number, decision_date=decision_date,
                           note=note, recorded_by=user.id)
        session.add(plan)
        session.flush()
        return plan


@dataclass(frozen=True)
class DisbursementResult:
    """A ledger entry and the year's totals afterwards."""

    entry: Disbursement
    disbursed_vnd: int
    plan_vnd: int
    replayed: bool = False


def _result(session: Session, entry: Disbursement, replayed: bool = False) -> DisbursementResult:
    plans = _plans(session, entry.project_id, entry.year)
    done = sum(a for _, a in _ledger(session, entry.project_id, entry.year))
    return DisbursementResult(entry, done, plans[-1].amount_vnd if plans else 0, replayed)


def _find(session: Session, key: str | None, user_id: int) -> Disbursement | None:
    if key is None:
        return None
    return session.scalars(select(Disbursement).where(
        Disbursement.idempotency_key == key, Disbursement.recorded_by == user_id)).first()


def record_disbursement(session: Session, project_id: int, amount_vnd: int,
                        disbursed_on: dt.date, *, actor_id: int, year: int | None = None,
                        source: str | None = None, voucher_no: str | None = None,
                        note: str | None = None, idempotency_key: str | None = None,
                        today: dt.date | None = None) -> DisbursementResult:
    """Add money disbursed against the ``year``'s plan (default: the year of the day)."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    amount = check_vnd(amount_vnd, "amount_vnd", positive=True)
    year = check_year(disbursed_on.year if year is None else year)
    check_past(disbursed_on, today, "disbursed_on", "Ngày giải ngân")
    first, last = window(year)
    if not first <= disbursed_on <= last:
        raise refuse("outside the year's window", "Ngày giải ngân ({day}) "
                     "ngoài thời gian giải ngân kế hoạch vốn năm {year} (từ {first} "
                     "đến {last}).", "outside_disbursement_window",
                     {"day": disbursed_on, "year": str(year), "first": first, "last": last},
                     field="disbursed_on")
    texts = {name: clean_text(value, field=name, label_vi=label) for name, value, label in (
        ("source", source, "Nguồn vốn"), ("voucher_no", voucher_no, "Số chứng từ"),
        ("note", note, "Ghi chú"))}
    with translate_db_errors(), session.begin_nested():
        lock_project(session, project_id)
        user = _writer(session, actor_id, project_id)
        earlier = _find(session, key, user.id)
        if earlier is not None:
            same = (earlier.project_id, earlier.year, earlier.amount_vnd, earlier.disbursed_on,
                    earlier.source, earlier.voucher_no, earlier.note, earlier.reverses_id) == (
                        project_id, year, amount, disbursed_on, texts["source"],
                        texts["voucher_no"], texts["note"], None)
            if not same:
                raise idempotency_conflict()
            return _result(session, earlier, replayed=True)
        plans = _timeline(_plans(session, project_id, year))
        if plan_in_force(plans, disbursed_on) is None:
            raise refuse("no plan in force", "Chưa có kế hoạch vốn năm {year} được giao đến "
                         "ngày {day}; hãy nhập quyết định giao kế hoạch vốn "
                         "trước.", "no_plan", {"year": str(year), "day": disbursed_on},
                         field="disbursed_on")
        ledger = [*_ledger(session, project_id, year), (disbursed_on, amount)]
        over = first_overshoot(plans, ledger)
        if over is not None:
            raise refuse("disbursement exceeds the plan", "Giải ngân {amount} đ làm lũy "
                         "kế đến ngày {day} ({disbursed} đ) vượt kế hoạch vốn "
                         "năm {year} ({plan} đ).", "exceeds_plan",
                         {"amount": amount, "day": over[0], "disbursed": over[1],
                          "year": str(year), "plan": over[2]}, field="amount_vnd",
                          plan_vnd=over[2], disbursed_vnd=over[1] - amount)
        entry = Disbursement(project_id=project_id, year=year, amount_vnd=amount,
                             disbursed_on=disbursed_on, recorded_by=user.id,
                             idempotency_key=key, **texts)
        session.add(entry)
        session.flush()
        return _result(session, entry)


def reverse_disbursement(session: Session, entry_id: int, *, reason: str | None,
                         actor_id: int, reversed_on: dt.date | None = None,
                         idempotency_key: str | None = None,
                         today: dt.date | None = None) -> DisbursementResult:
    """Cancel a disbursement with a negative entry; ``reason`` is kept as its note."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    why = clean_text(reason, field="reason", label_vi="Lý do đảo bút toán")
    if why is None:
        raise refuse("reason required", "Cần ghi lý do đảo bút toán giải ngân.", "required",
                     field="reason")
    with translate_db_errors(), session.begin_nested():
        original = session.get(Disbursement, entry_id)
        if original is None:
            raise NotFound(f"disbursement {entry_id} not found", message_vi="Không tìm thấy "
                           "bút toán giải ngân số {entry}.", params={"entry": str(entry_id)},
                           reason="disbursement_not_found")
        lock_project(session, original.project_id)
        user = _writer(session, actor_id, original.project_id)
        earlier = _find(session, key, user.id)
        if earlier is not None:
            check_replayed_reversal((earlier.reverses_id, earlier.note, earlier.disbursed_on),
                                    of=entry_id, reason=why, on=reversed_on)
            return _result(session, earlier, replayed=True)
        if original.reverses_id is not None:
            raise refuse("cannot reverse a reversal", "Không thể đảo một bút toán đảo; hãy ghi "
                         "bút toán giải ngân mới.", "reversal_of_reversal")
        done = session.scalar(select(Disbursement.id).where(Disbursement.reverses_id == entry_id))
        if done is not None:
            raise Conflict("already reversed", message_vi="Bút toán giải ngân số {entry} đã "
                           "được đảo (bút toán số {reversal}).",
                           params={"entry": str(entry_id), "reversal": str(done)},
                           reason="already_reversed",
                           reversal_id=done)
        on = reversed_on or min(today, window(original.year)[1])
        check_past(on, today, "reversed_on", "Ngày đảo bút toán")
        if not original.disbursed_on <= on <= window(original.year)[1]:
            raise refuse("reversal date out of range", "Ngày đảo bút toán ({day}) phải "
                         "từ ngày giải ngân ({disbursed}) đến {last}.",
                         "outside_disbursement_window",
                         {"day": on, "disbursed": original.disbursed_on,
                          "last": window(original.year)[1]}, field="reversed_on")
        entry = Disbursement(project_id=original.project_id, year=original.year,
                             amount_vnd=-original.amount_vnd, reverses_id=original.id,
                             disbursed_on=on, source=original.source,
                             voucher_no=original.voucher_no, note=why, recorded_by=user.id,
                             idempotency_key=key)
        session.add(entry)
        session.flush()
        return _result(session, entry)


@dataclass(frozen=True)
class MonthTarget:
    """One month of a target schedule as entered: cumulative % of plan or VND."""

    month: int
    cumulative_pct: float | Decimal | None = None
    cumulative_vnd: int | None = None


def set_targets(session: Session, project_id: int, year: int, months: list[MonthTarget], *,
                committed_on: dt.date, expected_revision: int, actor_id: int,
                note: str | None = None, today: dt.date | None = None
                ) -> list[DisbursementTarget]:
    """Record a new revision of the investor's committed monthly schedule for ``year``."""
    today = today or local_today()
    year = check_year(year)
    check_past(committed_on, today, "committed_on", "Ngày cam kết")
    note = clean_text(note, field="note", label_vi="Ghi chú")
    if not months:
        raise refuse("no months", "Cần nhập mục tiêu giải ngân của ít nhất một tháng.",
                     "required", field="months")
    rows: list[tuple[int, Decimal | None, int | None]] = []
    for i, m in enumerate(months):
        month = check_month(m.month, f"months[{i}].month")
        if (m.cumulative_pct is None) == (m.cumulative_vnd is None):
            raise refuse("one measure per month", "Tháng {month}: nhập mục tiêu lũy kế theo % "
                         "hoặc theo số tiền (đồng), một trong hai.", "target_measure",
                         {"month": str(month)}, field=f"months[{i}]")
        pct = (check_pct(m.cumulative_pct, f"months[{i}].cumulative_pct")
               if m.cumulative_pct is not None else None)
        vnd = (check_vnd(m.cumulative_vnd, f"months[{i}].cumulative_vnd")
               if m.cumulative_vnd is not None else None)
        rows.append((month, pct, vnd))
    rows.sort(key=lambda r: r[0])
    seen = [r[0] for r in rows]
    if len(set(seen)) != len(seen):
        dup = next(m for m in seen if seen.count(m) > 1)
        raise refuse("duplicate month", "Tháng {month} được nhập hai lần.", "duplicate_month",
                     {"month": str(dup)}, field="months")
    pcts = [(m, float(p)) for m, p, _ in rows if p is not None]
    vnds = [(m, float(v)) for m, _, v in rows if v is not None]
    for series in (pcts, vnds):
        for (m0, a), (m1, b) in itertools.pairwise(series):
            if b < a:
                raise refuse("targets must be cumulative", "Mục tiêu lũy kế tháng {later} thấp "
                             "hơn tháng {earlier}: mục tiêu lũy kế không được giảm.",
                             "target_not_cumulative", {"later": str(m1), "earlier": str(m0)},
                             field="months")
    with translate_db_errors(), session.begin_nested():
        lock_project(session, project_id)
        user = _writer(session, actor_id, project_id)
        current = session.scalar(select(func.max(DisbursementTarget.revision)).where(
            DisbursementTarget.project_id == project_id, DisbursementTarget.year == year)) or 0
        if expected_revision != current:
            raise _stale(Phrase("Mục tiêu giải ngân năm {year}", year=str(year)), current,
                         expected_revision)
        out = [DisbursementTarget(project_id=project_id, year=year, revision=current + 1,
                                  month=m, cumulative_pct=p, cumulative_vnd=v,
                                  committed_on=committed_on, note=note, recorded_by=user.id)
               for m, p, v in rows]
        session.add_all(out)
        session.flush()
        return out


def set_national_rate(session: Session, year: int, month: int, rate_pct: object, *,
                      published_on: dt.date, expected_revision: int, actor_id: int,
                      source: str | None = None, today: dt.date | None = None
                      ) -> NationalDisbursementRate:
    """Enter (or revise) the national average disbursement to the end of a month."""
    today = today or local_today()
    year, month = check_year(year), check_month(month)
    pct = check_pct(rate_pct, "rate_pct")
    check_past(published_on, today, "published_on", "Ngày công bố")
    source = clean_text(source, field="source", label_vi="Nguồn số liệu")
    if published_on < dt.date(year, month, 1):
        raise refuse("published before the month", "Số liệu giải ngân tháng {month}/{year} "
                     "không thể công bố trước khi tháng bắt đầu ({day}).",
                     "published_before_month",
                     {"month": str(month), "year": str(year), "day": published_on},
                     field="published_on")
    with translate_db_errors(), session.begin_nested():
        user = _writer(session, actor_id, None)
        session.execute(text("SELECT pg_advisory_xact_lock(5005, :k)"),
                        {"k": year * 100 + month})
        current = session.scalar(select(func.max(NationalDisbursementRate.revision)).where(
            NationalDisbursementRate.year == year, NationalDisbursementRate.month == month)) or 0
        if expected_revision != current:
            raise _stale(Phrase("Tỷ lệ giải ngân bình quân cả nước tháng {month}/{year}",
                                month=str(month), year=str(year)), current, expected_revision)
        rate = NationalDisbursementRate(year=year, month=month, revision=current + 1,
                                        rate_pct=pct, published_on=published_on, source=source,
                                        recorded_by=user.id)
        session.add(rate)
        session.flush()
        return rate
