"""Admin forms for model settings and limits (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
)
from wtforms.validators import InputRequired

from portal.assistant.manage.operations import LIMIT_LABELS
from portal.core.forms import PortalForm


class ModelSettingForm(PortalForm):
    enabled = BooleanField(_l("사용"))


def _limit_field(name: str):
    return IntegerField(
        LIMIT_LABELS[name],
        validators=[InputRequired(message=_l("숫자를 입력하세요."))],
    )


class LimitsForm(PortalForm):
    daily_messages = _limit_field("daily_messages")
    daily_tokens = _limit_field("daily_tokens")
    department_monthly_tokens = _limit_field("department_monthly_tokens")
    max_input_chars = _limit_field("max_input_chars")
