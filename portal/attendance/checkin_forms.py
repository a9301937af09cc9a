"""Forms of QR self check-in (CSRF-checked like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from portal.attendance.checkin import CODE_DIGITS
from portal.core.forms import PortalForm


def _digits_only(value: str | None) -> str | None:
    # People type "123 456" or paste with spaces; the code itself is the digits.
    if value is None:
        return None
    return "".join(value.split())


class CheckinCodeForm(PortalForm):
    code = StringField(
        _l("출석 코드 (숫자 6자리)"),
        filters=[_digits_only],
        validators=[
            DataRequired(_l("강의실 화면에 보이는 숫자 6자리를 입력해 주세요.")),
            Regexp(
                rf"^[0-9]{{{CODE_DIGITS}}}$",
                message=_l("출석 코드는 숫자 6자리입니다. 화면의 숫자를 다시 확인해 주세요."),
            ),
        ],
    )


class WindowForm(PortalForm):
    """Open, close or reopen one day's check-in: the CSRF token is the whole form."""
