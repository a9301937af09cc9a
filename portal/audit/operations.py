"""Writing audit entries. Callers pass ids and codes, never names or contact details."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEntry
from portal.core.clock import utcnow
from portal.db import db


def client_ip() -> str | None:
    """The client address as ProxyFix has already resolved it."""
    return request.remote_addr if has_request_context() else None


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object | None = None,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the current transaction (flushed, not committed)."""
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=client_ip(),
        details=details or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry
