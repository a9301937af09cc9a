"""Which models the sandbox may use: the configured endpoints crossed with the admins' choices.

Endpoints, keys and whether an endpoint is internal (runs inside the city's network and may
receive 민감 data) come only from configuration (``ASSISTANT_MODELS``): whoever configures an
endpoint knows where it runs. The database holds the admins' decision per model key (enabled
or not) and the internal flag last seen, so that a change of configuration is audited. The
offline coach is always enabled and counts as internal, since nothing leaves the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from portal.assistant.backends.interface import Backend
from portal.assistant.backends.offline import OfflineBackend
from portal.assistant.backends.openai_compat import OpenAIBackend
from portal.assistant.backends.specs import OFFLINE, ModelSpec, parse_model_specs
from portal.assistant.models import DataGrade, ModelSetting
from portal.config import ConfigError
from portal.db import db

_EXTENSION = "assistant_models"


def init_app(app: Flask) -> None:
    try:
        app.extensions[_EXTENSION] = parse_model_specs(app.config["ASSISTANT_MODELS"])
    except ValueError as exc:
        raise ConfigError(f"ASSISTANT_MODELS: {exc}") from None


def configured() -> dict[str, ModelSpec]:
    return current_app.extensions[_EXTENSION]


@dataclass(frozen=True)
class ModelChoice:
    spec: ModelSpec
    is_enabled: bool
    is_internal: bool

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def is_offline(self) -> bool:
        return self.spec.backend == OFFLINE.backend

    def allows(self, grade: DataGrade) -> bool:
        if grade is DataGrade.SECRET:
            return False
        if grade is DataGrade.SENSITIVE:
            return self.is_internal
        return True


def choices() -> list[ModelChoice]:
    """Every configured model with the admins' decision (unsaved ones are disabled)."""
    settings = {s.key: s for s in db.session.scalars(select(ModelSetting))}
    result = []
    for key, spec in configured().items():
        if spec.backend == OFFLINE.backend:
            result.append(ModelChoice(spec, is_enabled=True, is_internal=True))
            continue
        setting = settings.get(key)
        result.append(
            ModelChoice(
                spec,
                is_enabled=bool(setting and setting.is_enabled),
                is_internal=spec.internal,
            )
        )
    return result


def enabled_choices(grade: DataGrade | None = None) -> list[ModelChoice]:
    return [c for c in choices() if c.is_enabled and (grade is None or c.allows(grade))]


def choice(key: str) -> ModelChoice | None:
    return next((c for c in choices() if c.key == key), None)


def make_backend(
    spec: ModelSpec,
    *,
    offline_responder: Callable[[list[dict[str, str]]], str] | None = None,
) -> Backend:
    """The backend for ``spec``; the offline coach needs its ``offline_responder``."""
    if spec.backend == "offline":
        if offline_responder is None:
            raise ValueError("the offline backend needs an offline_responder")
        return OfflineBackend(spec, offline_responder)
    return OpenAIBackend(spec)
