"""Synchronising the practice content read from courses/ into the database.

``plan_content_sync`` compares the checked document types and exercises with the database by
slug and content hash; ``apply_content_sync`` upserts them and deactivates the ones that left
courses/ (both with :mod:`portal.core.slugsync`). Rows are never deleted: drafts and
submissions point at them. The course sync must have been applied (and flushed) first in the
same transaction, so exercises can find their course. Operations flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.assistant.models import DocType, Exercise
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.core.clock import utcnow
from portal.core.slugsync import Changes, apply_changes, plan_changes
from portal.db import db

if TYPE_CHECKING:
    from portal.assistant.content.load import ContentLoadResult, DocTypeSource, ExerciseSource


@dataclass(frozen=True)
class ContentSyncPlan:
    doc_types: tuple[DocTypeSource, ...]
    exercises: tuple[ExerciseSource, ...]
    doc_type_changes: Changes
    exercise_changes: Changes

    @property
    def has_changes(self) -> bool:
        return self.doc_type_changes.has_changes or self.exercise_changes.has_changes


def plan_content_sync(loaded: ContentLoadResult) -> ContentSyncPlan:
    """Compare the checked document types and exercises with the database."""
    if not loaded.ok:
        raise ValueError("courses/ content has errors; fix them before planning a sync")
    return ContentSyncPlan(
        doc_types=tuple(loaded.doc_types),
        exercises=tuple(loaded.exercises),
        doc_type_changes=plan_changes(DocType, loaded.doc_types),
        exercise_changes=plan_changes(Exercise, loaded.exercises),
    )


def apply_content_sync(plan: ContentSyncPlan, *, actor_id: int | None = None) -> None:
    """Upsert document types then exercises by slug, deactivate removed ones (flush only)."""
    if not plan.has_changes:
        return
    now = utcnow()
    doc_types = apply_changes(
        DocType, plan.doc_types, plan.doc_type_changes, _assign_doc_type, now=now
    )
    db.session.flush()

    needed = {source.course_slug for source in plan.exercises}
    course_ids = dict(
        db.session.execute(select(Course.slug, Course.id).where(Course.slug.in_(needed))).all()
    )
    missing = needed - set(course_ids)
    if missing:
        raise ValueError(f"courses not synced yet: {', '.join(sorted(missing))}")
    type_ids = {slug: row.id for slug, row in doc_types.items()}

    def assign_exercise(row: Exercise, source: ExerciseSource, when: dt.datetime) -> None:
        row.course_id = course_ids[source.course_slug]
        row.doc_type_id = type_ids[source.doc_type_slug]
        row.version = source.version
        row.title = source.title
        row.title_en = source.title_en
        row.data = source.data
        row.sort_order = source.sort_order
        row.is_active = True
        row.source_hash = source.source_hash
        row.synced_at = when

    apply_changes(Exercise, plan.exercises, plan.exercise_changes, assign_exercise, now=now)
    db.session.flush()
    record(
        "assistant.content_synced",
        target_type="assistant_content",
        actor_id=actor_id,
        details={
            "doc_types": plan.doc_type_changes.details(),
            "exercises": plan.exercise_changes.details(),
        },
    )


def _assign_doc_type(row: DocType, source: DocTypeSource, now: dt.datetime) -> None:
    row.version = source.version
    row.name = source.name
    row.name_en = source.name_en
    row.data = source.data
    row.sort_order = source.sort_order
    row.is_active = True
    row.source_hash = source.source_hash
    row.synced_at = now
