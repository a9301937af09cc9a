"""Coordinator roster tools: the roster, add, remove, promote, reorder and move.

Bulk enrolment is in portal.enrollment.bulk_operations.

Built on portal.enrollment.operations. Every change to a session's seats or queue first
takes that session's row lock (``lock_session``), seats are only ever taken by a
conditional UPDATE, and rows read after the lock are re-read from the database, so the
capacity invariant of DESIGN.md §3.C holds here as it does for staff. Each change is
audited (§3.A, §3.C). Operations flush; the request commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db
from portal.enrollment import messages
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.operations import (
    ACTIVE,
    Actor,
    EnrollmentError,
    cancel,
    enrol,
    lock_session,
    take_seat,
    waitlist_position,
)
from portal.notifications.operations import notify
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User


class RosterError(EnrollmentError):
    """A roster rule refused the change; the message is shown to the coordinator as it is."""


def coordinator_actor(actor_id: int) -> Actor:
    # Coordinators act for others: no approval step, windows overridden (and audited).
    return Actor(actor_id, is_coordinator=True, override=True)


def is_open(session: TrainingSession) -> bool:
    return session.status is SessionStatus.SCHEDULED and session.starts_at > utcnow()


# --- reading the roster --------------------------------------------------------------


@dataclass(frozen=True)
class WaitlistEntry:
    enrollment: Enrollment
    position: int


@dataclass(frozen=True)
class Roster:
    """Everyone on a session, grouped, with users and departments loaded."""

    session: TrainingSession
    enrolled: list[Enrollment]
    waitlisted: list[WaitlistEntry]
    requested: list[Enrollment]
    cancelled: list[Enrollment]  # cancelled and declined, latest first
    move_targets: list[TrainingSession]

    @property
    def is_open(self) -> bool:
        return is_open(self.session)

    @property
    def size(self) -> int:
        return len(self.enrolled) + len(self.waitlisted) + len(self.requested) + len(self.cancelled)


def move_targets(session: TrainingSession) -> list[TrainingSession]:
    """Other upcoming scheduled sessions of the same course, soonest first (one query)."""
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(
                TrainingSession.course_id == session.course_id,
                TrainingSession.id != session.id,
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at > utcnow(),
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


def load_roster(session_id: int) -> Roster | None:
    """The roster of a session in three queries, whatever its size."""
    session = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(TrainingSession.id == session_id)
    ).one_or_none()
    if session is None:
        return None
    rows = db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.user).joinedload(User.department))
        .where(Enrollment.session_id == session_id)
        .order_by(Enrollment.queue_key, Enrollment.id)
    ).all()
    by_status: dict[EnrollmentStatus, list[Enrollment]] = {
        status: [] for status in EnrollmentStatus
    }
    for row in rows:
        by_status[row.status].append(row)
    cancelled = by_status[EnrollmentStatus.CANCELLED] + by_status[EnrollmentStatus.DECLINED]
    cancelled.sort(key=lambda e: e.cancelled_at or e.updated_at, reverse=True)
    return Roster(
        session=session,
        enrolled=sorted(by_status[EnrollmentStatus.ENROLLED], key=lambda e: e.user.name),
        waitlisted=[
            WaitlistEntry(e, n) for n, e in enumerate(by_status[EnrollmentStatus.WAITLISTED], 1)
        ],
        requested=by_status[EnrollmentStatus.REQUESTED],
        cancelled=cancelled,
        move_targets=move_targets(session),
    )


def view_roster(session_id: int) -> Roster | None:
    """Load a roster and audit that it was seen (personal data: DESIGN.md §3.A roster views)."""
    roster = load_roster(session_id)
    if roster is not None:
        record(
            "roster.viewed",
            target_type="training_session",
            target_id=session_id,
            details={"entries": roster.size},
        )
    return roster


def enrollment_in_session(session_id: int, enrollment_id: int) -> bool:
    """Whether the enrolment belongs to the session (URLs name both)."""
    found = db.session.scalar(
        select(Enrollment.id).where(
            Enrollment.id == enrollment_id, Enrollment.session_id == session_id
        )
    )
    return found is not None


def _locked_enrollment(session_id: int, enrollment_id: int) -> Enrollment:
    """The enrolment re-read after the session's lock was taken."""
    enrollment = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.session_id == session_id)
        .execution_options(populate_existing=True)
    )
    if enrollment is None:
        raise RosterError(_("이 차수의 신청 내역을 찾을 수 없습니다."))
    return enrollment


