"""Forms of the idea pages (CSRF-checked like every form). Times are entered in Asia/Seoul."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.clock import SEOUL
from portal.core.forms import PortalForm
from portal.ideas import operations as ops
from portal.ideas.labels import GRADE_LABELS, NEXT_STEP_LABELS, STATUS_LABELS
from portal.ideas.models import IdeaDataGrade, IdeaStatus, NextStep

NONE = 0


def _text(label, required_message=None, max_length=ops.MAX_TEXT):
    validators = [Length(max=max_length, message=_l("%(max)d자 안으로 써 주세요."))]
    validators.insert(0, DataRequired(required_message) if required_message else Optional())
    return TextAreaField(label, validators=validators)


class IdeaForm(PortalForm):
    title = StringField(
        _l("제목"),
        validators=[
            DataRequired(_l("제목을 입력해 주세요.")),
            Length(max=ops.MAX_TITLE, message=_l("%(max)d자 안으로 써 주세요.")),
        ],
    )
    problem = _text(_l("해결하려는 문제"), _l("해결하려는 문제를 입력해 주세요."))
    current_process = _text(
        _l("지금 일하는 방식"), _l("지금은 그 일을 어떻게 하는지 입력해 주세요.")
    )
    data_description = _text(_l("쓸 데이터"), _l("서비스에 쓸 데이터를 입력해 주세요."))
    data_grade = RadioField(
        _l("데이터 등급"),
        choices=[SelectChoice(g.value, GRADE_LABELS[g]) for g in IdeaDataGrade],
        validators=[InputRequired(_l("데이터 등급을 골라 주세요."))],
    )
    effect_hours_saved = IntegerField(
        _l("기대효과: 한 해 절감 시간"),
        validators=[
            Optional(),
            NumberRange(0, ops.MAX_HOURS, _l("%(min)s에서 %(max)s 사이로 입력해 주세요.")),
        ],
    )
    effect_people_served = IntegerField(
        _l("기대효과: 혜택받는 사람 수"),
        validators=[
            Optional(),
            NumberRange(0, ops.MAX_PEOPLE, _l("%(min)s에서 %(max)s 사이로 입력해 주세요.")),
        ],
    )
    department_id = SelectField(_l("부서"), coerce=int, validate_choice=False, default=NONE)
    share = BooleanField(_l("아이디어 게시판에 공유합니다 (다른 부서 직원도 볼 수 있음)"))

    def to_input(self, department_ids: set[int]) -> ops.IdeaInput:
        department = self.department_id.data or None
        return ops.IdeaInput(
            title=self.title.data or "",
            problem=self.problem.data or "",
            current_process=self.current_process.data or "",
            data_description=self.data_description.data or "",
            data_grade=IdeaDataGrade(self.data_grade.data),
            effect_hours_saved=self.effect_hours_saved.data,
            effect_people_served=self.effect_people_served.data,
            share=bool(self.share.data),
            department_id=department if department in department_ids else None,
        )


class TransitionForm(PortalForm):
    to_status = SelectField(_l("바꿀 상태"), validate_choice=True)
    seen = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(
        _l("사유"),
        validators=[
            DataRequired(_l("상태를 바꾸는 사유를 입력해 주세요.")),
            Length(max=ops.MAX_REASON, message=_l("%(max)d자 안으로 써 주세요.")),
        ],
    )

    def set_choices(self, status: IdeaStatus) -> None:
        self.to_status.choices = [
            SelectChoice(s.value, STATUS_LABELS[s]) for s in ops.allowed_transitions(status)
        ]

    def seen_status(self) -> IdeaStatus | None:
        try:
            return IdeaStatus(self.seen.data)
        except ValueError:
            return None


class BookForm(PortalForm):
    pass


class OutcomeForm(PortalForm):
    advice = _text(_l("조언한 내용"), _l("컨설팅에서 조언한 내용을 입력해 주세요."))
    next_step = RadioField(
        _l("다음 단계"),
        choices=[SelectChoice(s.value, NEXT_STEP_LABELS[s]) for s in NextStep],
        validators=[InputRequired(_l("다음 단계를 골라 주세요."))],
    )


def seoul_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=SEOUL).astimezone(dt.UTC)


class SlotForm(PortalForm):
    day = DateField(_l("날짜"), validators=[DataRequired(_l("날짜를 입력해 주세요."))])
    starts_time = TimeField(
        _l("시작 시각"), validators=[DataRequired(_l("시작 시각을 입력해 주세요."))]
    )
    ends_time = TimeField(
        _l("종료 시각"), validators=[DataRequired(_l("종료 시각을 입력해 주세요."))]
    )
    place = StringField(_l("장소"), validators=[Optional(), Length(max=ops.MAX_PLACE)])
    online_url = StringField(_l("온라인 링크"), validators=[Optional(), Length(max=ops.MAX_URL)])
    consultant_user_id = SelectField(
        _l("컨설턴트 (포털 사용자)"), coerce=int, validate_choice=False, default=NONE
    )
    consultant_name = StringField(_l("외부 전문가 이름"), validators=[Optional(), Length(max=50)])
    consultant_org = StringField(_l("외부 전문가 소속"), validators=[Optional(), Length(max=100)])
    offered_for_idea_id = SelectField(
        _l("대상 아이디어"), coerce=int, validate_choice=False, default=NONE
    )

    def set_choices(self, consultants, ideas) -> None:
        self.consultant_user_id.choices = [
            SelectChoice(str(NONE), _l("외부 전문가 (아래에 이름과 소속 입력)")),
            *(SelectChoice(str(i), label) for i, label in consultants),
        ]
        self.offered_for_idea_id.choices = [
            SelectChoice(str(NONE), _l("'컨설팅 배정' 상태의 모든 아이디어")),
            *(SelectChoice(str(i), label) for i, label in ideas),
        ]

    def to_input(self) -> ops.SlotInput:
        return ops.SlotInput(
            starts_at=seoul_to_utc(self.day.data, self.starts_time.data),
            ends_at=seoul_to_utc(self.day.data, self.ends_time.data),
            place=self.place.data or "",
            online_url=self.online_url.data or "",
            consultant_user_id=self.consultant_user_id.data or None,
            consultant_name=self.consultant_name.data or "",
            consultant_org=self.consultant_org.data or "",
            offered_for_idea_id=self.offered_for_idea_id.data or None,
        )


class WithdrawForm(PortalForm):
    pass
