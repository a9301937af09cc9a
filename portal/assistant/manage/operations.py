"""Admins' sandbox settings: which configured models are enabled, and the limits.

Whether a model is internal is configuration (``ASSISTANT_MODELS``), not an admin's choice;
:func:`record_internal_changes` audits a change of it once, whichever process sees it first.
"""

from __future__ import annotations

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
