"""Domain vocabulary shared by the models, the workflow and the pages.

English names in code; the Vietnamese labels users see live next to them.
"""

from __future__ import annotations

from enum import StrEnum


class UnitType(StrEnum):
    """Commune-level administrative unit type after the 2025 merger."""

    COMMUNE = "xa"
    WARD = "phuong"


class InvestmentForm(StrEnum):
    """How a project is financed."""

    PUBLIC_BUDGET = "public_budget"
    PPP_BOT = "ppp_bot"
    NON_BUDGET = "non_budget"


class CaseStep(StrEnum):
    """Where a clearance case stands in the legal procedure.

    After the plan is approved, the recovery decision and the payment may come in
    either order; ``decided_paid`` means both are done and the site can be handed over.
    """

    NOT_STARTED = "not_started"
    NOTIFIED = "notified"
    INVENTORIED = "inventoried"
    PLAN_POSTED = "plan_posted"
    PLAN_APPROVED = "plan_approved"
    DECIDED = "decided"
    PAID = "paid"
    DECIDED_PAID = "decided_paid"
    HANDED_OVER = "handed_over"


STEP_LABELS_VI: dict[CaseStep, str] = {
    CaseStep.NOT_STARTED: "Chưa thông báo",
    CaseStep.NOTIFIED: "Đã thông báo thu hồi",
    CaseStep.INVENTORIED: "Đã kiểm đếm",
    CaseStep.PLAN_POSTED: "Đã niêm yết phương án",
    CaseStep.PLAN_APPROVED: "Đã phê duyệt phương án",
    CaseStep.DECIDED: "Đã có QĐ thu hồi, chưa chi trả",
    CaseStep.PAID: "Đã chi trả, chưa có QĐ thu hồi",
    CaseStep.DECIDED_PAID: "Đã thu hồi và chi trả",
    CaseStep.HANDED_OVER: "Đã bàn giao mặt bằng",
}

STEP_ORDER: dict[CaseStep, int] = {
    CaseStep.NOT_STARTED: 0,
    CaseStep.NOTIFIED: 1,
    CaseStep.INVENTORIED: 2,
    CaseStep.PLAN_POSTED: 3,
    CaseStep.PLAN_APPROVED: 4,
    CaseStep.DECIDED: 5,
    CaseStep.PAID: 5,
    CaseStep.DECIDED_PAID: 6,
    CaseStep.HANDED_OVER: 7,
}


class EventKind(StrEnum):
    """Kinds of entries in a case's append-only history."""

    STEP = "step"  # a move along the procedure (step_from -> step_to)
    COMPULSORY_INVENTORY = "compulsory_inventory"  # kiểm đếm bắt buộc
    COMPLAINT_FILED = "complaint_filed"  # khiếu nại
    COMPLAINT_RESOLVED = "complaint_resolved"
    ENFORCEMENT_DECIDED = "enforcement_decided"  # quyết định cưỡng chế thu hồi đất
    ENFORCEMENT_EXECUTED = "enforcement_executed"
    NOTE = "note"
    CONSULTATION = "consultation"  # họp lấy ý kiến / đối thoại về phương án (after posting)
    NOTICE_RENEWED = "notice_renewed"  # thông báo thu hồi mới thay thông báo đã hết hiệu lực
    RECOVERY_EXCEPTION = "recovery_exception"  # Art. 85(2) consent, Res. 254 Art. 3.3
    OWNER_COMPLIED = "owner_complied"  # chấp hành sau quyết định cưỡng chế


class PaymentMethod(StrEnum):
    """How money reached (or was set aside for) the land user."""

    CASH = "cash"
    TRANSFER = "transfer"
    TREASURY_DEPOSIT = "treasury_deposit"  # gửi Kho bạc khi hộ không nhận tiền


class Role(StrEnum):
    """User roles."""

    ADMIN = "admin"
    STAFF = "staff"
    LEADER = "leader"
    FIELD = "field"


class LandUserKind(StrEnum):
    """Who holds land-use rights."""

    HOUSEHOLD = "household"
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"
    COMMUNITY = "community"
