"""Deterministic demo case history: steps, decisions, payments, complaints, enforcement.

``generate_case_history`` turns a frame of clearance cases into the three frames the demo
loader writes: the final state and approved amounts per case, the append-only event log,
and the payments. The procedure follows the Land Law 2024 (Decrees 88/2024, 102/2024,
Resolution 254/2025 from 2026): steps in order, never skipped; the recovery decision and
the payment after approval in either order; handover once both are done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.core.domain import CaseStep, EventKind
from gis.core.landuse import LandGroup, land_use_type, normalise_land_use_code
from gis.demo.history_calendar import day_number
from gis.demo.history_events import CENTRE, CHAIR, COMMUNE, PAYEE, EventBlocks, finish_events
from gis.demo.history_money import approved_amounts, build_payments
from gis.demo.history_notes import add_side_events
from gis.demo.history_plan import (
    APPROVED,
    FINAL_STEPS,
    HANDED_OVER,
    INVENTORIED,
    POSTED,
    CaseDates,
    CasePlan,
    lay_out_dates,
    notice_days,
    plan_cases,
)
from gis.demo.history_procedure import (
    COMPLAINT_COLUMNS,
    DOCUMENT_COLUMNS,
    add_consultations,
    complaint_register,
    supporting_documents,
)

CASE_COLUMNS = ("case_key", "project_code", "parcel_key", "land_use_code", "recovered_area_m2",
                "legal_area_m2", "is_whole", "has_residence")
"""Required input columns. Optional: ``commune_code`` (waves and prices by commune),
``commune_name`` ("xã Đồng Đăng") and ``district_name`` ("huyện Cao Lộc") for signers,
``payee_name`` for the receipts the payee signs."""

DEFAULT_TODAY = date(2026, 11, 21)

_S = CaseStep
_STEP = EventKind.STEP.value


@dataclass(frozen=True)
class CaseHistory:
    """The generated history: one row per case, the event log, and the payments; the
    supporting documents of the events and the complaint register (keyed by case and the
    event's ``seq``)."""

    cases: pd.DataFrame
    events: pd.DataFrame
    payments: pd.DataFrame
    documents: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(DOCUMENT_COLUMNS)))
    complaints: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(COMPLAINT_COLUMNS)))


def _is_agricultural(codes: NDArray[np.object_]) -> NDArray[np.bool_]:
    groups: dict[str, bool] = {}
    for code in set(codes.tolist()):
        norm = normalise_land_use_code(code)
        groups[code] = norm is not None and land_use_type(norm).group == LandGroup.AGRICULTURAL
    return np.array([groups[c] for c in codes], dtype=bool)


def _text_column(cases: pd.DataFrame, name: str, default: str) -> NDArray[np.object_]:
    if name not in cases.columns:
        return np.full(len(cases), default, dtype=object)
    return cases[name].astype(object).where(cases[name].notna(), default).to_numpy(object)


