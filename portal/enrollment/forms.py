"""Forms behind the enrol, cancel and approval buttons (CSRF-checked like every form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

APPROVE = "approve"
DECLINE = "decline"


def safe_next(target: str | None) -> str | None:
    """A path on this site to go back to, or None for anything else (no open redirect)."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


class EnrolForm(FlaskForm):
    # Set by the overlap warning page once the user has seen the overlapping sessions.
    confirm_overlap = BooleanField()
    next = HiddenField()


class CancelForm(FlaskForm):
    next = HiddenField()


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("결정"),
        choices=[SelectChoice(APPROVE, _l("승인")), SelectChoice(DECLINE, _l("반려"))],
        validators=[InputRequired(message=_l("승인 또는 반려를 골라 주세요."))],
    )
