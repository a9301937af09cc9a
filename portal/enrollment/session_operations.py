"""A coordinator's change to a session, and what it does to the people on it.

The session's own rules live in portal.scheduling.operations; these operations add the
enrolment side. Every change that touches seats (capacity, cancellation) first takes
the session's row lock through ``lock_session``, so it cannot race an enrolment
(DESIGN.md §3.C). People on a session hear about changes to its time or place and
about its cancellation through the notification outbox, in the same transaction.
Refusals raise SchedulingError, whose message is shown to the coordinator as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.enrollment import messages
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.enrollment.operations import lock_session, promote_head
from portal.notifications.operations import notify
from portal.scheduling.models import TrainingSession
from portal.scheduling.operations import (
    SchedulingError,
    SessionInput,
    apply_session_input,
    clean_cancel_reason,
    mark_cancelled,
    validate_session,
)

# Changing these tells everyone on the session (DESIGN.md §3.F "session changed").
NOTIFY_FIELDS = frozenset({"starts_at", "ends_at", "place", "online_url"})


@dataclass(frozen=True)
class SessionChange:
    """What an edit did: the changed field names, seats given to the waitlist, people told."""

    changed: list[str] = field(default_factory=list)
    promoted: int = 0
    notified: int = 0


def _active_count(session_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.session_id == session_id, Enrollment.status.in_(ACTIVE)
            )
        )
        or 0
    )


def _people_on(session_id: int) -> list[Enrollment]:
    """Requested, enrolled and waitlisted enrolments with their users (one query)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .options(joinedload(Enrollment.user))
            .where(Enrollment.session_id == session_id, Enrollment.status.in_(ACTIVE))
            .order_by(Enrollment.id)
        )
    )


def _lock(session_id: int) -> TrainingSession:
    if (
        db.session.scalar(select(TrainingSession.id).where(TrainingSession.id == session_id))
        is None
    ):
        raise SchedulingError(_("교육 차수를 찾을 수 없습니다."))
    return lock_session(session_id)


def update_session(session_id: int, data: SessionInput) -> SessionChange:
    """Change a session under its row lock.

    Capacity may not drop below the enrolled count; a raised capacity goes to the
    waitlist head(s) at once; a new time or place is announced to everyone on it.
    """
    session = _lock(session_id)
    # Only a change of course asks whether anyone is on the session.
    has_people = data.course_id != session.course_id and _active_count(session.id) > 0
    clean = validate_session(data, existing=session, has_people=has_people)
    old_capacity = session.capacity
    changed = apply_session_input(session, clean)
    if not changed:
        return SessionChange()

    promoted = 0
    if session.capacity > old_capacity:
        before = session.seats_taken
        promote_head(session)
        promoted = session.seats_taken - before

    notified = 0
    if NOTIFY_FIELDS.intersection(changed):
        for enrollment in _people_on(session.id):
            holds_seat = enrollment.status is EnrollmentStatus.ENROLLED
            notify(
                enrollment.user,
                lambda holds_seat=holds_seat: messages.session_changed(
                    session, holds_seat=holds_seat
                ),
            )
            notified += 1

    details: dict[str, object] = {"fields": changed, "promoted": promoted, "notified": notified}
    if "capacity" in changed:
        details |= {"capacity_from": old_capacity, "capacity_to": session.capacity}
    record("session.updated", target_type="training_session", target_id=session.id, details=details)
    return SessionChange(changed=changed, promoted=promoted, notified=notified)


def cancel_session(session_id: int, reason: str) -> int:
    """Cancel a session: every place on it is cancelled, seats freed, everyone told.

    The reason goes into the notifications and is kept in the session's notes (the
    audit entry holds only counts, since a free-text reason may name people).
    Returns the number of enrolments cancelled.
    """
    reason = clean_cancel_reason(reason)
    session = _lock(session_id)
    now = utcnow()
    mark_cancelled(session, reason, now=now)
    people = _people_on(session.id)
    for enrollment in people:
        enrollment.status = EnrollmentStatus.CANCELLED
        enrollment.cancelled_at = now
        enrollment.updated_at = now
    db.session.flush()
    # The counter follows the rows: nobody holds a seat on a cancelled session.
    db.session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == session.id)
        .values(seats_taken=0)
        .execution_options(synchronize_session=False)
    )
    session.seats_taken = 0
    for enrollment in people:
        notify(enrollment.user, lambda: messages.session_cancelled(session, reason))
    record(
        "session.cancelled",
        target_type="training_session",
        target_id=session.id,
        details={"cancelled_enrollments": len(people), "course_id": session.course_id},
    )
    return len(people)
