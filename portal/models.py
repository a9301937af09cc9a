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
from portal.audit.models import AuditEntry
from portal.auth.models import LoginFailure, LoginSession
from portal.catalog.models import Course
from portal.enrollment.models import Enrollment
from portal.notifications.models import Notification, OutboxMessage
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
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
    "AuditEntry",
    "Course",
    "Department",
    "Enrollment",
    "LoginFailure",
    "LoginSession",
    "Notification",
    "OutboxMessage",
    "RosterUpload",
    "TrainingSession",
    "User",
]
