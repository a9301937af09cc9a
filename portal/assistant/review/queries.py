"""The review queue of submitted exercises."""

from __future__ import annotations

from sqlalchemy import select

from portal.assistant.models import (
    Exercise,
    Submission,
)
from portal.core.pagination import Page, paginate
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
from portal.users.models import User


def review_queue(
    page: int,
    *,
    pending_only: bool,
    instructor_id: int | None = None,
    session_id: int | None = None,
) -> Page:
    """Submissions to review; for an instructor, only those of courses they teach.

    With session_id, only the submissions, for that session's course, of the people
    enrolled (confirmed) in that session.
    """
    stmt = (
        select(Submission, Exercise.title, User.name, Department.name)
        .join(Exercise, Exercise.id == Submission.exercise_id)
        .join(User, User.id == Submission.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(Submission.reviewed_at.is_not(None), Submission.submitted_at.desc())
    )
    if pending_only:
        stmt = stmt.where(Submission.reviewed_at.is_(None))
    if instructor_id is not None:
        stmt = stmt.where(
            select(TrainingSession.id)
            .where(
                TrainingSession.course_id == Exercise.course_id,
                TrainingSession.instructor_id == instructor_id,
            )
            .exists()
        )
    if session_id is not None:
        stmt = stmt.where(
            select(Enrollment.id)
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(
                Enrollment.session_id == session_id,
                Enrollment.user_id == Submission.user_id,
                Enrollment.status == EnrollmentStatus.ENROLLED,
                TrainingSession.course_id == Exercise.course_id,
            )
            .exists()
        )
    return paginate(stmt, page, per_page=20, scalars=False)
