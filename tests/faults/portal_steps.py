"""The portal-side steps of the fault scenarios, run in a process with the portal's settings:

    python -m tests.faults.portal_steps NAME '{"json": "arguments"}'

The last line on stdout is the step's JSON answer. The scenario driver never imports the
portal's models itself, so the server and these steps read the same PORTAL_* settings.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

PASSWORD = "Faults!2026portal"
MODEL_KEY = "faults-model"


def setup(given: dict[str, Any]) -> dict[str, Any]:
    """A department, staff, one admin, courses with sessions, the sandbox ready to chat."""
    from sqlalchemy import insert, select

    from portal import create_app
    from portal.assistant.models import AssistantLimits, DataGrade, DocType, ModelSetting
    from portal.assistant.workspace import conversations, policy
    from portal.auth.passwords import hash_password
    from portal.catalog.models import Category, Course, Format, Level
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.org.models import Department, DepartmentKind
    from portal.scheduling.models import TrainingSession
    from portal.users.models import Role, User

    app = create_app()
    with app.app_context(), db.command_transaction():
        now = utcnow()
        department = Department(code="F100", name="장애대응국", kind=DepartmentKind.BUREAU)
        db.session.add(department)
        db.session.merge(
            AssistantLimits(
                id=1,
                daily_messages=10_000,
                daily_tokens=100_000_000,
                department_monthly_tokens=1_000_000_000,
                max_input_chars=4_000,
                updated_at=now,
            )
        )
        db.session.merge(
            ModelSetting(key=MODEL_KEY, is_enabled=True, is_internal=False, updated_at=now)
        )
        db.session.flush()
        password_hash = hash_password(PASSWORD)
        staff = [f"FS{n:04d}" for n in range(1, given["staff"] + 1)]
        rows = [
            {
                "employee_number": login,
                "name": f"장애{n:04d}",
                "email": f"faults{n:04d}@example.go.kr",
                "role": Role.STAFF,
                "grade": "행정7급",
                "department_id": department.id,
                "appointed_on": dt.date(2020, 3, 2),
                "is_active": True,
                "password_hash": password_hash,
                "password_changed_at": now,
                "created_at": now,
            }
            for n, login in enumerate(staff, start=1)
        ]
        rows.append(
            dict(
                rows[0],
                employee_number="FA0001",
                name="관리자",
                role=Role.ADMIN,
                email="faults-admin@example.go.kr",
            )
        )
        db.session.execute(insert(User), rows)
        sessions: dict[str, int] = {}
        for index, (name, capacity) in enumerate(given["sessions"].items()):
            course = Course(
                slug=f"faults-{name}",
                title=f"장애 시험 과정 {name}",
                summary="장애 시나리오용 과정",
                category=Category.PRACTICE,
                level=Level.BASIC,
                format=Format.CLASSROOM,
                recognised_hours=Decimal("2.0"),
                source_hash="0" * 64,
                synced_at=now,
            )
            db.session.add(course)
            db.session.flush()
            # Each session on its own day, so no one's places overlap.
            starts = now + dt.timedelta(days=10 + index)
            session = TrainingSession(
                course_id=course.id,
                round_number=1,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                place="세종시청 4층 교육장",
                capacity=capacity,
                created_at=now,
                updated_at=now,
            )
            db.session.add(session)
            db.session.flush()
            sessions[name] = session.id
        doc_type = db.session.scalars(
            select(DocType).where(DocType.is_active).order_by(DocType.sort_order, DocType.id)
        ).first()
        if doc_type is None:
            raise RuntimeError("no active document type: did `flask courses sync` run?")
        chatters = list(
            db.session.scalars(
                select(User)
                .where(User.employee_number.in_(staff[: given["chatters"]]))
                .order_by(User.employee_number)
            )
        )
        workspaces = {}
        for user in chatters:
            policy.accept_policy(user.id)
            draft = conversations.start_workspace(
                user,
                doc_type=doc_type,
                exercise=None,
                grade=DataGrade.PUBLIC,
                model_key=MODEL_KEY,
                title="장애 시험 작업",
            )
            workspaces[user.employee_number] = draft.id
        answer = {
            "staff": staff,
            "admin": "FA0001",
            "department": department.code,
            "sessions": sessions,
            "workspaces": workspaces,
        }
    return answer


def seats(given: dict[str, Any]) -> dict[str, Any]:
    """Per session: capacity, seats_taken, rows per status, duplicate active places."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.db import db
    from portal.enrollment.models import Enrollment, EnrollmentStatus
    from portal.scheduling.models import TrainingSession
    from portal.users.models import User

    app = create_app()
    answer: dict[str, Any] = {}
    with app.app_context():
        for session_id in given["session_ids"]:
            session = db.session.get(TrainingSession, session_id)
            counts = dict(
                db.session.execute(
                    select(Enrollment.status, func.count())
                    .where(Enrollment.session_id == session_id)
                    .group_by(Enrollment.status)
                ).all()
            )
            active = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)
            per_user = (
                select(Enrollment.user_id)
                .where(Enrollment.session_id == session_id, Enrollment.status.in_(active))
                .group_by(Enrollment.user_id)
                .having(func.count() > 1)
                .subquery()
            )
            holders = db.session.scalars(
                select(User.employee_number)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.session_id == session_id, Enrollment.status.in_(active))
            ).all()
            answer[str(session_id)] = {
                "capacity": session.capacity,
                "seats_taken": session.seats_taken,
                "enrolled": counts.get(EnrollmentStatus.ENROLLED, 0),
                "waitlisted": counts.get(EnrollmentStatus.WAITLISTED, 0),
                "cancelled": counts.get(EnrollmentStatus.CANCELLED, 0),
                "duplicates": db.session.scalar(select(func.count()).select_from(per_user)),
                "holders": sorted(holders),
            }
    return answer


def counts(given: dict[str, Any]) -> dict[str, Any]:
    """Row counts the scenarios compare before and after a fault."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.assistant.models import AssistantMessage
    from portal.db import db
    from portal.notifications.models import OutboxMessage, OutboxStatus
    from portal.users.models import RosterUpload, User

    app = create_app()
    with app.app_context():
        outbox = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        uploads = db.session.execute(
            select(RosterUpload.id, RosterUpload.applied_at).order_by(RosterUpload.id)
        ).all()
        return {
            "users": db.session.scalar(select(func.count(User.id))),
            "by_prefix": {
                prefix: db.session.scalar(
                    select(func.count(User.id)).where(User.employee_number.like(f"{prefix}%"))
                )
                for prefix in given.get("prefixes", [])
            },
            "outbox": {str(status.value): n for status, n in outbox.items()},
            "outbox_pending": outbox.get(OutboxStatus.PENDING, 0),
            "uploads": [[upload_id, bool(applied)] for upload_id, applied in uploads],
            "messages": [
                [m.id, m.role, m.status.value, m.error_code, m.content]
                for m in db.session.scalars(select(AssistantMessage).order_by(AssistantMessage.id))
            ],
        }


STEPS = {"setup": setup, "seats": seats, "counts": counts}

if __name__ == "__main__":
    name, given = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(STEPS[name](given), ensure_ascii=False, default=str))
