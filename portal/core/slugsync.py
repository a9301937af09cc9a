"""Synchronising rows identified by slug with the sources they were read from.

Courses, document types and exercises are all written this way. ``plan_changes`` compares
the checked sources with a model's rows by slug and content hash: a slug not stored yet is
created; a stored, active row whose ``source_hash`` matches is unchanged; anything else
(changed, or back after being deactivated) is updated; an active row whose slug no longer
has a source is deactivated. ``apply_changes`` carries a plan out. Rows are never deleted:
other records point at them. Everything here only flushes (or not even that); the caller
commits once, and records the audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.sql.base import ExecutableOption

from portal.db import db


class Source(Protocol):
    """What a sync needs of a checked source: its slug and a hash of what it writes."""

    @property
    def slug(self) -> str: ...

    @property
    def source_hash(self) -> str: ...


S = TypeVar("S", bound=Source)


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class Changes:
    """Slugs by what a sync does to them (courses, document types, exercises)."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def slugs(self, change: Change) -> tuple[str, ...]:
        return getattr(self, change.value)

    def counts(self) -> dict[str, int]:
        return {change.value: len(self.slugs(change)) for change in Change}

    def details(self) -> dict[str, Any]:
        """The counts and the slugs that changed, as an audit entry records them."""
        return {
            **self.counts(),
            "created_slugs": list(self.created),
            "updated_slugs": list(self.updated),
            "deactivated_slugs": list(self.deactivated),
        }


def plan_changes(model: type[Any], sources: Iterable[Source]) -> Changes:
    """Compare the sources with ``model``'s rows by slug and content hash (reads only).

    ``model`` is a mapped class with a unique ``slug``, the ``source_hash`` its row was last
    written from, and ``is_active``.
    """
    stored = {
        slug: (source_hash, is_active)
        for slug, source_hash, is_active in db.session.execute(
            select(model.slug, model.source_hash, model.is_active)
        )
    }
    sources = sorted(sources, key=lambda source: source.slug)
    created, updated, unchanged = [], [], []
    for source in sources:
        if source.slug not in stored:
            created.append(source.slug)
        elif stored[source.slug] == (source.source_hash, True):
            unchanged.append(source.slug)
        else:
            updated.append(source.slug)  # changed, or back in courses/ after deactivation
    present = {source.slug for source in sources}
    deactivated = sorted(
        slug for slug, (_hash, is_active) in stored.items() if is_active and slug not in present
    )
    return Changes(tuple(created), tuple(updated), tuple(unchanged), tuple(deactivated))


def apply_changes(
    model: type[Any],
    sources: Sequence[S],
    changes: Changes,
    assign: Callable[[Any, S, dt.datetime], None],
    *,
    now: dt.datetime,
    options: Sequence[ExecutableOption] = (),
) -> dict[str, Any]:
    """Create and ``assign`` the created and updated slugs, deactivate the removed ones.

    ``assign(row, source, now)`` writes a source's values onto its row, including
    ``is_active = True`` and ``source_hash``. Returns every row of ``model`` by slug (the
    new ones included, loaded with ``options``) so the caller can link rows to each other.
    Does not flush.
    """
    rows = {row.slug: row for row in db.session.scalars(select(model).options(*options))}
    by_slug = {source.slug: source for source in sources}
    for slug in changes.created:
        row = model(slug=slug)
        db.session.add(row)
        rows[slug] = row
    for slug in (*changes.created, *changes.updated):
        assign(rows[slug], by_slug[slug], now)
    for slug in changes.deactivated:
        # Kept, never deleted: other records still point at it.
        rows[slug].is_active = False
    return rows
