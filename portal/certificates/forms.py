"""Forms of the certificate pages (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.certificates.operations import REASON_MAX_LENGTH
from portal.core.forms import PortalForm


class RevokeForm(PortalForm):
    reason = TextAreaField(
        _l("취소 사유"),
        validators=[
            DataRequired(_l("취소 사유를 입력해 주세요.")),
            Length(
                max=REASON_MAX_LENGTH,
                message=_l("취소 사유는 %(max)d자 이내로 입력해 주세요."),
            ),
        ],
    )


class ConfirmForm(PortalForm):
    """A POST with nothing but the CSRF token (reissue, issue the missing ones)."""
