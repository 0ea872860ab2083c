"""The steering committee's vocabulary: groups, unit kinds, positions, meeting kinds, task
states and traffic lights, each with the Vietnamese label users see."""

from __future__ import annotations

from enum import StrEnum


class ProjectGroup(StrEnum):
    """How the committee groups its key projects."""

    STATE_BUDGET = "state_budget"
    PPP = "ppp"
    NON_BUDGET = "non_budget"


GROUP_LABELS_VI = {ProjectGroup.STATE_BUDGET: "Vốn ngân sách nhà nước",
                   ProjectGroup.PPP: "Đối tác công tư (PPP)",
                   ProjectGroup.NON_BUDGET: "Vốn ngoài ngân sách"}


class UnitKind(StrEnum):
    """What a unit answering to the committee is."""

    STANDING_AGENCY = "standing_agency"  # cơ quan thường trực (Sở Tài chính)
    INVESTOR = "investor"
    LAND_FUND = "land_fund"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    OTHER = "other"


class Position(StrEnum):
    """A member's position on the committee."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"


POSITION_LABELS_VI = {Position.CHAIR: "Trưởng ban", Position.VICE_CHAIR: "Phó Trưởng ban",
                      Position.MEMBER: "Thành viên"}


class ChangeAction(StrEnum):
    """A change of the key-project list."""

    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"


ACTION_LABELS_VI = {ChangeAction.ADD: "Bổ sung vào danh mục",
                    ChangeAction.CHANGE: "Điều chỉnh thông tin",
                    ChangeAction.REMOVE: "Đưa ra khỏi danh mục"}


class MeetingKind(StrEnum):
    """A regular quarterly meeting or an ad hoc one."""

    QUARTERLY = "quarterly"
    AD_HOC = "ad_hoc"


MEETING_LABELS_VI = {MeetingKind.QUARTERLY: "Họp định kỳ quý",
                     MeetingKind.AD_HOC: "Họp đột xuất"}


class TaskUpdateKind(StrEnum):
    """An entry in a task's log."""

    PROGRESS = "progress"
    DONE = "done"
    REOPENED = "reopened"


class TaskState(StrEnum):
    """Where a task stands on a day."""

    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"


TASK_STATE_LABELS_VI = {TaskState.OPEN: "Đang thực hiện", TaskState.OVERDUE: "Quá hạn",
                        TaskState.DONE: "Đã hoàn thành",
                        TaskState.DONE_LATE: "Hoàn thành chậm"}


class Light(StrEnum):
    """Traffic light of a figure against its plan."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"


LIGHT_LABELS_VI = {Light.GREEN: "Đạt kế hoạch", Light.AMBER: "Chậm nhẹ",
                   Light.RED: "Chậm nhiều", Light.NONE: "Chưa có kế hoạch"}
LIGHT_ORDER = {Light.RED: 0, Light.AMBER: 1, Light.GREEN: 2, Light.NONE: 3}

GREEN_FROM = 0.95
"""Actual at least this share of the plan to date: green."""
AMBER_FROM = 0.80
"""At least this share: amber; below it: red."""


class Measure(StrEnum):
    """What a plan promises, cumulative to each month's end."""

    HANDED_OVER_HA = "handed_over_ha"
    HOUSEHOLDS_PAID = "households_paid"
    HOUSEHOLDS_HANDED_OVER = "households_handed_over"
    DISBURSED_VND = "disbursed_vnd"


MEASURE_LABELS_VI = {Measure.HANDED_OVER_HA: "Diện tích bàn giao (ha)",
                     Measure.HOUSEHOLDS_PAID: "Số hộ đã chi trả",
                     Measure.HOUSEHOLDS_HANDED_OVER: "Số hộ đã bàn giao mặt bằng",
                     Measure.DISBURSED_VND: "Giải ngân vốn năm (đồng)"}
