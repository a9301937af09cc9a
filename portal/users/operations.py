"""Account rules: creation, edits, role changes and deactivation, each audited.

Operations validate, change and flush; the request or CLI command commits.
Messages are Korean first (gettext msgids) because they reach the screen as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit.operations import record
from portal.auth.operations import clear_login_failures, end_other_sessions
from portal.auth.passwords import hash_password, password_errors
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.org.models import Department
from portal.users.models import Role, User

EMPLOYEE_NUMBER = re.compile(r"^[A-Za-z0-9-]{3,20}$")


class AccountError(ValueError):
    """A rule was broken; the message is shown to the user as it is."""


@dataclass(frozen=True)
class AccountInput:
    employee_number: str
    name: str
    email: str
    role: Role = Role.STAFF
    department_id: int | None = None
    grade: str = ""
    appointed_on: dt.date | None = None
    locale: str = "ko"
    # None leaves the flag as it is (the admin CLI); the admin screens always send a bool.
    is_department_head: bool | None = None


def normalise_email(raw: str) -> str:
    """A syntactically valid, lower-cased e-mail address, or AccountError."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(
            _("이메일 주소 형식이 올바르지 않습니다: %(value)s", value=raw)
        ) from None


def validate_account(data: AccountInput, *, existing: User | None = None) -> AccountInput:
    """Check every field and uniqueness; return the cleaned input."""
    number = data.employee_number.strip()
    if not EMPLOYEE_NUMBER.match(number):
        raise AccountError(_("사번은 영문·숫자·하이픈 3~20자여야 합니다."))
    name = data.name.strip()
    if not name or len(name) > 50:
        raise AccountError(_("성명은 1~50자로 입력해 주세요."))
    email = normalise_email(data.email)
    if len(data.grade.strip()) > 30:
        raise AccountError(_("직급은 30자 이내로 입력해 주세요."))
    if data.appointed_on and data.appointed_on > today_in_seoul() + dt.timedelta(days=366):
        raise AccountError(_("임용일이 1년 넘게 미래입니다. 날짜를 확인해 주세요."))
    if data.department_id is not None and db.session.get(Department, data.department_id) is None:
        raise AccountError(_("선택한 부서가 없습니다."))
    if data.locale not in ("ko", "en"):
        raise AccountError(_("언어는 ko 또는 en이어야 합니다."))
    if data.is_department_head and data.department_id is None:
        # Heads decide for their department and those below it: without one, nothing.
        raise AccountError(_("부서장으로 지정하려면 소속 부서를 골라 주세요."))

    own_id = existing.id if existing else -1
    clash = db.session.scalar(
        select(User.id).where(User.employee_number == number, User.id != own_id)
    )
    if clash:
        raise AccountError(_("이미 다른 사용자가 쓰는 사번입니다: %(value)s", value=number))
    clash = db.session.scalar(
        select(User.id).where(func.lower(User.email) == email, User.id != own_id)
    )
    if clash:
        raise AccountError(_("이미 다른 사용자가 쓰는 이메일입니다: %(value)s", value=email))
    return AccountInput(
        employee_number=number,
        name=name,
        email=email,
        role=Role(data.role),
        department_id=data.department_id,
        grade=data.grade.strip(),
        appointed_on=data.appointed_on,
        locale=data.locale,
        is_department_head=data.is_department_head,
    )


def _check_password(password: str, data: AccountInput, min_length: int) -> None:
    errors = password_errors(
        password, min_length=min_length, employee_number=data.employee_number, email=data.email
    )
    if errors:
        raise AccountError(" ".join(errors))


def create_user(data: AccountInput, *, password: str | None, min_password_length: int) -> User:
    """Create an account (audited). Without a password the user cannot log in until one is set."""
    clean = validate_account(data)
    if password is not None:
        _check_password(password, clean, min_password_length)
    user = User(
        employee_number=clean.employee_number,
        name=clean.name,
        email=clean.email,
        role=clean.role,
        department_id=clean.department_id,
        grade=clean.grade,
        appointed_on=clean.appointed_on,
        locale=clean.locale,
        password_hash=hash_password(password) if password else None,
        password_changed_at=utcnow() if password else None,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.created", target_type="user", target_id=user.id, details={"role": clean.role.value}
    )
    if clean.is_department_head:
        set_department_head(user, True)
    return user


