"""Forms behind the roster tools and bulk enrolment (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.forms import PortalForm
from portal.core.templating import seoul_datetime
from portal.enrollment import bulk_operations as bulk_ops
from portal.enrollment.bulk_operations import BulkMode, BulkSelection
from portal.org.operations import department_choices
from portal.scheduling.queries import course_choices

NONE = 0

MODE_LABELS = {
    BulkMode.DEPARTMENT: _l("부서로 고르기"),
    BulkMode.NUMBERS: _l("사번 붙여넣기"),
    BulkMode.RULE: _l("조건으로 고르기 (신규 임용자)"),
}


class AddPersonForm(PortalForm):
    employee_number = StringField(
        _l("사번"),
        validators=[
            DataRequired(_l("추가할 직원의 사번을 입력해 주세요.")),
            Length(max=20, message=_l("사번은 20자를 넘지 않습니다. 다시 확인해 주세요.")),
        ],
    )


class MoveForm(PortalForm):
    # Rendered as a <select> of the course's other upcoming sessions; the operation
    # checks the chosen one again (same course, not started, not cancelled).
    target_session_id = IntegerField(
        _l("옮길 차수"), validators=[InputRequired(_l("옮길 차수를 골라 주세요."))]
    )


class BulkForm(PortalForm):
    session_id = SelectField(_l("신청시킬 교육 차수"), coerce=int, validate_choice=False)
    mode = RadioField(
        _l("대상을 고르는 방법"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        default=BulkMode.DEPARTMENT.value,
        validators=[InputRequired(_l("대상을 고르는 방법을 골라 주세요."))],
    )
    department_id = SelectField(_l("부서"), coerce=int, validate_choice=False, default=NONE)
    employee_numbers = TextAreaField(
        _l("사번 목록"),
        validators=[Optional(), Length(max=30000, message=_l("목록이 너무 깁니다. 나눠 주세요."))],
    )
    appointed_within_days = IntegerField(
        _l("임용 후 기간 (일)"),
        default=bulk_ops.DEFAULT_APPOINTED_WITHIN_DAYS,
        validators=[
            Optional(),
            NumberRange(
                1,
                bulk_ops.MAX_APPOINTED_WITHIN_DAYS,
                _l("임용 후 기간은 %(min)s일에서 %(max)s일 사이로 입력해 주세요."),
            ),
        ],
    )
    course_id = SelectField(
        _l("아직 신청하지 않은 교육과정"), coerce=int, validate_choice=False, default=NONE
    )
    # Fingerprint of the people in the preview; the confirmation must match it.
    digest = HiddenField()

    def set_choices(self) -> None:
        self.session_id.choices = [
            SelectChoice(str(NONE), _l("차수를 고르세요")),
            *(
                SelectChoice(
                    str(session.id),
                    _(
                        "%(course)s %(round)d차 · %(when)s · 남은 자리 %(left)d석",
                        course=title,
                        round=session.round_number,
                        when=seoul_datetime(session.starts_at),
                        left=session.seats_left,
                    ),
                )
                for session, title in bulk_ops.upcoming_sessions()
            ),
        ]
        self.department_id.choices = [
            SelectChoice(str(NONE), _l("부서를 고르세요")),
            *(SelectChoice(str(i), label) for i, label in department_choices()),
        ]
        self.course_id.choices = [
            SelectChoice(str(NONE), _l("신청시킬 차수의 교육과정")),
            *(SelectChoice(str(i), title) for i, title in course_choices(active_only=False)),
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.session_id.errors and not self.session_id.data:
            self.session_id.errors = [_l("신청시킬 교육 차수를 골라 주세요.")]
            ok = False
        mode = self.mode.data
        if mode == BulkMode.DEPARTMENT and not self.department_id.data:
            self.department_id.errors = [_l("부서를 골라 주세요.")]
            ok = False
        if mode == BulkMode.NUMBERS and not (self.employee_numbers.data or "").strip():
            self.employee_numbers.errors = [
                *self.employee_numbers.errors,
                _l("사번을 한 줄에 하나씩, 또는 쉼표나 띄어쓰기로 나눠 입력해 주세요."),
            ]
            ok = False
        return ok

    def to_selection(self) -> BulkSelection:
        mode = BulkMode(self.mode.data)
        return BulkSelection(
            session_id=self.session_id.data,
            mode=mode,
            department_id=self.department_id.data or None,
            employee_numbers=(self.employee_numbers.data or "") if mode is BulkMode.NUMBERS else "",
            appointed_within_days=self.appointed_within_days.data
            or bulk_ops.DEFAULT_APPOINTED_WITHIN_DAYS,
            course_id=self.course_id.data or None,
        )
