"""Coordinator roster tools: the roster, add, remove, promote, reorder, move, bulk enrolment.

Built on portal.enrollment.operations. Every change to a session's seats or queue first
takes that session's row lock (``lock_session``), seats are only ever taken by a
conditional UPDATE, and rows read after the lock are re-read from the database, so the
capacity invariant of DESIGN.md §3.C holds here as it does for staff. Each change is
audited (§3.A, §3.C). Operations flush; the request commits once.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
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
from portal.org.models import Department
from portal.org.operations import subtree_ids
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

# A bulk selection larger than this is refused: split it (the preview must stay readable).
MAX_BULK = 1000
DEFAULT_APPOINTED_WITHIN_DAYS = 90
MAX_APPOINTED_WITHIN_DAYS = 3650
_SEPARATORS = re.compile(r"[\s,;]+")


class RosterError(EnrollmentError):
    """A roster rule refused the change; the message is shown to the coordinator as it is."""


def _coordinator(actor_id: int) -> Actor:
    # Coordinators act for others: no approval step, windows overridden (and audited).
    return Actor(actor_id, is_coordinator=True, override=True)


def _is_open(session: TrainingSession) -> bool:
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
        return _is_open(self.session)

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
        session_id, user, _coordinator(actor_id), confirm_overlap=True, source="coordinator"
    )
    return AddResult(result.outcome, result.waitlist_position, overlaps=len(result.overlaps))


def remove(session_id: int, enrollment_id: int, actor_id: int) -> Enrollment | None:
    """Cancel someone's place; a freed seat goes to the waitlist head. Returns who was promoted."""
    lock_session(session_id)
    _locked_enrollment(session_id, enrollment_id)
    return cancel(enrollment_id, _coordinator(actor_id))


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
    if not _is_open(session):
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
    if not _is_open(target):
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
    actor = _coordinator(actor_id)
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


# --- bulk enrolment ------------------------------------------------------------------


class BulkMode(enum.StrEnum):
    DEPARTMENT = "department"
    NUMBERS = "numbers"
    RULE = "rule"


class Outcome(enum.StrEnum):
    # In the preview
    WOULD_ENROL = "would_enrol"
    WOULD_WAITLIST = "would_waitlist"
    # In the preview and the result
    ALREADY = "already"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"
    # In the result
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    FAILED = "failed"


@dataclass(frozen=True)
class BulkSelection:
    """Who to enrol where; the confirmation recomputes the people from this, never a list."""

    session_id: int
    mode: BulkMode
    department_id: int | None = None
    employee_numbers: str = ""  # as pasted: one a line, or separated by commas or spaces
    appointed_within_days: int = DEFAULT_APPOINTED_WITHIN_DAYS
    course_id: int | None = None  # the rule's course; None means the target session's course


@dataclass
class BulkLine:
    employee_number: str
    user: User | None
    outcome: Outcome
    status: EnrollmentStatus | None = None  # the current status, for ALREADY
    waitlist_position: int | None = None
    has_overlap: bool = False
    message: str = ""


@dataclass
class BulkPlan:
    selection: BulkSelection
    session: TrainingSession
    rule_course: Course | None
    lines: list[BulkLine]
    seats_left: int
    digest: str  # fingerprint of who was selected, to notice a change before confirming
    applied: bool = False
    counts: Counter[Outcome] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.counts = Counter(line.outcome for line in self.lines)

    def count(self, outcome: str) -> int:
        return self.counts[Outcome(outcome)]


def parse_employee_numbers(text: str) -> list[str]:
    """Employee numbers from pasted text, in order, without repeats."""
    seen: dict[str, None] = {}
    for piece in _SEPARATORS.split(text or ""):
        if piece:
            seen.setdefault(piece, None)
    return list(seen)


def upcoming_sessions() -> list[tuple[TrainingSession, str]]:
    """Scheduled sessions that have not started, with their course titles, soonest first."""
    rows = db.session.execute(
        select(TrainingSession, Course.title)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > utcnow(),
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()
    return [(session, title) for session, title in rows]


def _target_session(session_id: int) -> TrainingSession:
    session = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(TrainingSession.id == session_id)
    ).one_or_none()
    if session is None:
        raise RosterError(_("신청시킬 교육 차수를 찾을 수 없습니다. 목록에서 다시 골라 주세요."))
    if not _is_open(session):
        raise RosterError(_("이미 시작했거나 취소된 차수에는 일괄 신청할 수 없습니다."))
    return session


