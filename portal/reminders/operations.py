"""`flask reminders send`: every reminder the portal mails, each exactly once.

Kinds (the ``reminder_log.kind`` and what its ``subject_key`` names):

* ``session.day_before`` — ``session:<id>:user:<id>``: everyone ENROLLED in a scheduled
  session that starts tomorrow (Asia/Seoul dates), with the session's .ics.
* ``mandatory.due_soon`` — ``course:<id>:user:<id>:stage:<days>``: a new appointee who has
  not applied for a mandatory course (status 미신청), ``DUE_SOON_STAGES`` days before the
  due date (14 and 3). A run that missed a stage sends the nearest stage still ahead once.
* ``mandatory.overdue`` — ``course:<id>:user:<id>:week:<n>``: past the due date with
  nothing applied for, the person is told and the heads of their department (the nearest
  department upwards that has an active head) get an escalation. Sent on the first day
  overdue and repeated weekly, ``OVERDUE_NOTICES`` times at most (weeks 0..3), then silent:
  the compliance page (/manage/mandatory) keeps listing them for the coordinators.
  Someone who has applied (신청함) is not chased.

The "certificate issued" mail is not sent here: ``portal.certificates.operations.issue``
already notifies in the portal and by e-mail when it issues, in the same transaction.
The consulting day-before reminders of ``flask ideas remind`` run here too, through
``portal.ideas.operations.send_reminders`` (which has its own once-only flag).

Idempotence: the reminder is claimed by inserting its ``(kind, subject_key)`` row with
ON CONFLICT DO NOTHING, in the same transaction as the outbox mail. Two runs at once wait
on each other's row (PostgreSQL) or on the write lock (SQLite) and the loser sends nothing.
Operations flush; the CLI commits each section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from portal.catalog.models import Course
from portal.core.clock import SEOUL, today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.operations import notify
from portal.org.models import Department
from portal.reminders import messages
from portal.reminders.models import ReminderLog
from portal.reminders.queries import MandatoryStatus, people_statement, rows
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

DAY_BEFORE = "session.day_before"
DUE_SOON = "mandatory.due_soon"
OVERDUE = "mandatory.overdue"

DUE_SOON_STAGES = (14, 3)  # days before the due date
OVERDUE_REPEAT_DAYS = 7
OVERDUE_NOTICES = 4


@dataclass
class Summary:
    dry_run: bool = False
    day_before: int = 0
    due_soon: int = 0
    overdue: int = 0
    escalations: int = 0
    no_head: int = 0  # overdue people whose department tree has no active head
    skipped: int = 0  # already sent before
    consulting: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.day_before + self.due_soon + self.overdue + self.escalations


Progress = Callable[[str], None]


def _already(kind: str, key: str) -> bool:
    return (
        db.session.scalar(
            select(ReminderLog.id).where(ReminderLog.kind == kind, ReminderLog.subject_key == key)
        )
        is not None
    )


def claim(kind: str, key: str, user_id: int | None, *, dry_run: bool = False) -> bool:
    """Record that this reminder is sent now; False when it was (or is being) sent already."""
    if dry_run:
        return not _already(kind, key)
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(ReminderLog)
        .values(kind=kind, subject_key=key, user_id=user_id, sent_at=utcnow())
        .on_conflict_do_nothing(index_elements=["kind", "subject_key"])
    )
    return db.session.execute(stmt.returning(ReminderLog.id)).scalar() is not None


def _seoul_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=SEOUL).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def sessions_tomorrow(today: dt.date | None = None) -> list[TrainingSession]:
    """Scheduled sessions whose start falls on tomorrow's date in Seoul."""
    start, end = _seoul_day_bounds((today or today_in_seoul()) + dt.timedelta(days=1))
    return list(
        db.session.scalars(
            select(TrainingSession)
            .options(joinedload(TrainingSession.course))
            .where(
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at >= start,
                TrainingSession.starts_at < end,
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


def send_day_before(summary: Summary, progress: Progress | None = None) -> None:
    for session in sessions_tomorrow():
        people = db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(
                Enrollment.session_id == session.id,
                Enrollment.status == EnrollmentStatus.ENROLLED,
                User.is_active,
            )
            .order_by(User.id)
        ).all()
        sent = 0
        for user in people:
            key = f"session:{session.id}:user:{user.id}"
            if not claim(DAY_BEFORE, key, user.id, dry_run=summary.dry_run):
                summary.skipped += 1
                continue
            if not summary.dry_run:
                notify(user, lambda session=session: messages.session_tomorrow(session))
            sent += 1
        summary.day_before += sent
        if progress:
            progress(f"Session {session.id}: {sent} day-before reminder(s).")


def due_stage(days_left: int, stages: tuple[int, ...] = DUE_SOON_STAGES) -> int | None:
    """The reminder stage for someone ``days_left`` days before the due date (None: none)."""
    fitting = [s for s in stages if 0 <= days_left <= s]
    return min(fitting) if fitting else None


def overdue_week(days_overdue: int) -> int | None:
    """Which weekly overdue notice (0, 1, ...) is due ``days_overdue`` (>= 1) days late."""
    if days_overdue < 1:
        return None
    week = (days_overdue - 1) // OVERDUE_REPEAT_DAYS
    return week if week < OVERDUE_NOTICES else None


class _Heads:
    """The active heads of the nearest department upwards that has one (read once)."""

    def __init__(self) -> None:
        self.parent = dict(db.session.execute(select(Department.id, Department.parent_id)).all())
        self.heads: dict[int, list[User]] = {}
        for head in db.session.scalars(
            select(User)
            .where(User.is_active, User.is_department_head, User.department_id.is_not(None))
            .order_by(User.id)
        ):
            self.heads.setdefault(head.department_id, []).append(head)

    def of(self, person: User) -> list[User]:
        department_id, seen = person.department_id, set()
        while department_id is not None and department_id not in seen:
            seen.add(department_id)
            found = [h for h in self.heads.get(department_id, []) if h.id != person.id]
            if found:
                return found
            department_id = self.parent.get(department_id)
        return []


def send_mandatory(summary: Summary, progress: Progress | None = None) -> None:
    today = today_in_seoul()
    heads = _Heads()
    courses = db.session.scalars(
        select(Course)
        .where(Course.is_active, Course.is_mandatory_for_new)
        .order_by(Course.sort_order, Course.id)
    ).all()
    for course in courses:
        due_soon = overdue = 0
        soon = people_statement(
            course,
            due_from=today,
            due_to=today + dt.timedelta(days=max(DUE_SOON_STAGES)),
            statuses=(MandatoryStatus.NONE,),
        ).order_by(User.id)
        for row in rows(course, soon, today):
            stage = due_stage(row.days_left)
            if stage is None:
                continue
            key = f"course:{course.id}:user:{row.user.id}:stage:{stage}"
            if not claim(DUE_SOON, key, row.user.id, dry_run=summary.dry_run):
                summary.skipped += 1
                continue
            if not summary.dry_run:
                notify(
                    row.user,
                    lambda row=row: messages.mandatory_due_soon(
                        row.course, row.due_on, row.days_left
                    ),
                )
            due_soon += 1
        late = people_statement(
            course,
            due_from=today - dt.timedelta(days=OVERDUE_REPEAT_DAYS * OVERDUE_NOTICES),
            due_to=today - dt.timedelta(days=1),
            statuses=(MandatoryStatus.NONE,),
        ).order_by(User.id)
        for row in rows(course, late, today):
            week = overdue_week(-row.days_left)
            if week is None:
                continue
            key = f"course:{course.id}:user:{row.user.id}:week:{week}"
            if not claim(OVERDUE, key, row.user.id, dry_run=summary.dry_run):
                summary.skipped += 1
                continue
            overdue += 1
            found = heads.of(row.user)
            if not found:
                summary.no_head += 1
            summary.escalations += len(found)
            if summary.dry_run:
                continue
            notify(
                row.user,
                lambda row=row, told=bool(found): messages.mandatory_overdue(
                    row.course, row.due_on, told
                ),
            )
            for head in found:
                notify(
                    head,
                    lambda row=row: messages.mandatory_escalation(row.user, row.course, row.due_on),
                )
        summary.due_soon += due_soon
        summary.overdue += overdue
        if progress:
            progress(f"Course {course.id}: {due_soon} due-soon, {overdue} overdue reminder(s).")
