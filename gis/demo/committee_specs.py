"""The demo's 2026 key-project list: 22 projects in three groups (5 state budget, 4 PPP,
13 non-budget), the units and members answering for them. Names are illustrative, modelled
on the kinds of projects Lạng Sơn lists as key; figures are made up, plausible, not official
(the expressway and the police HQ carry the demo's own parcels and figures)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gis.demo.projects import EXPRESSWAY_CODE, POLICE_HQ_CODE

B = 1_000_000_000


@dataclass(frozen=True)
class UnitSpec:
    """A unit answering to the committee."""

    code: str
    name: str
    kind: str


UNITS = (
    UnitSpec("STC", "Sở Tài chính (cơ quan thường trực)", "standing_agency"),
    UnitSpec("TTPTQD", "Trung tâm Phát triển quỹ đất tỉnh", "land_fund"),
    UnitSpec("SXD", "Sở Xây dựng", "department"),
    UnitSpec("SNNMT", "Sở Nông nghiệp và Môi trường", "department"),
    UnitSpec("SCT", "Sở Công Thương", "department"),
    UnitSpec("BOT-HNCL", "Doanh nghiệp dự án BOT cao tốc Hữu Nghị – Chi Lăng", "investor"),
    UnitSpec("CA-TINH", "Công an tỉnh Lạng Sơn", "investor"),
    UnitSpec("BQLDA-GT", "Ban Quản lý dự án đầu tư xây dựng công trình giao thông tỉnh",
             "investor"),
    UnitSpec("BQLDA-DD", "Ban Quản lý dự án đầu tư xây dựng công trình dân dụng tỉnh",
             "investor"),
    UnitSpec("UBND-DONGKINH", "UBND phường Đông Kinh", "commune"),
)


@dataclass(frozen=True)
class MemberSpec:
    """A committee member: who, their position, their unit."""

    full_name: str
    title: str
    position: str
    unit: str | None


MEMBERS = (
    MemberSpec("Hoàng Văn Nghiệm", "Chủ tịch UBND tỉnh", "chair", None),
    MemberSpec("Đoàn Thu Hà", "Phó Chủ tịch UBND tỉnh", "vice_chair", None),
    MemberSpec("Nguyễn Quốc Đoàn", "Giám đốc Sở Tài chính", "vice_chair", "STC"),
    MemberSpec("Lương Trọng Quỳnh", "Giám đốc Sở Xây dựng", "member", "SXD"),
    MemberSpec("Lý Thị Ngân", "Giám đốc Sở Nông nghiệp và Môi trường", "member", "SNNMT"),
    MemberSpec("Vi Đức Thắng", "Giám đốc Trung tâm Phát triển quỹ đất tỉnh", "member",
               "TTPTQD"),
)


@dataclass(frozen=True)
class KeySpec:
    """A key project: code, name, group, investor, member (index), unit, capital plan."""

    code: str
    name: str
    group: str
    investor: str
    member: int
    unit: str
    capital_b: int  # the 2026 capital plan, tỷ đồng
    pace: float  # how far disbursement keeps up with the plan (1.0 on plan)


NEW_FORM = {"state_budget": "public_budget", "ppp": "ppp_bot", "non_budget": "non_budget"}

KEY_PROJECTS = (
    KeySpec(EXPRESSWAY_CODE, "", "ppp", "Doanh nghiệp dự án BOT cao tốc Hữu Nghị – Chi Lăng",
            1, "BOT-HNCL", 1650, 1.0),
    KeySpec(POLICE_HQ_CODE, "", "state_budget", "Công an tỉnh Lạng Sơn", 3, "CA-TINH", 150,
            1.0),
    KeySpec("DT-QL4B", "Cải tạo, nâng cấp Quốc lộ 4B đoạn Km3 – Km18", "state_budget",
            "Ban QLDA công trình giao thông tỉnh", 3, "BQLDA-GT", 420, 0.7),
    KeySpec("DT-VANHDAI", "Đường vành đai phía Bắc thành phố Lạng Sơn", "state_budget",
            "Ban QLDA công trình giao thông tỉnh", 3, "BQLDA-GT", 310, 0.95),
    KeySpec("DD-BVDK", "Bệnh viện Đa khoa tỉnh (cơ sở 2)", "state_budget",
            "Ban QLDA công trình dân dụng tỉnh", 1, "BQLDA-DD", 260, 1.05),
    KeySpec("DD-THPT", "Trường THPT chuyên Chu Văn An (cơ sở mới)", "state_budget",
            "Ban QLDA công trình dân dụng tỉnh", 1, "BQLDA-DD", 180, 0.85),
    KeySpec("CT-DDTL", "Cao tốc Đồng Đăng – Trà Lĩnh (đoạn qua Lạng Sơn)", "ppp",
            "Công ty cổ phần BOT Đồng Đăng – Trà Lĩnh", 1, "SXD", 900, 0.6),
    KeySpec("CT-CLCL", "Cao tốc Chi Lăng – Hữu Nghị mở rộng 6 làn", "ppp",
            "Liên danh nhà đầu tư (minh hoạ)", 1, "SXD", 500, 0.9),
    KeySpec("PPP-CCKTH", "Hạ tầng khu trung chuyển hàng hoá cửa khẩu Tân Thanh", "ppp",
            "Nhà đầu tư PPP (minh hoạ)", 4, "SCT", 350, 1.0),
    KeySpec("KDT-MAIPHA", "Khu đô thị mới Mai Pha", "non_budget", "Nhà đầu tư (minh hoạ)", 2,
            "SXD", 240, 0.5),
    KeySpec("KDT-PHUOCLOC", "Khu đô thị Phú Lộc IV", "non_budget", "Nhà đầu tư (minh hoạ)", 2,
            "SXD", 160, 1.0),
    KeySpec("KDT-NAMHD", "Khu đô thị phía Nam Hoàng Đồng", "non_budget",
            "Nhà đầu tư (minh hoạ)", 2, "SXD", 200, 0.8),
    KeySpec("KCN-DONGDANG", "Khu công nghiệp Đồng Bành mở rộng", "non_budget",
            "Nhà đầu tư hạ tầng KCN (minh hoạ)", 4, "SCT", 420, 0.75),
    KeySpec("KCN-HOPTHANH", "Khu công nghiệp Hợp Thành", "non_budget",
            "Nhà đầu tư hạ tầng KCN (minh hoạ)", 4, "SCT", 380, 1.1),
    KeySpec("CCN-HUULUNG", "Cụm công nghiệp Hữu Lũng 2", "non_budget",
            "Nhà đầu tư hạ tầng CCN (minh hoạ)", 4, "SCT", 90, 0.9),
    KeySpec("TM-LOGISTIC", "Trung tâm logistics cửa khẩu Hữu Nghị", "non_budget",
            "Nhà đầu tư (minh hoạ)", 4, "SCT", 300, 0.65),
    KeySpec("DL-MAUSON", "Khu du lịch sinh thái Mẫu Sơn", "non_budget",
            "Nhà đầu tư (minh hoạ)", 5, "SNNMT", 150, 0.4),
    KeySpec("NL-DIENGIO", "Nhà máy điện gió Lạng Sơn 1", "non_budget",
            "Nhà đầu tư năng lượng (minh hoạ)", 5, "SCT", 600, 1.0),
    KeySpec("NL-THUYDIEN", "Thủy điện Bản Lải (hạng mục GPMB)", "non_budget",
            "Nhà đầu tư năng lượng (minh hoạ)", 5, "SNNMT", 210, 0.9),
    KeySpec("NO-XAHOI", "Nhà ở xã hội khu Đông Kinh", "non_budget", "Nhà đầu tư (minh hoạ)", 2,
            "UBND-DONGKINH", 130, 0.7),
    KeySpec("TM-CHODONG", "Trung tâm thương mại chợ Đông Kinh", "non_budget",
            "Nhà đầu tư (minh hoạ)", 2, "UBND-DONGKINH", 110, 1.0),
    KeySpec("NN-CNC", "Khu nông nghiệp ứng dụng công nghệ cao Cao Lộc", "non_budget",
            "Nhà đầu tư (minh hoạ)", 5, "SNNMT", 85, 0.95),
)
"""Listed by 15/QĐ-UBND of 2026-01-08, except the last (added in May instead of the one
removed: ``REMOVED``)."""

REMOVED = KeySpec("KDT-CAOLOC", "Khu đô thị Cao Lộc (giai đoạn 1)", "non_budget",
                  "Nhà đầu tư (minh hoạ)", 2, "SXD", 0, 0.0)
LIST_DECISION = ("15/QĐ-UBND", dt.date(2026, 1, 8))
CHANGE_DECISION = ("812/QĐ-UBND", dt.date(2026, 5, 15))
"""Removes ``REMOVED`` (investor withdrew) and adds the last of ``KEY_PROJECTS``."""
