"""Document types and exercises as the plain dicts that the coach, prompts and scoring read."""

from __future__ import annotations

from typing import Any

from portal.assistant.models import (
    DocType,
    Exercise,
)


def doc_type_dict(doc_type: DocType) -> dict[str, Any]:
    return {
        **doc_type.data,
        "slug": doc_type.slug,
        "name": doc_type.name,
        "name_en": doc_type.name_en,
        "version": doc_type.version,
    }


def exercise_dict(exercise: Exercise | None) -> dict[str, Any] | None:
    if exercise is None:
        return None
    return {**exercise.data, "slug": exercise.slug, "title": exercise.title}
