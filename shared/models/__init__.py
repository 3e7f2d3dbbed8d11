"""Tables of the helpdesk, grouped by concern."""

# The consultation's tables live beside its services; imported here so the metadata holds every table.
from shared.consultation.models import (
    Amendment,
    AuditEntry,
    Consultation,
    Escalation,
    FaqEntry,
    FaqStatus,
    Photo,
    Problem,
    ProblemReference,
    Regulation,
    RegulationKind,
    StepSpan,
    SurveyResponse,
)
from shared.db import Base
from shared.models.printing import PrinterState, PrintJob, PrintStatus
from shared.models.reference import Office, Party, Province, Topic
from shared.models.staff import Desk, Role, StaffSession, User
from shared.models.visits import (
    Consent,
    DailyCounter,
    Signature,
    Visit,
    VisitorType,
    VisitStatus,
)

__all__ = [
    "Amendment",
    "AuditEntry",
    "Base",
    "Consultation",
    "Escalation",
    "FaqEntry",
    "FaqStatus",
    "Photo",
    "Problem",
    "ProblemReference",
    "Province",
    "Regulation",
    "RegulationKind",
    "StepSpan",
    "SurveyResponse",
    "Consent",
    "DailyCounter",
    "Desk",
    "Office",
    "Party",
    "PrintJob",
    "PrintStatus",
    "PrinterState",
    "Role",
    "Signature",
    "StaffSession",
    "Topic",
    "User",
    "Visit",
    "VisitStatus",
    "VisitorType",
]
