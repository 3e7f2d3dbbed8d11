"""Tables of the helpdesk, grouped by concern."""

from shared.db import Base
from shared.models.printing import PrintJob, PrintStatus
from shared.models.reference import Office, Party, Topic
from shared.models.visits import Consent, DailyCounter, Signature, Visit, VisitorType, VisitStatus

__all__ = [
    "Base",
    "Consent",
    "DailyCounter",
    "Office",
    "Party",
    "PrintJob",
    "PrintStatus",
    "Signature",
    "Topic",
    "Visit",
    "VisitStatus",
    "VisitorType",
]
