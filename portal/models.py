"""Imports every model module so metadata is complete (Alembic, tests)."""

from portal.assistant.models import (
    AssistantLimits,
    AssistantMessage,
    Conversation,
    DocType,
    Draft,
    DraftVersion,
    Exercise,
    GuardEvent,
    MessageRating,
    ModelSetting,
    PolicyAcceptance,
    Submission,
    UsageCounter,
)
from portal.attendance.models import (
    AttendanceMark,
    CheckinWindow,
    Completion,
    HoursEntry,
    HoursEvidence,
    HoursYear,
)
from portal.audit.models import AuditEntry
from portal.auth.models import LoginFailure, LoginSession
from portal.catalog.models import Course
from portal.certificates.models import Certificate
from portal.enrollment.models import Enrollment
from portal.ideas.models import ConsultingOutcome, ConsultingSlot, Idea, IdeaEvent
from portal.notifications.models import Notification, OutboxMessage
from portal.org.models import Department
from portal.reminders.models import ReminderLog
from portal.scheduling.models import TrainingSession
from portal.surveys.models import SurveyReceipt, SurveyResponse
from portal.users.models import RosterUpload, User

__all__ = [
    "AssistantLimits",
    "AssistantMessage",
    "Conversation",
    "DocType",
    "Draft",
    "DraftVersion",
    "Exercise",
    "GuardEvent",
    "MessageRating",
    "ModelSetting",
    "PolicyAcceptance",
    "Submission",
    "UsageCounter",
    "AttendanceMark",
    "AuditEntry",
    "Certificate",
    "CheckinWindow",
    "Completion",
    "HoursEntry",
    "HoursEvidence",
    "HoursYear",
    "SurveyReceipt",
    "SurveyResponse",
    "Course",
    "Department",
    "Enrollment",
    "ConsultingOutcome",
    "ConsultingSlot",
    "Idea",
    "IdeaEvent",
    "LoginFailure",
    "LoginSession",
    "Notification",
    "OutboxMessage",
    "ReminderLog",
    "RosterUpload",
    "TrainingSession",
    "User",
]