def _users(stmt: Select) -> list[User]:
    return list(db.session.scalars(stmt.options(joinedload(User.department))))


def _by_department(department_id: int | None) -> list[tuple[str, User | None]]:
    if not department_id or db.session.get(Department, department_id) is None:
        raise RosterError(_("부서를 찾을 수 없습니다. 목록에서 다시 골라 주세요."))
    users = _users(
        select(User)
        .where(User.department_id.in_(subtree_ids(department_id)), User.is_active)
        .order_by(User.employee_number)
    )
    return [(u.employee_number, u) for u in users]


def _by_numbers(text: str) -> list[tuple[str, User | None]]:
    numbers = parse_employee_numbers(text)
    if not numbers:
        raise RosterError(_("사번을 한 줄에 하나씩, 또는 쉼표나 띄어쓰기로 나눠 입력해 주세요."))
    if len(numbers) > MAX_BULK:
        raise RosterError(
            _("한 번에 %(max)d명까지 신청할 수 있습니다. 명단을 나눠 주세요.", max=MAX_BULK)
        )
    found = {
        u.employee_number: u for u in _users(select(User).where(User.employee_number.in_(numbers)))
    }
    return [(number, found.get(number)) for number in numbers]


def _by_rule(days: int, course: Course) -> list[tuple[str, User | None]]:
    if not 1 <= days <= MAX_APPOINTED_WITHIN_DAYS:
        raise RosterError(
            _(
                "임용 후 기간은 1일에서 %(max)d일 사이로 입력해 주세요.",
                max=MAX_APPOINTED_WITHIN_DAYS,
            )
        )
    today = today_in_seoul()
    # "Not completed" until attendance exists: no live enrolment in any session of the course.
    has_taken_course = exists().where(
        Enrollment.user_id == User.id,
        Enrollment.status.in_(ACTIVE),
        Enrollment.session_id.in_(
            select(TrainingSession.id).where(TrainingSession.course_id == course.id)
        ),
    )
    users = _users(
        select(User)
        .where(
            User.is_active,
            User.appointed_on >= today - dt.timedelta(days=days),
            User.appointed_on <= today,
            ~has_taken_course,
        )
        .order_by(User.appointed_on.desc(), User.employee_number)
    )
    return [(u.employee_number, u) for u in users]


def _rule_course(selection: BulkSelection, session: TrainingSession) -> Course | None:
    if selection.mode is not BulkMode.RULE:
        return None
    if not selection.course_id:
        return session.course
    course = db.session.get(Course, selection.course_id)
    if course is None:
        raise RosterError(_("교육과정을 찾을 수 없습니다. 목록에서 다시 골라 주세요."))
    return course


def _select_people(
    selection: BulkSelection, rule_course: Course | None
) -> list[tuple[str, User | None]]:
    if selection.mode is BulkMode.DEPARTMENT:
        people = _by_department(selection.department_id)
    elif selection.mode is BulkMode.NUMBERS:
        people = _by_numbers(selection.employee_numbers)
    else:
        assert rule_course is not None
        people = _by_rule(selection.appointed_within_days, rule_course)
    if len(people) > MAX_BULK:
        raise RosterError(
            _(
                "선택된 사람이 %(n)d명입니다. 한 번에 %(max)d명까지 신청할 수 있으니 범위를 좁혀 주세요.",
                n=len(people),
                max=MAX_BULK,
            )
        )
    return people


def _statuses_in(session_id: int, user_ids: list[int]) -> dict[int, EnrollmentStatus]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.user_id, Enrollment.status).where(
            Enrollment.session_id == session_id, Enrollment.user_id.in_(user_ids)
        )
    )
    return {user_id: status for user_id, status in rows}


