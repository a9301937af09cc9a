"""Admin forms for model settings, prices and limits (CSRF-checked like every form)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    StringField,
)
from wtforms.validators import InputRequired, ValidationError

from portal.assistant.errors import SandboxError
from portal.assistant.manage.operations import LIMIT_LABELS, parse_price
from portal.core.forms import PortalForm


class ModelSettingForm(PortalForm):
    enabled = BooleanField(_l("사용"))


class _Price:
    """Checks a typed price with ``parse_price``; the parsed value lands in ``field.price``."""

    def __call__(self, form, field: Field) -> None:
        try:
            field.price = parse_price(field.data)
        except SandboxError as exc:
            raise ValidationError(exc.message) from None


class ModelPriceForm(PortalForm):
    """A model's prices in won per million tokens; blank means no price (cost unknown)."""

    input_price = StringField(_l("입력 토큰 가격 (원/100만 토큰)"), validators=[_Price()])
    output_price = StringField(_l("출력 토큰 가격 (원/100만 토큰)"), validators=[_Price()])

    def prices(self) -> tuple[Decimal | None, Decimal | None]:
        """The validated prices (call after ``validate_on_submit``)."""
        return self.input_price.price, self.output_price.price


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
