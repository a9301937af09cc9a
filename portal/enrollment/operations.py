"""Enrolment rules: seats, the first-come waitlist, approval, windows and overrides.

The capacity invariant (enrolled count never above capacity, under any concurrency):
every change to a session's seats first takes that session's row lock (PostgreSQL:
SELECT ... FOR UPDATE; SQLite: the write transaction began IMMEDIATE, which already
serialises writers), and seats are taken with a conditional
``UPDATE ... SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity``, whose
row count says enrolled (1) or waitlisted (0). A CHECK constraint backs it up.
A naive check-then-insert overbooked a 150-seat session on PostgreSQL (DESIGN.md §3.C).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.enrollment import messages
from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
from portal.enrollment.queries import waitlist_position_expr
from portal.notifications.operations import notify
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User


class EnrollmentError(ValueError):
    """A rule refused the change; the message is shown as it is."""


class OverlapWarning(Exception):
    """The user already holds a place in a session at the same time (warn, don't block)."""

    def __init__(self, overlaps: list[TrainingSession]):
        super().__init__("overlapping sessions")
        self.overlaps = overlaps


@dataclass(frozen=True)
class EnrolResult:
    enrollment: Enrollment
    outcome: EnrollmentStatus
    waitlist_position: int | None = None
    overlaps: list[TrainingSession] = field(default_factory=list)


@dataclass(frozen=True)
class Actor:
    """Who asks for the change. A coordinator acting for someone else may override windows."""

    user_id: int
    is_coordinator: bool = False
    override: bool = False


def _user(enrollment: Enrollment) -> User:
    return db.session.get(User, enrollment.user_id)


# --- locking and seats -------------------------------------------------------------


def lock_session(session_id: int) -> TrainingSession:
    """Load a session holding its row lock for the rest of the transaction."""
    session = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(TrainingSession.id == session_id)
        .with_for_update(of=TrainingSession)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if session is None:
        raise EnrollmentError(_("교육 차수를 찾을 수 없습니다."))
    return session


def take_seat(session: TrainingSession) -> bool:
    """Take one seat if one is free (conditional UPDATE); the caller holds the session lock."""
    result = db.session.execute(
        update(TrainingSession)
        .where(
            TrainingSession.id == session.id,
            TrainingSession.seats_taken < TrainingSession.capacity,
        )
        .values(seats_taken=TrainingSession.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    taken = result.rowcount == 1
    if taken:
        session.seats_taken += 1
    return taken


def _release_seat(session: TrainingSession) -> None:
    db.session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == session.id, TrainingSession.seats_taken > 0)
        .values(seats_taken=TrainingSession.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    session.seats_taken = max(0, session.seats_taken - 1)


def _next_queue_key(session_id: int) -> int:
    current = db.session.scalar(
        select(func.max(Enrollment.queue_key)).where(Enrollment.session_id == session_id)
    )
    return (current or 0) + 1


def waitlist_position(enrollment: Enrollment) -> int | None:
    """1-based place in the waitlist, or None when not waitlisted."""
    if enrollment.status is not EnrollmentStatus.WAITLISTED:
        return None  # known without asking the database
    return db.session.scalar(select(waitlist_position_expr()).where(Enrollment.id == enrollment.id))


# --- checks ------------------------------------------------------------------------


def _check_open_for_enrolment(session: TrainingSession, actor: Actor) -> None:
    now = utcnow()
    if session.status is not SessionStatus.SCHEDULED:
        raise EnrollmentError(_("취소되었거나 끝난 교육 차수에는 신청할 수 없습니다."))
    if session.starts_at <= now:
        raise EnrollmentError(_("이미 시작한 교육 차수에는 신청할 수 없습니다."))
    if actor.override:
        return
    if session.enrol_opens_at and now < session.enrol_opens_at:
        raise EnrollmentError(_("아직 신청 기간이 아닙니다. 신청 시작 시각을 확인해 주세요."))
    if session.enrol_closes_at and now > session.enrol_closes_at:
        raise EnrollmentError(_("신청 기간이 끝났습니다. 교육 담당자에게 문의해 주세요."))


def overlapping_sessions(user_id: int, session: TrainingSession) -> list[TrainingSession]:
    """The user's other enrolled or waitlisted sessions that overlap this one in time."""
    return list(
        db.session.scalars(
            select(TrainingSession)
            .join(Enrollment, Enrollment.session_id == TrainingSession.id)
            .options(joinedload(TrainingSession.course))
            .where(
                Enrollment.user_id == user_id,
                Enrollment.status.in_(ACTIVE),
                TrainingSession.id != session.id,
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at < session.ends_at,
                TrainingSession.ends_at > session.starts_at,
            )
        )
    )


def _audit_for_other(action: str, enrollment: Enrollment, actor: Actor, **details) -> None:
    # Changes made for someone else are audited (DESIGN.md §3.A); a user's own are not.
    if actor.user_id != enrollment.user_id or actor.override:
        record(
            action,
            target_type="enrollment",
            target_id=enrollment.id,
            actor_id=actor.user_id,
            details={"session_id": enrollment.session_id, "user_id": enrollment.user_id}
            | ({"override": True} if actor.override else {})
            | details,
        )


# --- enrol -------------------------------------------------------------------------


def enrol(
    session_id: int,
    user: User,
    actor: Actor,
    *,
    confirm_overlap: bool = False,
    source: str = "self",
) -> EnrolResult:
    """Enrol a user: a seat if one is free, else the waitlist; approval first where required."""
    if not user.is_active:
        raise EnrollmentError(_("사용이 중지된 계정은 신청할 수 없습니다."))
    session = lock_session(session_id)
    # A session's own instructor is never a trainee there (nor on its waitlist).
    if session.instructor_id == user.id:
        raise EnrollmentError(_("이 교육 차수의 강사는 같은 차수에 수강생으로 신청할 수 없습니다."))
    _check_open_for_enrolment(session, actor)

    existing = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.session_id == session.id, Enrollment.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if existing is not None and existing.status in ACTIVE:
        return EnrolResult(existing, existing.status, waitlist_position(existing))

    overlaps = overlapping_sessions(user.id, session)
    if overlaps and not confirm_overlap:
        raise OverlapWarning(overlaps)

    now = utcnow()
    needs_approval = session.course.requires_approval and not actor.is_coordinator
    if existing is None:
        enrollment = Enrollment(
            session_id=session.id,
            user_id=user.id,
            status=EnrollmentStatus.REQUESTED,
            queue_key=_next_queue_key(session.id),
            source=source,
            created_at=now,
            updated_at=now,
        )
        db.session.add(enrollment)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            # Someone (a double-clicked form) inserted the same row first.
            raise EnrollmentError(_("이미 신청한 교육 차수입니다.")) from None
    else:
        enrollment = existing
        enrollment.queue_key = _next_queue_key(session.id)
        enrollment.cancelled_at = None
        enrollment.source = source
        enrollment.updated_at = now

    if needs_approval:
        enrollment.status = EnrollmentStatus.REQUESTED
        db.session.flush()
        return EnrolResult(enrollment, EnrollmentStatus.REQUESTED, overlaps=overlaps)

    outcome = _place(session, enrollment)
    _audit_for_other("enrollment.added_for_user", enrollment, actor, outcome=outcome.value)
    return EnrolResult(enrollment, outcome, waitlist_position(enrollment), overlaps)


def _place(session: TrainingSession, enrollment: Enrollment) -> EnrollmentStatus:
    """Give the enrolment a seat when one is free, otherwise put it at the end of the waitlist."""
    if take_seat(session):
        enrollment.status = EnrollmentStatus.ENROLLED
        db.session.flush()
        notify(_user(enrollment), lambda: messages.confirmed(session))
    else:
        enrollment.status = EnrollmentStatus.WAITLISTED
        db.session.flush()
        position = waitlist_position(enrollment)
        notify(_user(enrollment), lambda: messages.waitlisted(session, position))
    return enrollment.status


# --- approval ----------------------------------------------------------------------


def decide(enrollment_id: int, approve: bool, actor: Actor) -> EnrollmentStatus:
    """A department head or coordinator approves (seat or waitlist) or declines a request."""
    enrollment = _load_enrollment(enrollment_id)
    session = lock_session(enrollment.session_id)
    db.session.refresh(enrollment)
    if enrollment.status is not EnrollmentStatus.REQUESTED:
        raise EnrollmentError(_("이미 처리된 신청입니다."))
    enrollment.decided_by_id = actor.user_id
    enrollment.updated_at = utcnow()
    if approve:
        if session.status is not SessionStatus.SCHEDULED or session.starts_at <= utcnow():
            raise EnrollmentError(_("이미 시작했거나 취소된 교육 차수라 승인할 수 없습니다."))
        outcome = _place(session, enrollment)
    else:
        enrollment.status = EnrollmentStatus.DECLINED
        db.session.flush()
        notify(_user(enrollment), lambda: messages.declined(session))
        outcome = EnrollmentStatus.DECLINED
    record(
        "enrollment.approved" if approve else "enrollment.declined",
        target_type="enrollment",
        target_id=enrollment.id,
        actor_id=actor.user_id,
        details={"session_id": session.id, "user_id": enrollment.user_id, "outcome": outcome.value},
    )
    return outcome


# --- cancel and promote ------------------------------------------------------------


def _load_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise EnrollmentError(_("신청 내역을 찾을 수 없습니다."))
    return enrollment


def cancel(enrollment_id: int, actor: Actor) -> Enrollment | None:
    """Cancel an enrolment; a freed seat goes to the head of the waitlist in the same transaction.

    Returns the promoted enrolment, if any.
    """
    enrollment = _load_enrollment(enrollment_id)
    session = lock_session(enrollment.session_id)
    db.session.refresh(enrollment)
    if enrollment.status not in ACTIVE:
        raise EnrollmentError(_("이미 취소된 신청입니다."))
    now = utcnow()
    if not actor.override:
        if session.starts_at <= now:
            raise EnrollmentError(
                _("이미 시작한 교육은 취소할 수 없습니다. 교육 담당자에게 문의해 주세요.")
            )
        if session.cancel_deadline_at and now > session.cancel_deadline_at:
            raise EnrollmentError(
                _("취소 마감 시각이 지났습니다. 부득이한 사정이면 교육 담당자에게 문의해 주세요.")
            )
    held_seat = enrollment.status is EnrollmentStatus.ENROLLED
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.cancelled_at = now
    enrollment.updated_at = now
    db.session.flush()
    _audit_for_other("enrollment.cancelled_for_user", enrollment, actor)
    if actor.user_id != enrollment.user_id:
        notify(_user(enrollment), lambda: messages.removed(session))
    if not held_seat:
        return None
    _release_seat(session)
    return promote_head(session)


def promote_head(session: TrainingSession) -> Enrollment | None:
    """Give free seats to the waitlist, first come first served; nobody after the start.

    The caller holds the session's lock.
    """
    if session.status is not SessionStatus.SCHEDULED or session.starts_at <= utcnow():
        return None
    promoted = None
    while session.seats_taken < session.capacity:
        head = db.session.scalar(
            select(Enrollment)
            .where(
                Enrollment.session_id == session.id,
                Enrollment.status == EnrollmentStatus.WAITLISTED,
            )
            .order_by(Enrollment.queue_key)
            .limit(1)
        )
        if head is None or not take_seat(session):
            break
        head.status = EnrollmentStatus.ENROLLED
        head.updated_at = utcnow()
        db.session.flush()
        notify(_user(head), lambda: messages.promoted(session))
        record(
            "enrollment.promoted",
            target_type="enrollment",
            target_id=head.id,
            details={"session_id": session.id, "user_id": head.user_id, "automatic": True},
        )
        promoted = promoted or head
    return promoted


def session_waitlist(session_id: int) -> list[Enrollment]:
    """The waitlist in order, with users loaded (one query)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .options(joinedload(Enrollment.user))
            .where(
                and_(
                    Enrollment.session_id == session_id,
                    Enrollment.status == EnrollmentStatus.WAITLISTED,
                )
            )
            .order_by(Enrollment.queue_key)
        )
    )


def seats_consistent(session_id: int) -> bool:
    """The counter equals the number of enrolled rows (used by tests and health checks)."""
    taken = db.session.scalar(
        select(TrainingSession.seats_taken).where(TrainingSession.id == session_id)
    )
    counted = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.ENROLLED
        )
    )
    return taken == counted


def cutoff_passed(session: TrainingSession, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return bool(session.cancel_deadline_at and now > session.cancel_deadline_at)
