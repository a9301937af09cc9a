"""Imports every model module so metadata is complete (Alembic, tests)."""

from portal.audit.models import AuditEntry
from portal.auth.models import LoginSession
from portal.org.models import Department
from portal.users.models import RosterUpload, User

__all__ = ["AuditEntry", "Department", "LoginSession", "RosterUpload", "User"]