def _overlapping_users(session: TrainingSession, user_ids: list[int]) -> set[int]:
    """Who already holds a place in another session at the same time (one query)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Enrollment.user_id)
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(
                Enrollment.user_id.in_(user_ids),
                Enrollment.status.in_(ACTIVE),
                TrainingSession.id != session.id,
                TrainingSession.status == SessionStatus.SCHEDULED,
                and_(
                    TrainingSession.starts_at < session.ends_at,
                    TrainingSession.ends_at > session.starts_at,
                ),
            )
            .distinct()
        )
    )


def _digest(people: list[tuple[str, User | None]]) -> str:
    keys = sorted(str(user.id) if user else f"?{number}" for number, user in people)
    return hashlib.sha256(",".join(keys).encode()).hexdigest()[:32]


def preview_bulk(selection: BulkSelection) -> BulkPlan:
    """What a bulk enrolment would do for each selected person. Writes nothing."""
    session = _target_session(selection.session_id)
    rule_course = _rule_course(selection, session)
    people = _select_people(selection, rule_course)
    known = [user.id for _number, user in people if user is not None]
    statuses = _statuses_in(session.id, known)
    overlapping = _overlapping_users(session, known)
    seats = session.seats_left
    lines = []
    for number, user in people:
        if user is None:
            lines.append(BulkLine(number, None, Outcome.UNKNOWN))
            continue
        line = BulkLine(number, user, Outcome.UNKNOWN, has_overlap=user.id in overlapping)
        status = statuses.get(user.id)
        if not user.is_active:
            line.outcome = Outcome.INACTIVE
        elif status in ACTIVE:
            line.outcome, line.status = Outcome.ALREADY, status
        elif seats > 0:
            line.outcome, seats = Outcome.WOULD_ENROL, seats - 1
        else:
            line.outcome = Outcome.WOULD_WAITLIST
        lines.append(line)
    return BulkPlan(selection, session, rule_course, lines, session.seats_left, _digest(people))


class SelectionChanged(RosterError):
    """The people selected changed between the preview and the confirmation."""

    def __init__(self, plan: BulkPlan):
        super().__init__(
            _("미리 보기 이후 대상자가 바뀌었습니다. 바뀐 명단을 다시 확인한 뒤 반영해 주세요.")
        )
        self.plan = plan


def apply_bulk(selection: BulkSelection, expected_digest: str, actor_id: int) -> BulkPlan:
    """Enrol everyone selected, recomputed from the selection, all in this transaction.

    Refused with SelectionChanged (nothing written) when the people differ from the
    preview the coordinator saw.
    """
    plan = preview_bulk(selection)
    if plan.digest != expected_digest:
        raise SelectionChanged(plan)
    session = lock_session(plan.session.id)
    known = [line.user.id for line in plan.lines if line.user is not None]
    statuses = _statuses_in(session.id, known)  # re-read under the lock
    actor = _coordinator(actor_id)
    for line in plan.lines:
        if line.user is None or not line.user.is_active:
            continue
        current = statuses.get(line.user.id)
        if current in ACTIVE:
            line.outcome, line.status = Outcome.ALREADY, current
            continue
        try:
            with db.session.begin_nested():
                result = enrol(session.id, line.user, actor, confirm_overlap=True, source="bulk")
        except EnrollmentError as err:
            line.outcome, line.message = Outcome.FAILED, str(err)
            continue
        line.has_overlap = bool(result.overlaps)
        if result.outcome is EnrollmentStatus.ENROLLED:
            line.outcome = Outcome.ENROLLED
        else:
            line.outcome, line.waitlist_position = Outcome.WAITLISTED, result.waitlist_position
    plan.applied = True
    plan.counts = Counter(line.outcome for line in plan.lines)
    record(
        "enrollment.bulk",
        target_type="training_session",
        target_id=session.id,
        actor_id=actor_id,
        details={
            "mode": selection.mode.value,
            "department_id": selection.department_id
            if selection.mode is BulkMode.DEPARTMENT
            else None,
            "rule_course_id": plan.rule_course.id if plan.rule_course else None,
            "appointed_within_days": selection.appointed_within_days
            if selection.mode is BulkMode.RULE
            else None,
            "selected": len(plan.lines),
            "counts": {outcome.value: n for outcome, n in sorted(plan.counts.items())},
            "overlaps": sum(1 for line in plan.lines if line.has_overlap),
        },
    )
    return plan
