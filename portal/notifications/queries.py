"""Reading the outbox (admins) and a person's in-app notifications, and marking those read."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select, update

from portal.core.clock import utcnow
from portal.core.pagination import Page, paginate
from portal.core.rows import read_rows
from portal.db import db
from portal.notifications.models import Notification, OutboxMessage, OutboxStatus

OUTBOX_PER_PAGE = 25
INBOX_PER_PAGE = 20


@dataclass(frozen=True)
class OutboxFilters:
    status: OutboxStatus | None = None
    kind: str = ""

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> OutboxFilters:
        """Filters from the query string; unknown values are ignored rather than refused."""
        raw_status = (args.get("status") or "").strip()
        status = OutboxStatus(raw_status) if raw_status in set(OutboxStatus) else None
        kind = (args.get("kind") or "").strip()[:40]
        return cls(status=status, kind=kind)

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.status is not None:
            args["status"] = self.status.value
        if self.kind:
            args["kind"] = self.kind
        return args


def outbox_page(filters: OutboxFilters, page: int) -> Page:
    """Outbox messages, newest first: one COUNT and one SELECT."""
    stmt: Select = select(OutboxMessage).order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
    )
    if filters.status is not None:
        stmt = stmt.where(OutboxMessage.status == filters.status)
    if filters.kind:
        stmt = stmt.where(OutboxMessage.kind == filters.kind)
    return paginate(stmt, page, per_page=OUTBOX_PER_PAGE)


def outbox_kinds() -> list[str]:
    """Every kind of message the outbox has held, for the filter."""
    return list(
        db.session.scalars(select(OutboxMessage.kind).distinct().order_by(OutboxMessage.kind))
    )


def outbox_counts() -> dict[OutboxStatus, int]:
    """Messages per status, for the summary above the list."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    ).all()
    counts = {status: 0 for status in OutboxStatus}
    counts.update({status: n for status, n in rows})
    return counts


def pending_count() -> int:
    return (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )


def inbox_page(user_id: int, page: int) -> Page:
    """The user's own notifications, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(stmt, page, per_page=INBOX_PER_PAGE)


@functools.cache
def _unread_count_statement() -> Select[tuple[int]]:
    # Built once with the person as a parameter: the header badge runs it on every page,
    # and building the statement cost more than running it.
    return select(func.count(Notification.id)).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
    )


def unread_count(user_id: int) -> int:
    """One COUNT on the (user_id, read_at) index."""
    (row,) = read_rows(_unread_count_statement(), {"user_id": user_id})
    return row[0] or 0


def own_notification(user_id: int, notification_id: int) -> Notification | None:
    """The notification if it belongs to the user; someone else's looks like a missing one."""
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def mark_read(notification: Notification) -> None:
    """Mark one notification read (flushes only; reading it twice changes nothing)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many (flushes only)."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
