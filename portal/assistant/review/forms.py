"""Forms of submission, time saved, export and review (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.core.forms import PortalForm


class SubmitForm(PortalForm):
    confirm = BooleanField(
        _l("제출하면 초안을 더 고칠 수 없고, 강사가 제출한 초안을 읽는다는 것을 이해했습니다."),
        validators=[DataRequired(message=_l("제출하려면 확인란에 표시하세요."))],
    )


class TimeForm(PortalForm):
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


class ExportForm(PortalForm):
    facts = BooleanField(_l("사실관계를 확인했습니다 (AI가 지어낸 내용이 없습니다)."))
    figures = BooleanField(_l("모든 수치를 원 자료와 대조했습니다."))
    copyright = BooleanField(_l("인용한 자료의 저작권과 출처를 확인했습니다."))
    disclosure = BooleanField(_l("AI를 활용했다는 사실을 문서에 밝힙니다."))
    # Two buttons, one checklist: the pressed button names the file format.
    docx = SubmitField(_l("DOCX 내려받기"))
    hwpx = SubmitField(_l("HWPX(한글) 내려받기"))

    @property
    def file_format(self) -> str:
        """``hwpx`` when its button was pressed, otherwise ``docx``."""
        return "hwpx" if self.hwpx.data else "docx"


class ReviewForm(PortalForm):
    """The fields every review has; :func:`review_form_for` adds one score per criterion."""

    comment = TextAreaField(
        _l("검토 의견"),
        validators=[
            DataRequired(message=_l("검토 의견을 적어 주세요.")),
            Length(max=5000, message=_l("검토 의견은 5,000자 이하로 적어 주세요.")),
        ],
    )
    passed = BooleanField(_l("과정의 실습 과제 요건을 충족함"))

    criterion_names: tuple[str, ...] = ()

    def criterion_fields(self):
        return [self[name] for name in self.criterion_names]

    def criterion_scores(self) -> dict[str, int]:
        """The scores by criterion id (each field's name is ``criterion_<id>``)."""
        return {name.removeprefix("criterion_"): self[name].data for name in self.criterion_names}


def review_form_for(rubric: list[dict]) -> type[ReviewForm]:
    """A review form with a 0..max_score field for each rubric criterion, in rubric order."""
    fields: dict[str, IntegerField] = {}
    for criterion in rubric:
        top = int(criterion["max_score"])
        fields[f"criterion_{criterion['id']}"] = IntegerField(
            _l("%(title)s (%(max)d점 만점)", title=criterion["title"], max=top),
            validators=[
                InputRequired(message=_l("이 기준의 점수를 적어 주세요.")),
                NumberRange(
                    min=0, max=top, message=_l("0점에서 %(max)d점 사이로 적어 주세요.", max=top)
                ),
            ],
        )
    return type("RubricReviewForm", (ReviewForm,), {**fields, "criterion_names": tuple(fields)})