def generate_case_history(
    cases: pd.DataFrame, seed: int, today: date = DEFAULT_TODAY,
) -> CaseHistory:
    """Generate the procedure history of ``cases`` up to ``today``, deterministically from
    ``seed``. See ``CASE_COLUMNS`` for the input and ``CaseHistory`` for the output."""
    missing = [c for c in CASE_COLUMNS if c not in cases.columns]
    if missing:
        raise ValueError(f"cases is missing columns: {', '.join(missing)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    today_n = day_number(today)
    case_key = cases["case_key"].to_numpy(dtype=np.int64)
    project = cases["project_code"].astype(str).to_numpy(dtype=object)
    codes = cases["land_use_code"].astype(str).str.strip().str.upper().to_numpy(dtype=object)
    codes = np.array([normalise_land_use_code(c) or c for c in codes], dtype=object)
    area = cases["recovered_area_m2"].to_numpy(dtype=np.float64)
    legal = cases["legal_area_m2"].to_numpy(dtype=np.float64)
    whole = cases["is_whole"].to_numpy(dtype=bool)
    residence = cases["has_residence"].to_numpy(dtype=bool)
    resettlement = whole & residence
    agricultural = _is_agricultural(codes)
    commune = (cases["commune_code"].astype(str).to_numpy(dtype=object)
               if "commune_code" in cases.columns else None)

    plan = plan_cases(rng, project, residence)
    notice0, section = notice_days(rng, project, cases["parcel_key"].to_numpy(dtype=np.int64),
                                   commune, plan.final)
    dates = lay_out_dates(rng, notice0, plan, agricultural, resettlement, today_n)

    region = pd.factorize(commune if commune is not None else project, sort=True)[0]
    amounts = approved_amounts(rng, codes, area, legal, whole, residence, resettlement, region)
    approved = plan.final >= APPROVED
    total = np.where(approved, amounts.total, 0)
    paid_rows = np.flatnonzero(plan.has_payment)
    payments = build_payments(rng, case_key[paid_rows], total[paid_rows],
                              dates.first_payment[paid_rows], dates.paid[paid_rows],
                              plan.enforced[paid_rows])

    blocks = EventBlocks()
    _add_steps(blocks, plan, dates)
    add_consultations(rng, blocks, plan, dates, today_n)
    complaint_open = add_side_events(rng, blocks, project, plan, dates, resettlement, residence,
                                     today_n)
    # Offices number their papers separately: one per commune, or per section of a project.
    office = commune if commune is not None else project + "|" + section.astype(str)
    events = finish_events(rng, blocks, case_key, office,
                           _text_column(cases, "commune_name", "xã"),
                           _text_column(cases, "district_name", "huyện"), today_n,
                           _text_column(cases, "payee_name", "Đại diện hộ gia đình"))

    paid_vnd = (payments.groupby("case_key")["amount_vnd"].sum()
                .reindex(case_key, fill_value=0).to_numpy(dtype=np.int64))
    stage = np.full(len(case_key), None, dtype=object)
    stage[plan.enforce_decided] = "decided"
    stage[plan.executed] = "executed"
    out = pd.DataFrame({
        "case_key": case_key,
        "step": np.array([s.value for s in FINAL_STEPS], dtype=object)[plan.final],
        "approved_land_vnd": np.where(approved, amounts.land, 0),
        "approved_structures_vnd": np.where(approved, amounts.structures, 0),
        "approved_crops_vnd": np.where(approved, amounts.crops, 0),
        "approved_support_vnd": np.where(approved, amounts.support, 0),
        "approved_resettlement_vnd": np.where(approved, amounts.resettlement, 0),
        "paid_vnd": paid_vnd,
        "resettlement_needed": resettlement,
        "complaint_open": complaint_open,
        "enforcement_stage": pd.Series(stage, dtype=object),
    })
    out["step"] = out["step"].astype(str)
    return CaseHistory(cases=out, events=events, payments=payments,
                       documents=supporting_documents(events),
                       complaints=complaint_register(events))


def _add_steps(blocks: EventBlocks, plan: CasePlan, d: CaseDates) -> None:
    """The step events: a chain from not_started to each case's final step."""
    f = plan.final
    every = np.arange(len(f))
    blocks.add(every, d.notice, _STEP, 10, step_from=_S.NOT_STARTED, step_to=_S.NOTIFIED,
               doc="TB-UBND", signer=CHAIR)
    rows = np.flatnonzero(f >= INVENTORIED)
    blocks.add(rows, d.inventory[rows], _STEP, 20, step_from=_S.NOTIFIED,
               step_to=_S.INVENTORIED, doc="BB-KĐ", signer=CENTRE)
    rows = np.flatnonzero(f >= POSTED)
    blocks.add(rows, d.posted[rows], _STEP, 30, step_from=_S.INVENTORIED,
               step_to=_S.PLAN_POSTED, doc="TB-UBND", signer=COMMUNE,
               note="Niêm yết công khai phương án tại trụ sở UBND xã và nhà văn hóa thôn")
    rows = np.flatnonzero(f >= APPROVED)
    blocks.add(rows, d.approved[rows], _STEP, 40, step_from=_S.PLAN_POSTED,
               step_to=_S.PLAN_APPROVED, doc="QĐ-UBND", signer=CHAIR)

    dec, pay = plan.has_decision, plan.has_payment
    decided_first = dec & (~pay | (d.decided <= d.paid))
    pay_note = np.where(plan.enforced, "Hộ không nhận tiền, đã gửi tiền bồi thường vào Kho bạc"
                        " Nhà nước", np.where(d.first_payment < d.paid,
                                              "Chi trả đợt 2, hoàn thành chi trả",
                                              "Hoàn thành chi trả tiền bồi thường, hỗ trợ"))
    rows = np.flatnonzero(decided_first)
    blocks.add(rows, d.decided[rows], _STEP, 50, step_from=_S.PLAN_APPROVED,
               step_to=_S.DECIDED, doc="QĐ-UBND", signer=CHAIR)
    rows = np.flatnonzero(pay & ~decided_first)
    blocks.add(rows, d.paid[rows], _STEP, 50, step_from=_S.PLAN_APPROVED, step_to=_S.PAID,
               doc="PC-TTPTQĐ", signer=PAYEE, note=pay_note[rows])
    rows = np.flatnonzero(dec & pay & decided_first)
    blocks.add(rows, d.paid[rows], _STEP, 55, step_from=_S.DECIDED, step_to=_S.DECIDED_PAID,
               doc="PC-TTPTQĐ", signer=PAYEE, note=pay_note[rows])
    rows = np.flatnonzero(dec & pay & ~decided_first)
    blocks.add(rows, d.decided[rows], _STEP, 55, step_from=_S.PAID, step_to=_S.DECIDED_PAID,
               doc="QĐ-UBND", signer=CHAIR)
    rows = np.flatnonzero(f == HANDED_OVER)
    blocks.add(rows, d.handover[rows], _STEP, 70, step_from=_S.DECIDED_PAID,
               step_to=_S.HANDED_OVER, doc="BB-BGMB", signer=CENTRE)
    first = np.flatnonzero(pay & (d.first_payment < d.paid))
    blocks.add(first, d.first_payment[first], EventKind.NOTE.value, 45,
               note="Chi trả đợt 1, phần còn lại chờ bố trí vốn")
