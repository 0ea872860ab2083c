"""The ORM: typed SQLAlchemy 2 models over the schema created by the Alembic revisions, one
module per group of tables; a test compares them with the migrated database."""

from gis.models.auth import AuthToken, LoginAttempt
from gis.models.base import Base
from gis.models.capital import (
    CapitalPlan,
    Disbursement,
    DisbursementTarget,
    NationalDisbursementRate,
)
from gis.models.cases import CaseEvent, ClearanceCase, Payment
from gis.models.committee import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteePlan,
    CommitteePlanMonth,
    CommitteeTask,
    CommitteeTaskUpdate,
    CommitteeUnit,
    CommitteeUnitUser,
    KeyProjectChange,
)
from gis.models.compensation import (
    CompensationDecision,
    CompensationHousehold,
    HouseholdCase,
    LatePaymentRate,
    LineItem,
    Payee,
)
from gis.models.deadlines import CaseNextDeadline
from gis.models.documents import CaseDocument
from gis.models.field import FieldAction, FieldActionResolution
from gis.models.imports import ImportBatch, ImportBatchChange
from gis.models.parcels import LandUser, Parcel, ParcelLandUser, Survey
from gis.models.procedure import (
    Complaint,
    EnforcementBlackout,
    EventDocument,
    RecoveryException,
)
from gis.models.projects import Alignment, Project, ProjectMilestone
from gis.models.reference import Commune, LandUseLegacyCode, LandUseType
from gis.models.resettlement import ResettlementAllocation, ResettlementArea, ResettlementPlot
from gis.models.rules import RuleSet, TimeLimit
from gis.models.users import AuditEntry, User, UserCommune, UserProject

__all__ = [
    "Alignment",
    "AuditEntry",
    "AuthToken",
    "Base",
    "CapitalPlan",
    "CaseDocument",
    "CaseEvent",
    "CaseNextDeadline",
    "ClearanceCase",
    "CommitteeMeeting",
    "CommitteeMember",
    "CommitteePlan",
    "CommitteePlanMonth",
    "CommitteeTask",
    "CommitteeTaskUpdate",
    "CommitteeUnit",
    "CommitteeUnitUser",
    "Commune",
    "CompensationDecision",
    "CompensationHousehold",
    "Complaint",
    "Disbursement",
    "DisbursementTarget",
    "EnforcementBlackout",
    "EventDocument",
    "FieldAction",
    "FieldActionResolution",
    "HouseholdCase",
    "ImportBatch",
    "ImportBatchChange",
    "KeyProjectChange",
    "LandUseLegacyCode",
    "LandUseType",
    "LandUser",
    "LatePaymentRate",
    "LineItem",
    "LoginAttempt",
    "NationalDisbursementRate",
    "Parcel",
    "ParcelLandUser",
    "Payee",
    "Payment",
    "Project",
    "ProjectMilestone",
    "RecoveryException",
    "ResettlementAllocation",
    "ResettlementArea",
    "ResettlementPlot",
    "RuleSet",
    "Survey",
    "TimeLimit",
    "User",
    "UserCommune",
    "UserProject",
]
