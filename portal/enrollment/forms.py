"""Forms behind the enrol, cancel and approval buttons (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.core.forms import PortalForm

APPROVE = "approve"
DECLINE = "decline"


class EnrolForm(PortalForm):
    # Set by the overlap warning page once the user has seen the overlapping sessions.
    confirm_overlap = BooleanField()
    next = HiddenField()


class CancelForm(PortalForm):
    next = HiddenField()


class DecisionForm(PortalForm):
    decision = RadioField(
        _l("결정"),
        choices=[SelectChoice(APPROVE, _l("승인")), SelectChoice(DECLINE, _l("반려"))],
        validators=[InputRequired(message=_l("승인 또는 반려를 골라 주세요."))],
    )
