"""Sandbox forms (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.assistant.models import DataGrade
from portal.core.forms import PortalForm

GRADE_LABELS = {
    DataGrade.PUBLIC: _l("공개: 공개된 자료나 가상의 연습 자료만 씁니다"),
    DataGrade.SENSITIVE: _l("민감: 내부 업무 자료가 들어갑니다 (내부 모델만)"),
    DataGrade.SECRET: _l("기밀: 기밀 자료 (AI 실습에 쓸 수 없음)"),
}


class PolicyForm(PortalForm):
    no_personal_data = BooleanField(
        _l("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."),
        validators=[DataRequired(message=_l("이 항목에 동의해야 실습 공간을 쓸 수 있습니다."))],
    )
    verify_outputs = BooleanField(
        _l("AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다."),
        validators=[DataRequired(message=_l("이 항목에 동의해야 실습 공간을 쓸 수 있습니다."))],
    )


class WorkspaceForm(PortalForm):
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
