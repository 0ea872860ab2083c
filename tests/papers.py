"""What a lawful step carries, for tests that walk cases through the procedure: the main
document, the competent signer by date, the supporting documents, the consultation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gis.core.domain import CaseStep
from gis.workflow.paperwork import DocKind, DocumentRef

TWO_TIER = dt.date(2025, 7, 1)
ONLINE = dt.date(2026, 1, 1)
S = CaseStep

MAIN_NUMBERS = {S.NOTIFIED: "12/TB-UBND", S.INVENTORIED: "7/BB-KĐ", S.PLAN_POSTED: "8/BB-NY",
                S.PLAN_APPROVED: "45/QĐ-UBND", S.DECIDED: "123/QĐ-UBND",
                S.PAID: "15/PC-TTPTQĐ", S.DECIDED_PAID: "15/PC-TTPTQĐ",
                S.HANDED_OVER: "21/BB-BGMB"}
DECISIONS = frozenset({S.NOTIFIED, S.PLAN_APPROVED, S.DECIDED})
PAYEE = "Nguyễn Văn An"


def signer_on(day: dt.date, commune: str = "Thử Nghiệm", district: str = "Thử Nghiệm") -> str:
    """The competent signer for a household's land on ``day``: the district chairman
    before the two-tier government, the chairman of the merged commune from 2025-07-01."""
    return f"Chủ tịch UBND huyện {district}" if day < TWO_TIER else f"Chủ tịch UBND xã {commune}"


def papers(to: CaseStep, on: dt.date) -> list[DocumentRef]:
    """The supporting documents of a lawful move to ``to`` on ``on``."""
    if to == S.NOTIFIED:
        return [DocumentRef(DocKind.NOTICE_DELIVERY, "3/BB-GTB", on)]
    if to == S.PLAN_POSTED and on >= ONLINE:
        return [DocumentRef(DocKind.EPORTAL_POSTING, "5/TB-UBND", on)]
    return []


def step_kwargs(to: CaseStep, on: dt.date, *, commune: str = "Thử Nghiệm",
                decided: bool = False, paid: bool = False) -> dict[str, Any]:
    """``record_step`` keywords of a lawful move to ``to`` on ``on`` (its main document
    dated that day, the signer or payee, the supporting documents). A move to
    ``decided_paid`` is the decision when ``paid`` (already paid), else the payment."""
    decision = to in DECISIONS or (to == S.DECIDED_PAID and paid)
    number = "123/QĐ-UBND" if decision and to == S.DECIDED_PAID else MAIN_NUMBERS[to]
    signer = signer_on(on, commune) if decision else (
        PAYEE if to in {S.PAID, S.DECIDED_PAID} else None)
    return {"decision_no": number, "decision_date": on, "signer": signer,
            "documents": papers(to, on)}


def posting_days(posted: dt.date) -> int:
    """How long a plan posted on ``posted`` stays posted: 30 days, 10 from 2026."""
    return 10 if posted >= ONLINE else 30


def consultation_kwargs(posted: dt.date, held: dt.date | None = None) -> dict[str, Any]:
    """``record_side_event`` keywords of the consultation after a posting of ``posted``:
    the posting end minutes on the last day, the meeting on ``held`` (default that day)."""
    ended = posted + dt.timedelta(days=posting_days(posted))
    held = held or ended
    return {"occurred_on": held, "decision_no": "9/BB-HLYK", "decision_date": held,
            "documents": [DocumentRef(DocKind.POSTING_END, "9/BB-NY", ended)]}


def as_json(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same keywords as an API body (dates as ISO text, documents as objects)."""
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "documents":
            out[key] = [{"kind": d.kind.value, "doc_no": d.doc_no,
                         "doc_date": d.doc_date.isoformat(), "signed_by": d.signed_by}
                        for d in value]
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif value is not None:
            out[key] = value
    return out
