"""Forms of the attendance roster and the 수료 판정 button (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.attendance.marks import REASON_MAX, STATUS_LABELS
from portal.core.forms import PortalForm

_REASON = StringField(
    _l("변경 사유"),
    validators=[
        Optional(),
        Length(max=REASON_MAX, message=_l("변경 사유는 200자까지 쓸 수 있습니다.")),
    ],
)


class AllPresentForm(PortalForm):
    # The day travels as YYYY-MM-DD; the view parses it (portal.attendance.marks.parse_day).
    day = HiddenField()
    reason = _REASON


class MarkForm(PortalForm):
    day = HiddenField()
    user_id = IntegerField(validators=[InputRequired(_l("표시할 사람을 찾을 수 없습니다."))])
    status = RadioField(
        _l("출석 상태"),
        choices=[SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        validators=[InputRequired(_l("출석·지각·공결·결석 중 하나를 골라 주세요."))],
    )
    # The version of the mark the form was shown with (0: no mark yet).
    version = IntegerField(validators=[Optional(), NumberRange(min=0)])
    reason = _REASON


# Where the button sits, so the answer returns there.
BACK_ROSTER = "roster"
BACK_TEACHING = "teaching"


class JudgeForm(PortalForm):
    back = HiddenField(default=BACK_ROSTER)
