"""Forms of the learning-hours ledger: outside learning, the review decision, the queue filters."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.attendance import hours
from portal.attendance.models import HoursStatus
from portal.core.forms import PortalForm

_HOURS = re.compile(r"[0-9]{1,3}(?:\.[0-9])?")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def provider_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("선택해 주세요")),
        *(SelectChoice(key, name) for key, name in hours.PROVIDERS.items()),
        SelectChoice(hours.OTHER_PROVIDER, _l("기타 (직접 입력)")),
    ]


class HoursEntryForm(PortalForm):
    title = StringField(
        _l("교육명"),
        filters=[_strip],
        validators=[
            DataRequired(_l("교육명을 입력해 주세요.")),
            Length(max=hours.TITLE_MAX, message=_l("교육명이 너무 깁니다.")),
        ],
    )
    provider = SelectField(
        _l("교육기관"),
        choices=provider_choices,
        validate_choice=False,
        validators=[InputRequired(_l("교육기관을 골라 주세요."))],
    )
    provider_other = StringField(
        _l("기타 교육기관 이름"),
        validators=[
            Optional(),
            Length(max=hours.PROVIDER_MAX, message=_l("교육기관 이름이 너무 깁니다.")),
        ],
    )
    completed_on = DateField(
        _l("수료일"),
        validators=[InputRequired(_l("수료일을 입력해 주세요."))],
    )
    hours = StringField(
        _l("학습 시간 (시간)"),
        validators=[InputRequired(_l("학습 시간을 입력해 주세요."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    evidence = FileField(
        _l("증빙 파일 (PDF, PNG, JPEG)"),
        validators=[FileRequired(_l("수료증 등 증빙 파일을 골라 주세요."))],
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"},
    )

    def validate_provider(self, field) -> None:
        if field.data not in hours.PROVIDERS and field.data != hours.OTHER_PROVIDER:
            raise ValidationError(_l("목록에서 교육기관을 골라 주세요."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here: the field's Optional() ends its own chain when it is empty.
        other = (self.provider_other.data or "").strip()
        if self.provider.data == hours.OTHER_PROVIDER and not other:
            self.provider_other.errors = [
                *self.provider_other.errors,
                _l("기타를 골랐다면 교육기관 이름을 입력해 주세요."),
            ]
            return False
        return valid

    def validate_completed_on(self, field) -> None:
        if field.data is None:
            return
        try:
            hours.check_completion_day(field.data)
        except hours.HoursError as err:
            raise ValidationError(str(err)) from None

    def validate_hours(self, field) -> None:
        raw = (field.data or "").strip()
        if not _HOURS.fullmatch(raw):
            raise ValidationError(
                _l("학습 시간은 숫자로, 소수점 한 자리까지 입력해 주세요. 예: 3, 7.5")
            )
        try:
            hours.check_hours(Decimal(raw))
        except hours.HoursError as err:
            raise ValidationError(str(err)) from None

    @property
    def provider_name(self) -> str:
        if self.provider.data == hours.OTHER_PROVIDER:
            return (self.provider_other.data or "").strip()
        return hours.PROVIDERS.get(self.provider.data or "", "")

    @property
    def hours_value(self) -> Decimal:
        return Decimal((self.hours.data or "0").strip())


class DecisionForm(PortalForm):
    reason = TextAreaField(
        _l("사유 (반려할 때는 필수)"),
        validators=[
            Optional(),
            Length(max=hours.REASON_MAX, message=_l("사유가 너무 깁니다.")),
        ],
        render_kw={"rows": 3},
    )


class ConfirmForm(PortalForm):
    """Only the CSRF token."""


ANY = ""
ALL_STATUSES = "all"


class QueueFilterForm(PortalForm):
    """The review queue's toolbar (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("상태"), validators=[Optional()])
    department = SelectField(_l("부서"), validators=[Optional()])
    year = SelectField(_l("연도"), validators=[Optional()])

    def set_choices(self, departments: list[tuple[int, str]], years: list[int]) -> None:
        self.status.choices = [
            SelectChoice(HoursStatus.PENDING.value, hours.STATUS_LABELS[HoursStatus.PENDING]),
            SelectChoice(HoursStatus.APPROVED.value, hours.STATUS_LABELS[HoursStatus.APPROVED]),
            SelectChoice(HoursStatus.DECLINED.value, hours.STATUS_LABELS[HoursStatus.DECLINED]),
            SelectChoice(ALL_STATUSES, _l("전체")),
        ]
        self.department.choices = [
            SelectChoice(ANY, _l("전체")),
            *(SelectChoice(str(i), label) for i, label in departments),
        ]
        self.year.choices = [
            SelectChoice(ANY, _l("전체")),
            *(SelectChoice(str(y), str(y)) for y in years),
        ]
