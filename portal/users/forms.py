"""Forms for the user admin screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from portal.core.forms import PortalForm
from portal.core.templating import ROLE_LABELS
from portal.org.operations import department_choices
from portal.users.models import Role
from portal.users.operations import AccountInput

NO_DEPARTMENT = 0
ANY = ""

LOCALE_CHOICES = [
    SelectChoice("ko", "한국어", render_kw={"lang": "ko"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class UserForm(PortalForm):
    employee_number = StringField(
        _l("사번"), validators=[DataRequired(_l("사번을 입력해 주세요.")), Length(max=20)]
    )
    name = StringField(
        _l("성명"), validators=[DataRequired(_l("성명을 입력해 주세요.")), Length(max=50)]
    )
    email = StringField(
        _l("이메일"), validators=[DataRequired(_l("이메일을 입력해 주세요.")), Length(max=254)]
    )
    department_id = SelectField(_l("소속 부서"), coerce=int)
    grade = StringField(_l("직급"), validators=[Optional(), Length(max=30)])
    appointed_on = DateField(
        _l("임용일"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    role = SelectField(_l("역할"), choices=ROLE_CHOICES)
    locale = SelectField(_l("화면 언어"), choices=LOCALE_CHOICES)
    is_department_head = BooleanField(_l("부서장"))

    def set_department_choices(self, *, current_id: int | None = None) -> None:
        """Active departments by their path; a record's current department stays selectable."""
        include = [current_id] if current_id else []
        self.department_id.choices = [
            SelectChoice(str(NO_DEPARTMENT), _l("소속 없음")),
            *(SelectChoice(str(i), label) for i, label in department_choices(include_ids=include)),
        ]

    def to_input(self) -> AccountInput:
        return AccountInput(
            employee_number=self.employee_number.data or "",
            name=self.name.data or "",
            email=self.email.data or "",
            role=Role(self.role.data),
            department_id=self.department_id.data or None,
            grade=self.grade.data or "",
            appointed_on=self.appointed_on.data,
            locale=self.locale.data,
            is_department_head=bool(self.is_department_head.data),
        )


class CreateUserForm(UserForm):
    password = PasswordField(_l("초기 비밀번호 (선택)"), validators=[Optional(), Length(max=256)])


class ResetPasswordForm(PortalForm):
    new_password = PasswordField(
        _l("새 비밀번호"),
        validators=[DataRequired(_l("새 비밀번호를 입력해 주세요.")), Length(max=256)],
    )


class SetActiveForm(PortalForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


STATUS_CHOICES = [
    SelectChoice(ANY, _l("전체")),
    SelectChoice("active", _l("사용 중")),
    SelectChoice("inactive", _l("사용 중지")),
]


class UnlockLoginForm(PortalForm):
    """Lift the login locks of an account (the CSRF token is its only field)."""


class UserFilterForm(PortalForm):
    """The search toolbar of the user list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("성명·사번·이메일 검색"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("역할"),
        choices=[SelectChoice(ANY, _l("전체")), *ROLE_CHOICES],
        validators=[Optional()],
    )
    department = SelectField(_l("부서"), coerce=str, validators=[Optional()])
    status = SelectField(_l("상태"), choices=STATUS_CHOICES, validators=[Optional()])

    def set_department_choices(self) -> None:
        self.department.choices = [
            SelectChoice(ANY, _l("전체")),
            *(SelectChoice(str(i), label) for i, label in department_choices(active_only=False)),
        ]

    def cleaned(self) -> dict[str, str]:
        """The filters that passed validation; a tampered value is simply ignored."""
        self.validate()
        return {
            name: (getattr(self, name).data or "").strip()
            for name in ("q", "role", "department", "status")
            if not getattr(self, name).errors and getattr(self, name).data
        }
