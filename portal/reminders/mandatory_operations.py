"""One-click bulk enrolment of new appointees into the next session of a mandatory course.

The people are the 미신청 (nothing applied for, nothing completed) of the compliance page's
current list (course, department, tab); the session is the soonest scheduled one of the
course with a free seat. Both are worked out again on the server at every step, and the
enrolment itself is portal.enrollment.bulk_operations (preview, then apply with the
preview's fingerprint), so capacity, waitlist, overlap warnings and per-person audit are
the same as the bulk page. Operations flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.operations import record
from portal.catalog.models import Course
from portal.db import db
from portal.enrollment import bulk_operations as bulk_ops
from portal.enrollment.bulk_operations import BulkMode, BulkPlan, BulkSelection
from portal.enrollment.roster_operations import RosterError
from portal.reminders.queries import (
    MandatoryStatus,
    Tab,
    next_session_with_seats,
    tab_statement,
)
from portal.scheduling.models import TrainingSession


@dataclass(frozen=True)
class Target:
    course_id: int
    department_id: int | None
    include_sub: bool
    tab: Tab


def mandatory_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not course.is_mandatory_for_new or not course.is_active:
        raise RosterError(_("신규자 필수교육 과정을 찾을 수 없습니다. 목록에서 다시 골라 주세요."))
    return course


def _selection(target: Target, session_id: int | None) -> BulkSelection:
    course = mandatory_course(target.course_id)
    if session_id is None:
        session = next_session_with_seats(course.id)
        if session is None:
            raise RosterError(
                _("남은 자리가 있는 다음 차수가 없습니다. 차수를 먼저 만들거나 정원을 늘려 주세요.")
            )
        session_id = session.id
    elif (
        db.session.scalar(select(TrainingSession.course_id).where(TrainingSession.id == session_id))
        != course.id
    ):
        raise RosterError(_("이 과정의 차수가 아닙니다. 목록에서 다시 시작해 주세요."))
    stmt = tab_statement(course, target.tab, target.department_id, target.include_sub)
    stmt = stmt.where(stmt.selected_columns.mandatory_status == MandatoryStatus.NONE.value)
    numbers = [user.employee_number for user, _status in db.session.execute(stmt)]
    if not numbers:
        raise RosterError(_("이 목록에는 아직 신청하지 않은 사람이 없습니다."))
    return BulkSelection(
        session_id=session_id, mode=BulkMode.NUMBERS, employee_numbers=" ".join(numbers)
    )


def preview_next_session(target: Target) -> BulkPlan:
    """What enrolling this list's 미신청 people into the next session with seats would do."""
    return bulk_ops.preview_bulk(_selection(target, None))


def enrol_next_session(target: Target, session_id: int, digest: str, actor_id: int) -> BulkPlan:
    """Enrol them into the previewed session; refused (nothing written) if the list changed."""
    plan = bulk_ops.apply_bulk(_selection(target, session_id), digest, actor_id)
    record(
        "mandatory.bulk_enrol",
        target_type="training_session",
        target_id=session_id,
        actor_id=actor_id,
        details={
            "course_id": target.course_id,
            "department_id": target.department_id,
            "include_sub": target.include_sub,
            "tab": target.tab.value,
            "selected": len(plan.lines),
            "counts": {outcome.value: n for outcome, n in sorted(plan.counts.items())},
        },
    )
    return plan
