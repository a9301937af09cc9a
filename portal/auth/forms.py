from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.core.forms import PortalForm


class LoginForm(PortalForm):
    login = StringField(
        _l("사번 또는 이메일"),
        validators=[DataRequired(_l("사번 또는 이메일을 입력해 주세요.")), Length(max=254)],
    )
    password = PasswordField(
        _l("비밀번호"), validators=[DataRequired(_l("비밀번호를 입력해 주세요.")), Length(max=256)]
    )


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        _l("현재 비밀번호"), validators=[DataRequired(_l("현재 비밀번호를 입력해 주세요."))]
    )
    new_password = PasswordField(
        _l("새 비밀번호"),
        validators=[DataRequired(_l("새 비밀번호를 입력해 주세요.")), Length(max=256)],
    )
    confirm_password = PasswordField(
        _l("새 비밀번호 확인"),
        validators=[
            DataRequired(_l("새 비밀번호를 한 번 더 입력해 주세요.")),
            EqualTo("new_password", _l("새 비밀번호와 확인 값이 같지 않습니다.")),
        ],
    )
