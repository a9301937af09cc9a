"""Who may export what: roles, the session's instructor, and department scoping.

With ``COORDINATOR_DEPARTMENT_SCOPE`` on, a coordinator exports only their own department
and the departments below it; admins are never restricted. With it off (the default),
every coordinator exports the whole organisation.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.db import db
from portal.org.models import Department
from portal.org.queries import subtree_ids
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User


class ExportRefused(Exception):
    """The caller may not export this; the message is Korean and shown as is (403)."""


def is_scoped(user: User) -> bool:
    return (
        bool(current_app.config["COORDINATOR_DEPARTMENT_SCOPE"]) and user.role == Role.COORDINATOR
    )


def department_for(user: User, department_id: int | None) -> int | None:
    """The department an export by ``user`` may cover (None: everyone), or ExportRefused."""
    if not is_scoped(user):
        return department_id
    own = user.department_id
    if own is None:
        raise ExportRefused(
            _("소속 부서가 없어 내보낼 수 없습니다. 관리자에게 소속 부서 등록을 요청하세요.")
        )
    if department_id is None or department_id == own:
        return own
    if department_id not in (allowed_departments(user) or set()):
        raise ExportRefused(
            _(
                "담당 부서(하위 부서 포함)의 자료만 내보낼 수 있습니다. 다른 부서는 관리자에게 요청하세요."
            )
        )
    return department_id


def allowed_departments(user: User) -> set[int] | None:
    """The departments a scoped coordinator may export (None: no limit)."""
    if not is_scoped(user):
        return None
    if user.department_id is None:
        return set()
    return set(db.session.scalars(subtree_ids(user.department_id)))


def may_export_session(user: User, session: TrainingSession) -> bool:
    """Coordinators and admins, and the session's own instructor."""
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return True
    return session.instructor_id is not None and session.instructor_id == user.id


def session_department_for(user: User, session: TrainingSession) -> int | None:
    """A session export covers everyone, except a scoped coordinator sees their own subtree."""
    if session.instructor_id == user.id and user.role != Role.COORDINATOR:
        return None
    return department_for(user, None)


def department_exists(department_id: int) -> bool:
    return (
        db.session.scalar(select(Department.id).where(Department.id == department_id)) is not None
    )