def _audit(action: str, enrollment: Enrollment, actor_id: int, **details) -> None:
    record(
        action,
        target_type="enrollment",
        target_id=enrollment.id,
        actor_id=actor_id,
        details={"session_id": enrollment.session_id, "user_id": enrollment.user_id} | details,
    )


# --- add and remove ------------------------------------------------------------------


@dataclass(frozen=True)
class AddResult:
    status: EnrollmentStatus
    waitlist_position: int | None = None
    already: bool = False
    overlaps: int = 0


def add_person(session_id: int, employee_number: str, actor_id: int) -> AddResult:
    """Put someone on the roster by employee number: a seat if free, else the waitlist."""
    number = employee_number.strip()
    user = db.session.scalar(select(User).where(User.employee_number == number)) if number else None
    if user is None:
        raise RosterError(
            _(
                "사번 '%(number)s'인 직원을 찾을 수 없습니다. 사번을 다시 확인해 주세요.",
                number=number,
            )
        )
    lock_session(session_id)
    existing = db.session.scalar(
        select(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if existing is not None and existing.status in ACTIVE:
        return AddResult(existing.status, waitlist_position(existing), already=True)
    result = enrol(
        session_id, user, coordinator_actor(actor_id), confirm_overlap=True, source="coordinator"
    )
    return AddResult(result.outcome, result.waitlist_position, overlaps=len(result.overlaps))


def remove(session_id: int, enrollment_id: int, actor_id: int) -> Enrollment | None:
    """Cancel someone's place; a freed seat goes to the waitlist head. Returns who was promoted."""
    lock_session(session_id)
    _locked_enrollment(session_id, enrollment_id)
    return cancel(enrollment_id, coordinator_actor(actor_id))


# --- promote and reorder -------------------------------------------------------------


def _locked_waitlist(session_id: int) -> list[Enrollment]:
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.session_id == session_id,
                Enrollment.status == EnrollmentStatus.WAITLISTED,
            )
            .order_by(Enrollment.queue_key, Enrollment.id)
            .execution_options(populate_existing=True)
        )
    )


def promote(session_id: int, enrollment_id: int, actor_id: int) -> Enrollment:
    """Give a waitlisted person a free seat now; refused when the session is full."""
    session = lock_session(session_id)
    enrollment = _locked_enrollment(session_id, enrollment_id)
    if enrollment.status is not EnrollmentStatus.WAITLISTED:
        raise RosterError(_("대기 중인 신청만 확정할 수 있습니다."))
    if not is_open(session):
        raise RosterError(_("이미 시작했거나 취소된 교육 차수라 확정할 수 없습니다."))
    waitlist = [e.id for e in _locked_waitlist(session_id)]
    if not take_seat(session):
        raise RosterError(
            _(
                "빈 자리가 없어 확정할 수 없습니다(정원 %(capacity)d명이 모두 찼습니다). 정원은 넘길 수 없습니다. 이분을 먼저 확정하려면 대기 순서를 맨 앞으로 옮긴 뒤 차수의 정원을 늘려 주세요. 늘어난 자리는 대기 순서대로 확정됩니다.",
                capacity=session.capacity,
            )
        )
    enrollment.status = EnrollmentStatus.ENROLLED
    enrollment.updated_at = utcnow()
    db.session.flush()
    notify(db.session.get(User, enrollment.user_id), lambda: messages.promoted(session))
    _audit(
        "enrollment.promoted",
        enrollment,
        actor_id,
        manual=True,
        waitlist_position=waitlist.index(enrollment.id) + 1,
    )
    return enrollment


