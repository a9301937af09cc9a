"""Shared conditions of the dashboards' queries: who is staff, which sessions count."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select, true
from sqlalchemy.orm import aliased

from portal.assistant.models import AssistantMessage, Conversation, Exercise, Submission
from portal.attendance.models import Completion, CompletionStatus
from portal.dashboards.filters import Filters
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)


def percent(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal, None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------- conditions


def subtree(department_id: int, name: str):
    """The department and every department below it (as ``org.queries.subtree_ids``), under
    a CTE name of our own: one statement may hold several, which must not share a name."""
    tree = select(Department.id).where(Department.id == department_id).cte(name, recursive=True)
    child = aliased(Department)
    tree = tree.union(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def in_department(column, department_id: int | None, name: str = "dept_tree"):
    return true() if department_id is None else column.in_(subtree(department_id, name))


def in_staff(f: Filters, name: str = "dept_tree"):
    """Active accounts in the filtered department subtree."""
    return and_(User.is_active, in_department(User.department_id, f.department_id, name))


def session_of_year(f: Filters, session=TrainingSession):
    conditions = [
        session.status != SessionStatus.CANCELLED,
        session.starts_at >= f.starts_at,
        session.starts_at < f.ends_at,
    ]
    if f.course_id is not None:
        conditions.append(session.course_id == f.course_id)
    return and_(*conditions)


def has_enrolled(f: Filters, user_id):
    """The person holds a confirmed place in a session of the year."""
    session = aliased(TrainingSession)
    return exists(
        select(Enrollment.id)
        .join(session, session.id == Enrollment.session_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            session_of_year(f, session),
        )
    )


def has_completed(f: Filters, user_id):
    """The person completed (수료) a session of the year."""
    session = aliased(TrainingSession)
    return exists(
        select(Completion.id)
        .join(session, session.id == Completion.session_id)
        .where(
            Completion.user_id == user_id,
            Completion.status == CompletionStatus.COMPLETED,
            session_of_year(f, session),
        )
    )


def has_practised(f: Filters, user_id):
    """The person sent at least one message to the sandbox during the year."""
    return exists(
        select(AssistantMessage.id)
        .join(Conversation, Conversation.id == AssistantMessage.conversation_id)
        .where(
            Conversation.user_id == user_id,
            AssistantMessage.role == "user",
            AssistantMessage.created_at >= f.starts_at,
            AssistantMessage.created_at < f.ends_at,
        )
    )


def has_submitted(f: Filters, user_id):
    """The person submitted an exercise during the year (of the filtered course)."""
    stmt = select(Submission.id).where(
        Submission.user_id == user_id,
        Submission.submitted_at >= f.starts_at,
        Submission.submitted_at < f.ends_at,
    )
    if f.course_id is not None:
        stmt = stmt.join(Exercise, Exercise.id == Submission.exercise_id).where(
            Exercise.course_id == f.course_id
        )
    return exists(stmt)


def flag(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_year(column, f: Filters):
    return and_(column >= f.starts_at, column < f.ends_at)
