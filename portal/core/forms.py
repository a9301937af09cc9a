"""The base of every portal form: the input policy's field rules (docs/input-policy.md).

``PortalForm`` adds, to every field it binds, the rule that fits the field's kind, so a new
form cannot forget them:

* single-line text (StringField and its kin, but not TextAreaField): no line breaks or tabs;
* dates: between ``inputs.MIN_DATE`` and ``inputs.MAX_DATE``;
* integers (IntegerField, and choices coerced with ``int``): within the database's 32-bit
  range, so a tampered number is a form error, never an overflow in the driver.

Control characters are already refused for every request by ``portal.core.inputs``; the
check is repeated here so a form used outside a request (a test, a CLI) follows it too.
A unit test checks that every form in ``portal/`` derives from this class.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g, session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import (
    DateField,
    DateTimeField,
    Field,
    IntegerField,
    SelectFieldBase,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from portal.core import inputs

DB_INT_MIN = -(2**31)


class NoControlCharacters:
    def __call__(self, form, field: Field) -> None:
        if isinstance(field.data, str) and inputs.has_forbidden_characters(field.data):
            raise ValidationError(_l("쓸 수 없는 문자(제어 문자)가 들어 있습니다."))


class SingleLine:
    def __call__(self, form, field: Field) -> None:
        if isinstance(field.data, str) and inputs.has_line_breaks(field.data):
            raise ValidationError(_l("한 줄로 입력해 주세요. 줄바꿈이나 탭은 쓸 수 없습니다."))


class DateInRange:
    def __call__(self, form, field: Field) -> None:
        value = field.data
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date) and not inputs.date_in_range(value):
            raise ValidationError(
                _l(
                    "%(first)s부터 %(last)s 사이의 날짜를 입력해 주세요.",
                    first=inputs.MIN_DATE.isoformat(),
                    last=inputs.MAX_DATE.isoformat(),
                )
            )


class DatabaseInt:
    def __call__(self, form, field: Field) -> None:
        values = field.data if isinstance(field.data, list | tuple) else [field.data]
        for value in values:
            if isinstance(value, int) and not DB_INT_MIN <= value <= inputs.MAX_DB_INT:
                raise ValidationError(
                    _l("숫자가 허용 범위를 벗어났습니다. 올바른 값을 입력해 주세요.")
                )


def policy_validators(field: Field) -> list:
    """The policy's validators for a bound field, by the field's kind."""
    rules: list = []
    if isinstance(field, StringField):
        rules.append(NoControlCharacters())
        if not isinstance(field, TextAreaField):
            rules.append(SingleLine())
    if isinstance(field, DateField | DateTimeField):
        rules.append(DateInRange())
    if isinstance(field, IntegerField) or (
        isinstance(field, SelectFieldBase) and getattr(field, "coerce", None) is int
    ):
        rules.append(DatabaseInt())
    return rules


class PortalForm(FlaskForm):
    """FlaskForm with the input policy's field rules (see the module docstring)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            extra = policy_validators(field)
            if extra:
                field.validators = [*field.validators, *extra]
            return field


# Signed CSRF tokens by (signing key, session token); past this many, start over.
_SIGNED_KEPT = 4096
_signed_tokens: dict[tuple[Any, str], str] = {}


def csrf_token() -> str:
    """The page's signed CSRF token (the templates' ``csrf_token()``), as Flask-WTF's
    ``generate_csrf`` gives it, but signed once per session token in this process.

    Every page carries the token (the header's language and logout forms), and signing it
    anew cost a few percent of the home page. The portal's tokens have no time limit
    (``WTF_CSRF_TIME_LIMIT`` is None: a token lives as long as the login session), and
    Flask-WTF checks only the signature and the session token inside it, so a token this
    process signed earlier for the same session token is exactly as valid. With a time
    limit configured, every page signs anew as Flask-WTF does.
    """
    current = g.get("csrf_token")
    if current:
        return current
    config = current_app.config
    if (
        config.get("WTF_CSRF_TIME_LIMIT") is not None
        or config.get("WTF_CSRF_FIELD_NAME", "csrf_token") != "csrf_token"
    ):
        return generate_csrf()
    signing_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get("csrf_token")
    signed = _signed_tokens.get((signing_key, raw)) if isinstance(raw, str) else None
    if signed is not None:
        g.csrf_token = signed  # where generate_csrf and the forms look first
        return signed
    signed = generate_csrf()
    raw = session.get("csrf_token")
    if isinstance(raw, str):
        if len(_signed_tokens) >= _SIGNED_KEPT:
            _signed_tokens.clear()
        _signed_tokens[(signing_key, raw)] = signed
    return signed
