"""The one-click bulk enrolment form of the mandatory compliance page (CSRF-checked)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.core.forms import PortalForm


class NextSessionForm(PortalForm):
    course_id = IntegerField(_l("교육과정"), validators=[InputRequired()])
    department_id = IntegerField(_l("부서"), validators=[Optional()])
    sub = IntegerField(_l("하위 부서 포함"), validators=[Optional()])
    tab = StringField(_l("목록"), validators=[Optional(), Length(max=20)])  # a Tab; else ALL
    session_id = IntegerField(_l("교육 차수"), validators=[Optional()])
    digest = HiddenField()