_TRACKED_FIELDS = (
    "employee_number",
    "name",
    "email",
    "department_id",
    "grade",
    "appointed_on",
    "locale",
)


def update_user(user: User, data: AccountInput) -> list[str]:
    """Apply edits and return the changed field names.

    Plain fields are audited together as "user.updated" (names, not values); the role and
    the department-head flag grant rights, so each has its own entry with old and new value.
    """
    clean = validate_account(data, existing=user)
    changed = []
    for field in _TRACKED_FIELDS:
        new = getattr(clean, field)
        if getattr(user, field) != new:
            setattr(user, field, new)
            changed.append(field)
    if clean.role != user.role:
        change_role(user, clean.role)
    if changed:
        db.session.flush()
        record("user.updated", target_type="user", target_id=user.id, details={"fields": changed})
    if clean.is_department_head is not None and set_department_head(user, clean.is_department_head):
        changed.append("is_department_head")
    return changed


def set_department_head(user: User, is_head: bool) -> bool:
    """Make a user a department head or not (audited); whether anything changed.

    A head approves or declines the enrolment requests of the people in their department
    and the departments below it (portal.enrollment).
    """
    if user.is_department_head == is_head:
        return False
    user.is_department_head = is_head
    db.session.flush()
    record(
        "user.department_head_changed",
        target_type="user",
        target_id=user.id,
        details={"is_department_head": is_head},
    )
    return True


def change_role(user: User, role: Role) -> None:
    """Give a user another role (audited with old and new role)."""
    if user.role == role:
        return
    old = user.role
    user.role = role
    db.session.flush()
    record(
        "user.role_changed",
        target_type="user",
        target_id=user.id,
        details={"from": old.value, "to": role.value},
    )


def set_active(user: User, active: bool, *, acting_user_id: int | None) -> None:
    """Deactivate (ending all sessions) or reactivate an account, audited."""
    if user.id == acting_user_id and not active:
        raise AccountError(_("자기 자신의 계정은 사용 중지할 수 없습니다."))
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        end_other_sessions(user.id, None, "deactivated")
    db.session.flush()
    record(
        "user.activated" if active else "user.deactivated", target_type="user", target_id=user.id
    )


def reset_password(user: User, password: str, *, min_password_length: int) -> None:
    """An administrator sets a new password; every session of the user ends."""
    data = AccountInput(employee_number=user.employee_number, name=user.name, email=user.email)
    _check_password(password, data, min_password_length)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_login_count = 0
    user.locked_until = None
    clear_login_failures(user.id)  # unlocks the account for every client address
    end_other_sessions(user.id, None, "password_changed")
    db.session.flush()
    record("user.password_reset", target_type="user", target_id=user.id)


def unlock_login(user: User) -> int:
    """An administrator lifts every login lock and failure count of the account, audited."""
    cleared = clear_login_failures(user.id)
    user.failed_login_count = 0
    user.locked_until = None
    db.session.flush()
    record(
        "user.login_unlocked",
        target_type="user",
        target_id=user.id,
        details={"rows_cleared": cleared},
    )
    return cleared


def view_contact(user_id: int, *, actor_id: int) -> User | None:
    """The account whose e-mail an admin unmasks; the look is audited (DESIGN §3.F)."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    record("user.contact_viewed", target_type="user", target_id=user.id, actor_id=actor_id)
    return user


def create_admin(
    data: AccountInput, *, password: str, min_password_length: int
) -> tuple[User, bool]:
    """Create an admin, or promote and re-password an existing account with that number."""
    existing = db.session.scalar(
        select(User).where(User.employee_number == data.employee_number.strip())
    )
    if existing is None:
        user = create_user(data, password=password, min_password_length=min_password_length)
        return user, True
    update_user(existing, data)
    change_role(existing, Role.ADMIN)
    reset_password(existing, password, min_password_length=min_password_length)
    return existing, False
