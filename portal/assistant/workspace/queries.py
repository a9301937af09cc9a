"""What the sandbox's own pages list: document types, exercises and a person's drafts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.assistant.models import (
    DocType,
    Draft,
    Exercise,
)
from portal.catalog.models import Course
from portal.core.pagination import Page, paginate
from portal.db import db


def active_doc_types() -> list[DocType]:
    return list(
        db.session.scalars(
            select(DocType).where(DocType.is_active).order_by(DocType.sort_order, DocType.id)
        )
    )


@dataclass(frozen=True)
class ExerciseRow:
    exercise: Exercise
    course_title: str
    doc_type_name: str


def active_exercises() -> list[ExerciseRow]:
    rows = db.session.execute(
        select(Exercise, Course.title, DocType.name)
        .join(Course, Course.id == Exercise.course_id)
        .join(DocType, DocType.id == Exercise.doc_type_id)
        .where(Exercise.is_active, Course.is_active, DocType.is_active)
        .order_by(Course.sort_order, Course.id, Exercise.sort_order, Exercise.id)
    ).all()
    return [ExerciseRow(e, course, dt_name) for e, course, dt_name in rows]


def my_drafts(user_id: int, page: int) -> Page:
    stmt = (
        select(Draft, DocType.name, Exercise.title)
        .join(DocType, DocType.id == Draft.doc_type_id)
        .outerjoin(Exercise, Exercise.id == Draft.exercise_id)
        .where(Draft.user_id == user_id)
        .order_by(Draft.updated_at.desc(), Draft.id.desc())
    )
    return paginate(stmt, page, per_page=10, scalars=False)
