"""Admins' sandbox settings: which configured models are enabled, their prices, and the limits.

Whether a model is internal is configuration (``ASSISTANT_MODELS``), not an admin's choice;
:func:`record_internal_changes` audits a change of it once, whichever process sees it first.
Prices (won per million tokens) are the admins' own figures for the dashboards' estimated
cost; a model without a price has an unknown cost, never a cost of zero.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from portal.assistant.backends import registry
from portal.assistant.errors import SandboxError
from portal.assistant.models import AssistantLimits, ModelSetting
from portal.assistant.workspace import quotas
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.core.templating import thousands
from portal.db import db


def set_model(key: str, *, enabled: bool) -> None:
    """Enable or disable a configured model; its internal flag comes with it from the config."""
    choice = registry.choice(key)
    if choice is None:
        raise SandboxError(_("설정 파일에 없는 모델입니다."), status=404)
    if choice.is_offline:
        raise SandboxError(_("연습 코치는 항상 켜져 있고 바꿀 수 없습니다."))
    record_internal_changes()
    setting = db.session.get(ModelSetting, key)
    before = setting.is_enabled if setting else False
    if setting is None:
        setting = ModelSetting(key=key, is_internal=choice.is_internal, updated_at=utcnow())
        db.session.add(setting)
    setting.is_enabled = enabled
    setting.updated_at = utcnow()
    db.session.flush()
    if before != enabled:
        record(
            "assistant.model_changed",
            target_type="assistant_model",
            target_id=key,
            details={"enabled": enabled, "internal": choice.is_internal},
        )


# Numeric(12, 2) holds up to 9,999,999,999.99; the admins' ceiling is far below it.
MAX_PRICE = Decimal(10_000_000)
_PRICE_RE = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")
_PRICE_MAX_CHARS = 30


def parse_price(text: str | None) -> Decimal | None:
    """An admin's typed price: blank is "no price" (None); anything else a checked Decimal.

    Accepts plain digits with an optional decimal point, and thousands separators ("1,500");
    full-width digits from an IME count as digits. Raises ``SandboxError`` with a message for the admin when the text is not a valid price.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    if len(text) > _PRICE_MAX_CHARS or not _PRICE_RE.fullmatch(text.removeprefix("-")):
        raise SandboxError(_("가격은 숫자로 입력해 주세요. 예: 1500 또는 0.25"))
    # The pattern admits only plain decimal numbers, so Decimal cannot refuse the text.
    value = Decimal(text.replace(",", ""))
    check_price(value)
    return value


def check_price(value: Decimal | None) -> None:
    """Refuse a price below 0, above ``MAX_PRICE`` or with more than two decimals."""
    if value is None:
        return
    if not value.is_finite():
        raise SandboxError(_("가격은 숫자로 입력해 주세요. 예: 1500 또는 0.25"))
    if value < 0:
        raise SandboxError(_("가격은 0원 이상이어야 합니다. 값을 모르면 비워 두세요."))
    if value > MAX_PRICE:
        raise SandboxError(_("가격은 %(max)s원 이하여야 합니다.", max=thousands(int(MAX_PRICE))))
    if value != value.quantize(Decimal("0.01")):
        raise SandboxError(_("가격은 소수점 아래 둘째 자리까지만 입력할 수 있습니다."))


def price_text(value: Decimal | None) -> str | None:
    """A stored price as plain text for forms and the audit log: "1500", "0.25", or None."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.quantize(Decimal('0.01')):f}".rstrip("0")


def price_display(value: Decimal | None) -> str | None:
    """A stored price for reading, with thousands separators: "1,500", "0.25", or None."""
    text = price_text(value)
    return None if text is None else f"{Decimal(text):,}"


def set_prices(key: str, *, input_price: Decimal | None, output_price: Decimal | None) -> bool:
    """Set (or clear, with None) a configured model's prices; returns whether they changed.

    The offline coach costs nothing and has no price. A change is audited with the prices
    before and after.
    """
    choice = registry.choice(key)
    if choice is None:
        raise SandboxError(_("설정 파일에 없는 모델입니다."), status=404)
    if choice.is_offline:
        raise SandboxError(_("연습 코치는 비용이 들지 않아 가격을 정하지 않습니다."))
    check_price(input_price)
    check_price(output_price)
    setting = db.session.get(ModelSetting, key)
    if setting is None:
        setting = ModelSetting(
            key=key, is_enabled=False, is_internal=choice.is_internal, updated_at=utcnow()
        )
        db.session.add(setting)
    before = {
        "input_price_per_million": price_text(setting.input_price_per_million),
        "output_price_per_million": price_text(setting.output_price_per_million),
    }
    after = {
        "input_price_per_million": price_text(input_price),
        "output_price_per_million": price_text(output_price),
    }
    if before == after:
        return False
    setting.input_price_per_million = input_price
    setting.output_price_per_million = output_price
    setting.updated_at = utcnow()
    db.session.flush()
    record(
        "assistant.model_price_changed",
        target_type="assistant_model",
        target_id=key,
        details={"before": before, "after": after},
    )
    return True


def record_internal_changes() -> list[str]:
    """Audit every model whose configured internal flag differs from the one last seen.

    The conditional UPDATE makes this idempotent across workers: only the transaction that
    actually flips the stored flag records the change. Returns the keys it recorded.
    """
    changed = []
    for choice in registry.choices():
        if choice.is_offline:
            continue
        flipped = db.session.execute(
            update(ModelSetting)
            .where(
                ModelSetting.key == choice.key,
                ModelSetting.is_internal.is_not(choice.is_internal),
            )
            .values(is_internal=choice.is_internal, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if flipped:
            record(
                "assistant.model_internal_changed",
                target_type="assistant_model",
                target_id=choice.key,
                details={"internal": choice.is_internal, "source": "ASSISTANT_MODELS"},
            )
            changed.append(choice.key)
    return changed


LIMIT_LABELS = {
    "daily_messages": _l("1인 하루 메시지 수"),
    "daily_tokens": _l("1인 하루 토큰 수"),
    "department_monthly_tokens": _l("부서 월간 토큰 예산"),
    "max_input_chars": _l("입력 최대 글자 수"),
}


def set_limits(values: dict[str, int]) -> AssistantLimits:
    for name, (low, high) in quotas.LIMIT_RANGES.items():
        value = values.get(name)
        if not isinstance(value, int) or not low <= value <= high:
            raise SandboxError(
                _(
                    "%(field)s 값은 %(low)s에서 %(high)s 사이여야 합니다.",
                    field=LIMIT_LABELS[name],
                    low=thousands(low),
                    high=thousands(high),
                )
            )
    limits = db.session.get(AssistantLimits, 1)
    if limits is None:
        limits = AssistantLimits(id=1, updated_at=utcnow(), **quotas.DEFAULT_LIMITS)
        db.session.add(limits)
    changed = {
        name: values[name] for name in quotas.LIMIT_RANGES if getattr(limits, name) != values[name]
    }
    for name, value in values.items():
        setattr(limits, name, value)
    limits.updated_at = utcnow()
    db.session.flush()
    if changed:
        record(
            "assistant.limits_changed", target_type="assistant_limits", target_id=1, details=changed
        )
    return limits
