"""Tables of the helpdesk, grouped by concern."""

from shared.db import Base
from shared.models.printing import PrinterState, PrintJob, PrintStatus
from shared.models.reference import Office, Party, Topic
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
    "Base",
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
