"""Writing audit entries. Callers pass ids and codes, never names or contact details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEntry
from portal.core import bulk
from portal.core.clock import utcnow
from portal.db import db


def client_ip() -> str | None:
    """The client address as ProxyFix has already resolved it."""
    return request.remote_addr if has_request_context() else None


def _default_actor(actor_id: int | None) -> int | None:
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        return current_user.id
    return actor_id


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object | None = None,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the current transaction (flushed, not committed)."""
    actor_id = _default_actor(actor_id)
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


def record_many(entries: Iterable[dict[str, Any]], *, actor_id: int | None = None) -> int:
    """Add many audit entries by the same actor in one bulk INSERT; returns how many.

    Each entry is a dict with ``action`` and optionally ``target_type``, ``target_id`` and
    ``details``, as for :func:`record`. For bulk operations (the roster import), where one
    flush per entry would cost seconds.
    """
    actor_id = _default_actor(actor_id)
    now = utcnow()
    ip = client_ip()
    rows = [
        {
            "occurred_at": now,
            "actor_id": actor_id,
            "action": entry["action"],
            "target_type": entry.get("target_type"),
            "target_id": None if entry.get("target_id") is None else str(entry["target_id"]),
            "ip": ip,
            "details": entry.get("details") or {},
        }
        for entry in entries
    ]
    bulk.insert_rows(db.session, AuditEntry.__table__, rows)
    return len(rows)
