"""Model endpoints as configured in ASSISTANT_MODELS, checked at start."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import lazy_gettext as _l

BACKENDS = ("openai", "azure", "offline")


@dataclass(frozen=True)
class ModelSpec:
    """One configured model endpoint (from ``ASSISTANT_MODELS``), or the offline coach."""

    key: str  # stable id used in the DB, e.g. "offline", "sejong-llm"
    backend: str  # "openai" | "azure" | "offline"
    label: str  # shown to users
    model: str = ""  # model name; the deployment name for Azure
    base_url: str | None = None
    api_key: str | None = None  # openai backend: "not-needed" is sent when None
    azure_endpoint: str | None = None
    api_version: str | None = None
    # Runs inside the city's network, so it may receive 민감 data. The one source of truth:
    # the admin screen shows it, and a change is audited (manage.operations).
    internal: bool = False

    def __repr__(self) -> str:  # never print the API key
        return f"ModelSpec(key={self.key!r}, backend={self.backend!r}, model={self.model!r})"


OFFLINE = ModelSpec(
    key="offline",
    backend="offline",
    label=_l("연습 코치(오프라인, AI 모델 아님)"),  # type: ignore[arg-type]
    internal=True,
)


_FIELDS = tuple(f.name for f in fields(ModelSpec))


_STR_FIELDS = frozenset(_FIELDS) - {"internal"}


_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


_REQUIRED = {
    "openai": ("model",),
    "azure": ("model", "azure_endpoint", "api_version", "api_key"),
}


def parse_model_specs(raw: list[dict[str, Any]]) -> dict[str, ModelSpec]:
    """Validate ``ASSISTANT_MODELS`` and return the specs by key, the offline coach first.

    Raises ``ValueError`` naming the entry and the problem (unknown field or backend, missing
    or mistyped field, bad key, duplicate key).
    """
    if not isinstance(raw, list):
        raise ValueError("ASSISTANT_MODELS must be a list of objects")
    specs: dict[str, ModelSpec] = {OFFLINE.key: OFFLINE}
    for index, entry in enumerate(raw):
        where = f"ASSISTANT_MODELS[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: each model must be an object, not {type(entry).__name__}")
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise ValueError(
                f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(_FIELDS)}"
            )
        for name in ("key", "backend", "label"):
            if not entry.get(name):
                raise ValueError(f"{where}: missing required field {name!r}")
        for name, value in entry.items():
            if name in _STR_FIELDS and value is not None and not isinstance(value, str):
                raise ValueError(f"{where}: field {name!r} must be a string")
        if "internal" in entry and not isinstance(entry["internal"], bool):
            raise ValueError(f"{where}: field 'internal' must be true or false")
        key, backend = entry["key"], entry["backend"]
        where = f"{where} ({key!r})"
        if backend not in _REQUIRED:
            hint = " (the offline coach is built in)" if backend == "offline" else ""
            raise ValueError(f"{where}: unknown backend {backend!r}; use 'openai' or 'azure'{hint}")
        if not _KEY_RE.match(key):
            raise ValueError(
                f"{where}: key must be 1-64 characters of a-z, 0-9, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if key in specs:
            reason = "is reserved for the offline coach" if key == OFFLINE.key else "is repeated"
            raise ValueError(f"{where}: key {key!r} {reason}")
        for name in _REQUIRED[backend]:
            if not entry.get(name):
                raise ValueError(f"{where}: backend {backend!r} needs field {name!r}")
        for name in ("base_url", "azure_endpoint"):
            url = entry.get(name)
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"{where}: {name} must start with http:// or https://")
        if backend == "azure" and entry.get("base_url"):
            raise ValueError(f"{where}: azure uses azure_endpoint, not base_url")
        specs[key] = ModelSpec(**entry)
    return specs
