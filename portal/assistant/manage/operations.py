"""Admins' sandbox settings: which configured models are enabled or internal, and the limits."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.assistant.backends import registry
from portal.assistant.errors import SandboxError
from portal.assistant.models import AssistantLimits, ModelSetting
from portal.assistant.workspace import quotas
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.core.templating import thousands
from portal.db import db


def set_model(key: str, *, enabled: bool, internal: bool) -> None:
    choice = registry.choice(key)
    if choice is None:
        raise SandboxError(_("설정 파일에 없는 모델입니다."), status=404)
    if choice.is_offline:
        raise SandboxError(_("연습 코치는 항상 켜져 있고 바꿀 수 없습니다."))
    setting = db.session.get(ModelSetting, key)
    before = (setting.is_enabled, setting.is_internal) if setting else (False, False)
    if setting is None:
        setting = ModelSetting(key=key, updated_at=utcnow())
        db.session.add(setting)
    setting.is_enabled = enabled
    setting.is_internal = internal
    setting.updated_at = utcnow()
    db.session.flush()
    if before != (enabled, internal):
        record(
            "assistant.model_changed",
            target_type="assistant_model",
            target_id=key,
            details={"enabled": enabled, "internal": internal},
        )


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
