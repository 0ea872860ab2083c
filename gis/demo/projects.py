"""The demo projects: what they are, who owns them, and the deadlines the province set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gis.core.domain import InvestmentForm


@dataclass(frozen=True)
class MilestoneSpec:
    """A deadline such as "hand over all land by 2025-03-31"."""

    kind: str
    title: str
    due_date: dt.date
    target_share: float | None = None


@dataclass(frozen=True)
class ProjectSpec:
    """A demo project's attributes."""

    code: str
    name: str
    investment_form: InvestmentForm
    owner: str
    contracting_authority: str
    legal_basis: str
    start_date: dt.date
    milestones: tuple[MilestoneSpec, ...] = field(default_factory=tuple)


EXPRESSWAY_CODE = "CT-HNCL"
POLICE_HQ_CODE = "CA-LSN"

DEMO_PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        code=EXPRESSWAY_CODE,
        name="Cao tốc Hữu Nghị – Chi Lăng (PPP-BOT)",
        investment_form=InvestmentForm.PPP_BOT,
        owner="Doanh nghiệp dự án BOT cao tốc Hữu Nghị – Chi Lăng (dữ liệu minh hoạ)",
        contracting_authority="UBND tỉnh Lạng Sơn",
        legal_basis=(
            "Tuyến chính 43,43 km, 4 làn xe, và tuyến nhánh Tân Thanh – Cốc Nam 16,44 km. "
            "Căn cứ pháp lý ghi trong dữ liệu mẫu chỉ để minh hoạ."
        ),
        start_date=dt.date(2024, 1, 15),
        milestones=(
            MilestoneSpec("handover_share", "Bàn giao 90% mặt bằng tuyến chính",
                          dt.date(2024, 12, 31), 0.9),
            MilestoneSpec("handover_all", "Hoàn thành GPMB, bàn giao toàn bộ mặt bằng",
                          dt.date(2025, 3, 31), 1.0),
            MilestoneSpec("payment_all", "Chi trả xong cho các hộ còn lại",
                          dt.date(2025, 6, 30), 1.0),
        ),
    ),
    ProjectSpec(
        code=POLICE_HQ_CODE,
        name="Trụ sở làm việc Công an tỉnh Lạng Sơn",
        investment_form=InvestmentForm.PUBLIC_BUDGET,
        owner="Công an tỉnh Lạng Sơn",
        contracting_authority="UBND tỉnh Lạng Sơn",
        legal_basis="Dự án đầu tư công; khu đất khoảng 5,5 ha và khu tái định cư (minh hoạ).",
        start_date=dt.date(2024, 9, 1),
        milestones=(
            MilestoneSpec("plan_approval", "Phê duyệt phương án bồi thường",
                          dt.date(2025, 6, 30), 1.0),
            MilestoneSpec("handover_all", "Bàn giao toàn bộ mặt bằng",
                          dt.date(2025, 12, 31), 1.0),
        ),
    ),
)
