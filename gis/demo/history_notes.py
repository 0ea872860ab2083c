"""Side branches and notes of the demo case history: compulsory inventory, complaints,
enforcement, and the short notes staff write when a case stalls or moves again."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gis.core.domain import EventKind
from gis.demo.history_calendar import next_working_day, previous_working_day
from gis.demo.history_events import CHAIR, ENFORCEMENT_BOARD, EventBlocks
from gis.demo.history_plan import (
    APPROVED,
    DECIDED,
    DECIDED_PAID,
    EXPRESSWAY,
    HANDED_OVER,
    PAID,
    CaseDates,
    CasePlan,
)

_COMPLAINT_SHARE = 0.025
_OPEN_COMPLAINT_SHARE = 0.25
_NOTE = EventKind.NOTE.value

REFUSAL_NOTES = (
    "Hộ gia đình chưa đồng ý nhận tiền, đề nghị tăng đơn giá bồi thường",
    "Hộ gia đình chưa đồng ý với kết quả kiểm đếm, đề nghị đo đạc lại",
    "Chủ sử dụng đất đi làm ăn xa, chưa liên hệ được để nhận tiền",
)
RESIDENTIAL_REFUSAL = "Hộ gia đình chưa nhận tiền, đề nghị được bố trí đất tái định cư tại chỗ"
COMPLAINT_NOTES = (
    "Đơn khiếu nại về đơn giá bồi thường đất",
    "Đơn khiếu nại về diện tích đất bị thu hồi",
    "Đơn khiếu nại về mức hỗ trợ chuyển đổi nghề nghiệp",
)
RESETTLEMENT_COMPLAINT = "Đơn khiếu nại về việc bố trí tái định cư"


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> NDArray[np.object_]:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def add_side_events(
    rng: np.random.Generator, blocks: EventBlocks, project: NDArray[np.object_],
    plan: CasePlan, d: CaseDates, resettlement: NDArray[np.bool_],
    residential: NDArray[np.bool_], today: int,
) -> NDArray[np.bool_]:
    """Add side-branch events and notes to ``blocks``; returns which complaints are open."""
    wd = next_working_day
    f, n = plan.final, len(plan.final)

    late = np.flatnonzero(f < APPROVED)
    blocks.add(late, d.notice[late], _NOTE, 11, note=np.where(
        project[late] == EXPRESSWAY, "Bổ sung thu hồi do điều chỉnh cục bộ hướng tuyến",
        "Bổ sung diện tích thu hồi theo kết quả trích đo bổ sung").astype(object))

    rows = np.flatnonzero(plan.compulsory)
    warned = np.clip(wd(d.compulsory[rows] - rng.integers(5, 21, len(rows))),
                     d.notice[rows], d.compulsory[rows])
    blocks.add(rows, warned, _NOTE, 12,
               note="Hộ gia đình không hợp tác, không cho tổ công tác vào điều tra, kiểm đếm")
    blocks.add(rows, d.compulsory[rows], EventKind.COMPULSORY_INVENTORY.value, 15,
               doc="QĐ-UBND", signer=CHAIR, note="Quyết định kiểm đếm bắt buộc")

    rows = np.flatnonzero(np.isin(f, (APPROVED, DECIDED)))
    refusal = _pick(rng, REFUSAL_NOTES, len(rows))
    refusal[residential[rows] & (rng.random(len(rows)) < 0.4)] = RESIDENTIAL_REFUSAL
    blocks.add(rows, wd(d.approved[rows] + rng.integers(20, 61, len(rows))), _NOTE, 41,
               note=refusal)

    both = np.maximum(d.decided, d.paid)
    rows = np.flatnonzero(plan.enforced)
    persuaded = np.clip(wd(d.enforce_decided[rows] - rng.integers(5, 21, len(rows))),
                        both[rows], d.enforce_decided[rows])
    blocks.add(rows, persuaded, _NOTE, 60,
               note="Đã vận động, thuyết phục nhiều lần, hộ không chấp hành bàn giao mặt bằng")
    blocks.add(rows, d.enforce_decided[rows], EventKind.ENFORCEMENT_DECIDED.value, 61,
               doc="QĐ-UBND", signer=CHAIR,
               note="Quyết định cưỡng chế thực hiện quyết định thu hồi đất")
    rows = np.flatnonzero(plan.executed)
    blocks.add(rows, d.enforce_executed[rows], EventKind.ENFORCEMENT_EXECUTED.value, 62,
               doc="BB-CC", signer=ENFORCEMENT_BOARD,
               note="Tổ chức cưỡng chế thu hồi đất, bàn giao mặt bằng cho chủ đầu tư")

    slow = (f == HANDED_OVER) & ~plan.executed & (d.handover - both > 35)
    rows = np.flatnonzero(slow)
    agreed = np.clip(wd(d.handover[rows] - rng.integers(1, 6, len(rows))), both[rows],
                     d.handover[rows])
    blocks.add(rows, agreed, _NOTE, 65, note="Đã vận động, hộ đồng ý bàn giao mặt bằng")

    rows = np.flatnonzero(np.isin(f, (PAID, DECIDED_PAID)) & ~plan.enforced)
    waiting = np.where(resettlement[rows], "Hộ đã nhận tiền, chờ giao đất tái định cư để di chuyển",
                       np.where(f[rows] == PAID, "Chờ ban hành quyết định thu hồi đất do hồ sơ"
                                " nguồn gốc đất chưa hoàn thiện", "Hộ đã nhận tiền, đề nghị gia"
                                " hạn thời gian tháo dỡ, di chuyển tài sản"))
    blocks.add(rows, wd(d.paid[rows] + rng.integers(5, 41, len(rows))), _NOTE, 59,
               note=waiting.astype(object))

    return _complaints(rng, blocks, project, plan, d, resettlement, residential, today, n)


def _complaints(
    rng: np.random.Generator, blocks: EventBlocks, project: NDArray[np.object_],
    plan: CasePlan, d: CaseDates, resettlement: NDArray[np.bool_],
    residential: NDArray[np.bool_], today: int, n: int,
) -> NDArray[np.bool_]:
    """Complaints filed within 90 days of the recovery decision; most resolved in 20–45 days."""
    wd = next_working_day
    weight = np.where(residential | plan.enforced | (plan.final == DECIDED), 3.0, 1.0)
    eligible = plan.has_decision & (d.decided + 95 <= today)
    chosen: list[NDArray[np.intp]] = []
    for code in sorted(set(project.tolist())):
        in_project = project == code
        candidates = np.flatnonzero(eligible & in_project)
        k = min(round(_COMPLAINT_SHARE * int(in_project.sum())), len(candidates))
        if k > 0:
            key = rng.exponential(size=len(candidates)) / weight[candidates]
            chosen.append(candidates[np.argsort(key, kind="stable")[:k]])
    rows = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.intp)
    filed = wd(d.decided[rows] + rng.integers(3, 81, len(rows)))
    # The register keeps late complaints too: one household wrote after the 90 days.
    late = np.flatnonzero(d.decided[rows] + 170 <= today)[:1]
    filed[late] = wd(d.decided[rows][late] + rng.integers(100, 121, len(late)))
    notes = _pick(rng, COMPLAINT_NOTES, len(rows))
    notes[resettlement[rows] & (rng.random(len(rows)) < 0.5)] = RESETTLEMENT_COMPLAINT
    notes[late] = "Đơn khiếu nại gửi sau thời hiệu 90 ngày, vẫn ghi vào sổ tiếp nhận"
    blocks.add(rows, filed, EventKind.COMPLAINT_FILED.value, 57, note=notes)
    # First-instance resolution within 30 days, 45 for complex cases, holidays included.
    resolved = np.minimum(wd(filed + rng.integers(20, 46, len(rows))),
                          previous_working_day(filed + 45))
    done = (rng.random(len(rows)) >= _OPEN_COMPLAINT_SHARE) & (resolved <= today)
    blocks.add(rows[done], resolved[done], EventKind.COMPLAINT_RESOLVED.value, 58,
               doc="QĐ-UBND", signer=CHAIR,
               note="Giải quyết khiếu nại lần đầu: giữ nguyên phương án đã phê duyệt")
    complaint_open = np.zeros(n, dtype=bool)
    complaint_open[rows[~done]] = True
    return complaint_open
