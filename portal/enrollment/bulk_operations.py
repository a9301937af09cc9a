"""Bulk enrolment by coordinators: by department, by pasted employee numbers, or by rule.

A preview computes what would happen and writes nothing; confirming recomputes the
selection on the server and refuses if it changed since the preview. Each person is
enrolled through portal.enrollment.operations.enrol, so the capacity invariant and the
per-person audit entries are the same as everywhere else. Operations flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import joinedload

from portal.attendance.models import Completion, CompletionStatus
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.operations import ACTIVE, EnrollmentError, enrol, lock_session
from portal.enrollment.roster_operations import RosterError, coordinator_actor, is_open
from portal.org.models import Department
from portal.org.queries import subtree_ids
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

# A bulk selection larger than this is refused: split it (the preview must stay readable).
MAX_BULK = 1000
DEFAULT_APPOINTED_WITHIN_DAYS = 90
MAX_APPOINTED_WITHIN_DAYS = 3650
_SEPARATORS = re.compile(r"[\s,;]+")


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
    INSTRUCTOR = "instructor"  # the session's own instructor: never a trainee there
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
    if not is_open(session):
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
    # "Has not completed course X": excluded are those who completed it (or are judged
    # PENDING, waiting only on an exercise or survey) and those who hold a place in one of
    # its sessions not yet judged (ahead, under way, or ended and not yet judged). Someone who
    # took a session and did not complete it is picked again.
    completed_or_pending = exists().where(
        Completion.user_id == User.id,
        Completion.course_id == course.id,
        Completion.status.in_((CompletionStatus.COMPLETED, CompletionStatus.PENDING)),
    )
    holds_open_place = exists().where(
        Enrollment.user_id == User.id,
        Enrollment.status.in_(ACTIVE),
        Enrollment.session_id.in_(
            select(TrainingSession.id).where(
                TrainingSession.course_id == course.id,
                TrainingSession.status != SessionStatus.CANCELLED,
            )
        ),
        ~exists().where(
            Completion.session_id == Enrollment.session_id,
            Completion.user_id == Enrollment.user_id,
        ),
    )
    has_taken_course = or_(completed_or_pending, holds_open_place)
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
        elif user.id == session.instructor_id:
            line.outcome = Outcome.INSTRUCTOR
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
    actor = coordinator_actor(actor_id)
    for line in plan.lines:
        if line.user is None or not line.user.is_active:
            continue
        if line.user.id == session.instructor_id:
            line.outcome = Outcome.INSTRUCTOR
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