class Direction(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    TOP = "top"


def reorder(session_id: int, enrollment_id: int, direction: Direction, actor_id: int) -> int:
    """Move a waitlisted person one place up or down (or to the front). Returns the new place."""
    lock_session(session_id)
    waitlist = _locked_waitlist(session_id)
    index = next((i for i, e in enumerate(waitlist) if e.id == enrollment_id), None)
    if index is None:
        raise RosterError(_("대기 중인 신청만 순서를 바꿀 수 있습니다."))
    target = {Direction.UP: index - 1, Direction.DOWN: index + 1, Direction.TOP: 0}[direction]
    if target < 0 or target >= len(waitlist) or target == index:
        if direction is Direction.DOWN:
            raise RosterError(_("이미 대기 순서의 맨 끝입니다."))
        raise RosterError(_("이미 대기 순서의 맨 앞입니다."))
    moving = waitlist[index]
    if direction is Direction.TOP:
        # One key below the head: the others keep their order behind.
        moving.queue_key = waitlist[0].queue_key - 1
    else:
        other = waitlist[target]
        moving.queue_key, other.queue_key = other.queue_key, moving.queue_key
    moving.updated_at = utcnow()
    db.session.flush()
    _audit(
        "enrollment.reordered",
        moving,
        actor_id,
        direction=direction.value,
        from_position=index + 1,
        to_position=target + 1,
    )
    return target + 1


# --- move to another session ----------------------------------------------------------


@dataclass(frozen=True)
class MoveResult:
    enrollment: Enrollment  # the enrolment in the new session
    status: EnrollmentStatus
    waitlist_position: int | None
    promoted_here: Enrollment | None  # who took the freed seat in the old session
    overlaps: int


def move(session_id: int, enrollment_id: int, target_session_id: int, actor_id: int) -> MoveResult:
    """Move someone to another session of the same course, in one transaction.

    Cancelled here (the freed seat goes to this waitlist's head) and enrolled there
    (a seat if free, else the end of that waitlist). Both sessions are locked in id
    order, so two opposite moves cannot deadlock.
    """
    if target_session_id == session_id:
        raise RosterError(_("지금 차수와 다른 차수를 골라 주세요."))
    locked = {sid: lock_session(sid) for sid in sorted((session_id, target_session_id))}
    source, target = locked[session_id], locked[target_session_id]
    enrollment = _locked_enrollment(session_id, enrollment_id)
    if enrollment.status not in ACTIVE:
        raise RosterError(_("취소된 신청은 옮길 수 없습니다. 옮길 차수에 직접 추가해 주세요."))
    if target.course_id != source.course_id:
        raise RosterError(_("같은 교육과정의 다른 차수로만 옮길 수 있습니다."))
    if not is_open(target):
        raise RosterError(_("이미 시작했거나 취소된 차수로는 옮길 수 없습니다."))
    there = db.session.scalar(
        select(Enrollment.status).where(
            Enrollment.session_id == target.id, Enrollment.user_id == enrollment.user_id
        )
    )
    if there in ACTIVE:
        raise RosterError(_("이미 옮길 차수에 신청되어 있습니다. 이 차수의 신청만 취소해 주세요."))
    user = db.session.get(User, enrollment.user_id)
    if user is None or not user.is_active:
        raise RosterError(_("사용이 중지된 계정은 옮길 수 없습니다."))
    actor = coordinator_actor(actor_id)
    # A savepoint: if the enrolment there fails, the cancellation here is undone too.
    with db.session.begin_nested():
        promoted = cancel(enrollment.id, actor)
        result = enrol(target.id, user, actor, confirm_overlap=True, source="moved")
    record(
        "enrollment.moved",
        target_type="enrollment",
        target_id=result.enrollment.id,
        actor_id=actor_id,
        details={
            "user_id": user.id,
            "from_session_id": source.id,
            "from_enrollment_id": enrollment.id,
            "to_session_id": target.id,
            "outcome": result.outcome.value,
            "promoted_enrollment_id": promoted.id if promoted else None,
        },
    )
    return MoveResult(
        result.enrollment,
        result.outcome,
        result.waitlist_position,
        promoted,
        len(result.overlaps),
    )
