"""Audit entries are kept for AUDIT_RETENTION_DAYS, then purged by `flask audit purge`.

The audit log is append-only for the application: ``portal.audit.models`` refuses any
AuditEntry deleted through the ORM session. The purge is the one deliberate exception, and
it deletes with bulk DELETE statements (which bypass that listener) for exactly that reason:
it is the retention policy at work, run by an operator from the command line, and it leaves
its own audit entry (``audit.purged``: how many, and the cutoff) that the next purge keeps
until it too falls out of the retention.

Retention under MIN_RETENTION_DAYS is refused: access records to personal data must be kept
at least a year (개인정보의 안전성 확보조치 기준), so a shorter setting is a mistake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from portal.audit.models import AuditEntry
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db

MIN_RETENTION_DAYS = 365
BATCH = 1000


class RetentionTooShort(ValueError):
    pass


@dataclass(frozen=True)
class PurgePlan:
    retention_days: int
    cutoff: dt.datetime
    due: int


def plan(retention_days: int) -> PurgePlan:
    """What a purge would delete now: entries that occurred before the cutoff."""
    if retention_days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(
            f"AUDIT_RETENTION_DAYS={retention_days}: audit entries must be kept at least "
            f"{MIN_RETENTION_DAYS} days (감사 기록은 최소 {MIN_RETENTION_DAYS}일 보관해야 합니다)."
        )
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    due = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.occurred_at < cutoff)
    )
    return PurgePlan(retention_days, cutoff, due or 0)


def purge(
    purge_plan: PurgePlan, *, batch: int = BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Delete the entries older than the plan's cutoff, in batches, and audit the purge.

    Flushes; the command commits once. Returns how many entries were deleted.
    """
    deleted = 0
    while True:
        ids = list(
            db.session.scalars(
                select(AuditEntry.id)
                .where(AuditEntry.occurred_at < purge_plan.cutoff)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        )
        if not ids:
            break
        # A bulk DELETE on purpose: the ORM session refuses to delete audit entries (see the
        # module docstring); retention is the only code allowed to remove them.
        db.session.execute(
            delete(AuditEntry)
            .where(AuditEntry.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        deleted += len(ids)
        if progress:
            progress(len(ids))
    record(
        "audit.purged",
        details={
            "count": deleted,
            "cutoff": purge_plan.cutoff.isoformat(timespec="seconds"),
            "retention_days": purge_plan.retention_days,
        },
    )
    return deleted
