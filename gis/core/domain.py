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


class ItemKind(StrEnum):
    """What a line item of an approved compensation plan pays for."""

    LAND = "land"  # bồi thường về đất
    STRUCTURES = "structures"  # nhà, công trình, tài sản
    CROPS = "crops"  # cây trồng, vật nuôi
    SUPPORT_LIFE = "support_life"  # hỗ trợ ổn định đời sống
    SUPPORT_JOB = "support_job"  # hỗ trợ đào tạo, chuyển đổi nghề
    SUPPORT_RENT = "support_rent"  # hỗ trợ thuê nhà
    SUPPORT_OTHER = "support_other"  # hỗ trợ khác
    RESETTLEMENT = "resettlement"  # tái định cư
    EARLY_HANDOVER_BONUS = "early_handover_bonus"  # thưởng bàn giao mặt bằng sớm


ITEM_LABELS_VI: dict[ItemKind, str] = {
    ItemKind.LAND: "Bồi thường về đất",
    ItemKind.STRUCTURES: "Nhà, công trình, tài sản",
    ItemKind.CROPS: "Cây trồng, vật nuôi",
    ItemKind.SUPPORT_LIFE: "Hỗ trợ ổn định đời sống",
    ItemKind.SUPPORT_JOB: "Hỗ trợ chuyển đổi nghề",
    ItemKind.SUPPORT_RENT: "Hỗ trợ thuê nhà",
    ItemKind.SUPPORT_OTHER: "Hỗ trợ khác",
    ItemKind.RESETTLEMENT: "Tái định cư",
    ItemKind.EARLY_HANDOVER_BONUS: "Thưởng bàn giao mặt bằng sớm",
}

ITEM_COMPONENT: dict[ItemKind, str] = {
    ItemKind.LAND: "land", ItemKind.STRUCTURES: "structures", ItemKind.CROPS: "crops",
    ItemKind.SUPPORT_LIFE: "support", ItemKind.SUPPORT_JOB: "support",
    ItemKind.SUPPORT_RENT: "support", ItemKind.SUPPORT_OTHER: "support",
    ItemKind.RESETTLEMENT: "resettlement", ItemKind.EARLY_HANDOVER_BONUS: "support",
}
"""Which of the case's five approved-amount columns a line item adds to."""


class DecisionKind(StrEnum):
    """How a compensation decision relates to the household's earlier ones."""

    APPROVAL = "approval"  # quyết định phê duyệt phương án
    AMENDMENT = "amendment"  # điều chỉnh: replaces the decision it amends
    SUPPLEMENT = "supplement"  # bổ sung: adds to the decisions in force
    MIGRATED = "migrated"  # amounts from before household records (revision 0008)


DECISION_LABELS_VI: dict[DecisionKind, str] = {
    DecisionKind.APPROVAL: "Phê duyệt phương án",
    DecisionKind.AMENDMENT: "Điều chỉnh",
    DecisionKind.SUPPLEMENT: "Bổ sung",
    DecisionKind.MIGRATED: "Chuyển từ dữ liệu cũ",
}


class PayeeKind(StrEnum):
    """Who may receive a household's money."""

    LAND_USER = "land_user"  # the land user of the record
    AUTHORISED = "authorised"  # người được ủy quyền (giấy ủy quyền)
    HEIR = "heir"  # người thừa kế (văn bản thừa kế)


PAYEE_LABELS_VI: dict[PayeeKind, str] = {
    PayeeKind.LAND_USER: "Người sử dụng đất",
    PayeeKind.AUTHORISED: "Người được ủy quyền",
    PayeeKind.HEIR: "Người thừa kế",
}


class LedgerKind(StrEnum):
    """A ledger entry is money handed to the payee, or deposited for them."""

    PAYMENT = "payment"
    DEPOSIT = "deposit"  # gửi tài khoản tạm giữ tại Kho bạc (từ chối nhận / vắng mặt)
