"""The survey form, built per course from its questions (CSRF-checked like every form)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.core.forms import PortalForm
from portal.surveys.operations import COMMENT_MAX, SCALE

SCALE_LABELS = {
    1: _l("전혀 그렇지 않다"),
    2: _l("그렇지 않다"),
    3: _l("보통이다"),
    4: _l("그렇다"),
    5: _l("매우 그렇다"),
}


def field_name(key: str) -> str:
    # Question keys use a-z, 0-9 and '-' only, so this is one-to-one.
    return "q_" + key.replace("-", "_")


class _SurveyForm(PortalForm):
    comment = TextAreaField(
        _l("자유 의견 (선택)"),
        validators=[
            Length(max=COMMENT_MAX, message=_l("의견은 %(max)d자 이하로 써 주세요.")),
        ],
    )

    question_keys: tuple[str, ...] = ()

    def answers(self) -> dict[str, int]:
        return {key: self[field_name(key)].data for key in self.question_keys}

    def question_fields(self) -> list[tuple[dict[str, Any], Any]]:
        return [(q, self[field_name(q["key"])]) for q in self.questions]


def survey_form(questions: list[dict[str, Any]], **kwargs: Any) -> _SurveyForm:
    """A form with one required 1–5 radio group per question, and the free comment."""
    attrs: dict[str, Any] = {
        "question_keys": tuple(q["key"] for q in questions),
        "questions": list(questions),
    }
    for question in questions:
        attrs[field_name(question["key"])] = RadioField(
            question["text"],
            choices=[SelectChoice(score, SCALE_LABELS[score]) for score in SCALE],
            coerce=int,
            validators=[InputRequired(message=_l("1~5 가운데 하나를 골라 주세요."))],
        )
    form_class = type("SurveyForm", (_SurveyForm,), attrs)
    return form_class(**kwargs)
