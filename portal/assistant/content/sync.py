"""Synchronising the practice content read from courses/ into the database.

``plan_content_sync`` compares the checked document types and exercises with the database by
slug and content hash; ``apply_content_sync`` upserts them and deactivates the ones that left
courses/. Rows are never deleted: drafts and submissions point at them. The course sync must
have been applied (and flushed) first in the same transaction, so exercises can find their
course. Operations flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from portal.assistant.models import DocType, Exercise
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.catalog.sync import Changes
from portal.core.clock import utcnow
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
        doc_type_changes=_changes(DocType, loaded.doc_types),
        exercise_changes=_changes(Exercise, loaded.exercises),
    )


def _changes(model: type[DocType] | type[Exercise], sources: list[Any]) -> Changes:
    stored = {
        slug: (source_hash, is_active)
        for slug, source_hash, is_active in db.session.execute(
            select(model.slug, model.source_hash, model.is_active)
        )
    }
    created, updated, unchanged = [], [], []
    for source in sorted(sources, key=lambda s: s.slug):
        if source.slug not in stored:
            created.append(source.slug)
        elif stored[source.slug] == (source.source_hash, True):
            unchanged.append(source.slug)
        else:
            updated.append(source.slug)  # changed, or back in courses/ after deactivation
    present = {source.slug for source in sources}
    deactivated = sorted(
        slug for slug, (_hash, active) in stored.items() if active and slug not in present
    )
    return Changes(tuple(created), tuple(updated), tuple(unchanged), tuple(deactivated))


def apply_content_sync(plan: ContentSyncPlan, *, actor_id: int | None = None) -> None:
    """Upsert document types then exercises by slug, deactivate removed ones (flush only)."""
    if not plan.has_changes:
        return
    now = utcnow()
    doc_types = {row.slug: row for row in db.session.scalars(select(DocType))}
    _upsert(doc_types, DocType, plan.doc_types, plan.doc_type_changes, now, _assign_doc_type)
    db.session.flush()

    needed = {source.course_slug for source in plan.exercises}
    course_ids = dict(
        db.session.execute(select(Course.slug, Course.id).where(Course.slug.in_(needed))).all()
    )
    missing = needed - set(course_ids)
    if missing:
        raise ValueError(f"courses not synced yet: {', '.join(sorted(missing))}")
    type_ids = {slug: row.id for slug, row in doc_types.items()}
    exercises = {row.slug: row for row in db.session.scalars(select(Exercise))}

    def assign_exercise(row: Exercise, source: ExerciseSource, when) -> None:
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

    _upsert(exercises, Exercise, plan.exercises, plan.exercise_changes, now, assign_exercise)
    db.session.flush()
    record(
        "assistant.content_synced",
        target_type="assistant_content",
        actor_id=actor_id,
        details={
            "doc_types": _details(plan.doc_type_changes),
            "exercises": _details(plan.exercise_changes),
        },
    )


def _upsert(existing: dict, model: type, sources, changes: Changes, now, assign) -> None:
    by_slug = {source.slug: source for source in sources}
    for slug in changes.created:
        row = model(slug=slug)
        db.session.add(row)
        existing[slug] = row
    for slug in (*changes.created, *changes.updated):
        assign(existing[slug], by_slug[slug], now)
    for slug in changes.deactivated:
        # Kept, never deleted: drafts and submissions still point at it.
        existing[slug].is_active = False


def _assign_doc_type(row: DocType, source: DocTypeSource, now) -> None:
    row.version = source.version
    row.name = source.name
    row.name_en = source.name_en
    row.data = source.data
    row.sort_order = source.sort_order
    row.is_active = True
    row.source_hash = source.source_hash
    row.synced_at = now


def _details(changes: Changes) -> dict[str, Any]:
    return {
        **changes.counts(),
        "created_slugs": list(changes.created),
        "updated_slugs": list(changes.updated),
        "deactivated_slugs": list(changes.deactivated),
    }
