"""Sandbox forms (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.assistant.admin_operations import LIMIT_LABELS
from portal.assistant.models import DataGrade

GRADE_LABELS = {
    DataGrade.PUBLIC: _l("공개: 공개된 자료나 가상의 연습 자료만 씁니다"),
    DataGrade.SENSITIVE: _l("민감: 내부 업무 자료가 들어갑니다 (내부 모델만)"),
    DataGrade.SECRET: _l("기밀: 기밀 자료 (AI 실습에 쓸 수 없음)"),
}


class PolicyForm(FlaskForm):
    no_personal_data = BooleanField(
        _l("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."),
        validators=[DataRequired(message=_l("이 항목에 동의해야 실습 공간을 쓸 수 있습니다."))],
    )
    verify_outputs = BooleanField(
        _l("AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다."),
        validators=[DataRequired(message=_l("이 항목에 동의해야 실습 공간을 쓸 수 있습니다."))],
    )


class WorkspaceForm(FlaskForm):
    title = StringField(
        _l("문서 제목"),
        validators=[
            DataRequired(message=_l("문서 제목을 입력하세요.")),
            Length(max=200, message=_l("제목은 200자 이하로 입력하세요.")),
        ],
    )
    doc_type = SelectField(_l("문서 유형"), validators=[InputRequired()])
    exercise = HiddenField()
    grade = RadioField(
        _l("자료 등급"),
        choices=[SelectChoice(g.value, label) for g, label in GRADE_LABELS.items()],
        default=DataGrade.PUBLIC.value,
        validators=[InputRequired(message=_l("자료 등급을 고르세요."))],
    )
    model = SelectField(_l("도우미"), validators=[InputRequired(message=_l("도우미를 고르세요."))])


class SubmitForm(FlaskForm):
    confirm = BooleanField(
        _l("제출하면 초안을 더 고칠 수 없고, 강사가 제출한 초안을 읽는다는 것을 이해했습니다."),
        validators=[DataRequired(message=_l("제출하려면 확인란에 표시하세요."))],
    )


class TimeForm(FlaskForm):
    minutes_without_ai = IntegerField(
        _l("AI 없이 썼다면 몇 분이 걸렸을까요?"),
        validators=[
            InputRequired(message=_l("분 단위 숫자로 적어 주세요.")),
            NumberRange(min=1, max=1440, message=_l("1분에서 1,440분 사이로 적어 주세요.")),
        ],
    )
    minutes_spent = IntegerField(
        _l("실제로 걸린 시간(분)"),
        validators=[
            InputRequired(message=_l("분 단위 숫자로 적어 주세요.")),
            NumberRange(min=1, max=1440, message=_l("1분에서 1,440분 사이로 적어 주세요.")),
        ],
    )


class ExportForm(FlaskForm):
    facts = BooleanField(_l("사실관계를 확인했습니다 (AI가 지어낸 내용이 없습니다)."))
    figures = BooleanField(_l("모든 수치를 원 자료와 대조했습니다."))
    copyright = BooleanField(_l("인용한 자료의 저작권과 출처를 확인했습니다."))
    disclosure = BooleanField(_l("AI를 활용했다는 사실을 문서에 밝힙니다."))


class ReviewForm(FlaskForm):
    score = IntegerField(
        _l("점수 (100점 만점)"),
        validators=[
            InputRequired(message=_l("점수를 적어 주세요.")),
            NumberRange(min=0, max=100, message=_l("0점에서 100점 사이로 적어 주세요.")),
        ],
    )
    comment = TextAreaField(
        _l("검토 의견"),
        validators=[
            DataRequired(message=_l("검토 의견을 적어 주세요.")),
            Length(max=5000, message=_l("검토 의견은 5,000자 이하로 적어 주세요.")),
        ],
    )
    passed = BooleanField(_l("과정의 실습 과제 요건을 충족함"))


class ModelSettingForm(FlaskForm):
    enabled = BooleanField(_l("사용"))
    internal = BooleanField(_l("내부 모델 (민감 자료 허용)"))


def _limit_field(name: str):
    return IntegerField(
        LIMIT_LABELS[name],
        validators=[InputRequired(message=_l("숫자를 입력하세요."))],
    )


class LimitsForm(FlaskForm):
    daily_messages = _limit_field("daily_messages")
    daily_tokens = _limit_field("daily_tokens")
    department_monthly_tokens = _limit_field("department_monthly_tokens")
    max_input_chars = _limit_field("max_input_chars")
