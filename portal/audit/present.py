"""Audit entries made readable: labels, the names of people and things, and key–value details.

Names are looked up in batches, one query per kind of target for a whole page (or export
batch), so a page costs the same few statements however many entries it shows. A target
that no longer exists shows as "(삭제됨) #id". Old rows with unknown codes or keys show them
raw rather than failing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.attendance.models import HoursEntry
from portal.audit import labels
from portal.catalog.models import Course
from portal.certificates.models import Certificate
from portal.db import db
from portal.enrollment.models import Enrollment
from portal.ideas.models import Idea
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
from portal.users.models import User

# Keys whose values are ids of people, sessions or courses, shown by name.
_USER_KEYS = {"user_id", "user_ids"}
_SESSION_KEYS = {"session_id"}
_COURSE_KEYS = {"course_id"}
_SESSION_TYPES = {"session", "training_session"}
_LIST_LIMIT = 20


class EntryLike(Protocol):
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class Readable:
    actor: str
    action: str
    target: str
    details: list[tuple[str, str]]
    # The people the entry is about (target and user ids in details), for the access report.
    subjects: list[str]

    @property
    def details_text(self) -> str:
        return "; ".join(f"{key}: {value}" for key, value in self.details)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _ids(value: object) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [i for i in (_int(v) for v in values) if i is not None]


class _Names:
    """Every name a batch of entries needs, fetched with one query per kind."""

    def __init__(self, entries: Sequence[EntryLike]):
        wanted: dict[str, set[int]] = defaultdict(set)
        for e in entries:
            if e.actor_id is not None:
                wanted["user"].add(e.actor_id)
            kind = "session" if e.target_type in _SESSION_TYPES else e.target_type
            target = _int(e.target_id)
            if kind and target is not None:
                wanted[kind].add(target)
            for key, value in (e.details or {}).items():
                if key in _USER_KEYS:
                    wanted["user"].update(_ids(value))
                elif key in _SESSION_KEYS:
                    wanted["session"].update(_ids(value))
                elif key in _COURSE_KEYS:
                    wanted["course"].update(_ids(value))
        self.enrollments = self._fetch(Enrollment, wanted["enrollment"])
        self.certificates = self._fetch(Certificate, wanted["certificate"])
        self.hours = self._fetch(HoursEntry, wanted["hours_entry"])
        for row in (*self.enrollments.values(), *self.certificates.values()):
            wanted["user"].add(row.user_id)
            wanted["session"].add(row.session_id)
        for row in self.hours.values():
            wanted["user"].add(row.user_id)
        self.users = self._fetch(User, wanted["user"])
        self.sessions = self._fetch(
            TrainingSession, wanted["session"], joinedload(TrainingSession.course)
        )
        self.courses = self._fetch(Course, wanted["course"])
        self.ideas = self._fetch(Idea, wanted["idea"])
        self.departments = self._fetch(Department, wanted["department"])

    @staticmethod
    def _fetch(model, ids: set[int], *options) -> dict[int, Any]:
        if not ids:
            return {}
        stmt = select(model).where(model.id.in_(sorted(ids)))
        if options:
            stmt = stmt.options(*options)
        return {row.id: row for row in db.session.scalars(stmt)}

    @staticmethod
    def deleted(ident: object) -> str:
        return _("(삭제됨) #%(id)s", id=ident)

    def user(self, ident: int) -> str:
        user = self.users.get(ident)
        return f"{user.name} ({user.employee_number})" if user else self.deleted(ident)

    def session(self, ident: int) -> str:
        found = self.sessions.get(ident)
        if found is None:
            return self.deleted(ident)
        return _("%(title)s %(n)d차", title=found.course.title, n=found.round_number)

    def course(self, ident: int) -> str:
        course = self.courses.get(ident)
        return course.title if course else self.deleted(ident)

    def target(self, kind: str | None, raw: str | None) -> tuple[str, list[str]]:
        """The target's readable name, and the people it is about."""
        if not kind and not raw:
            return "", []
        label = labels.target_label(kind)
        ident = _int(raw)
        if ident is None:
            return f"{label} #{raw}".strip(), []
        if kind == "user":
            name = self.user(ident)
            return name, [name] if ident in self.users else []
        if kind in _SESSION_TYPES:
            return self.session(ident), []
        if kind == "course":
            return self.course(ident), []
        if kind == "department":
            dept = self.departments.get(ident)
            return (dept.name if dept else self.deleted(ident)), []
        if kind == "idea":
            idea = self.ideas.get(ident)
            return (f"{label}: {idea.title}" if idea else self.deleted(ident)), []
        if kind == "enrollment":
            row = self.enrollments.get(ident)
            if row is None:
                return f"{label} {self.deleted(ident)}", []
            person = self.user(row.user_id)
            return f"{person} · {self.session(row.session_id)}", [person]
        if kind == "certificate":
            cert = self.certificates.get(ident)
            if cert is None:
                return f"{label} {self.deleted(ident)}", []
            person = self.user(cert.user_id)
            return f"{label} {cert.number} · {person}", [person]
        if kind == "hours_entry":
            entry = self.hours.get(ident)
            if entry is None:
                return f"{label} {self.deleted(ident)}", []
            person = self.user(entry.user_id)
            return f"{label}: {entry.title} · {person}", [person]
        return f"{label} #{ident}", []

    def value(self, key: str, value: object) -> str:
        if key in _USER_KEYS:
            ids = _ids(value)
            if ids:
                return self._list([self.user(i) for i in ids])
        if key in _SESSION_KEYS and _ids(value):
            return self._list([self.session(i) for i in _ids(value)])
        if key in _COURSE_KEYS and _ids(value):
            return self._list([self.course(i) for i in _ids(value)])
        return plain(value)

    @staticmethod
    def _list(items: list[str]) -> str:
        if len(items) > _LIST_LIMIT:
            rest = len(items) - _LIST_LIMIT
            return ", ".join(items[:_LIST_LIMIT]) + " " + _("외 %(n)d건", n=rest)
        return ", ".join(items)


def plain(value: object) -> str:
    """A detail value as plain text: lists joined, nested objects as key: value."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("예") if value else _("아니오")
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(
            f"{labels.detail_label(str(k))}: {plain(v)}" for k, v in sorted(value.items())
        )
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def readable(entries: Iterable[EntryLike]) -> list[Readable]:
    """Readable forms of a batch of entries (a page or an export batch), in order."""
    entries = list(entries)
    names = _Names(entries)
    out = []
    for e in entries:
        actor = _("시스템·미확인") if e.actor_id is None else names.user(e.actor_id)
        target, subjects = names.target(e.target_type, e.target_id)
        details = []
        for key, value in sorted((e.details or {}).items()):
            text = names.value(key, value)
            details.append((labels.detail_label(key), text))
            if key in _USER_KEYS:
                subjects.extend(names.user(i) for i in _ids(value) if i in names.users)
        personal = e.action in labels.PERSONAL_DATA_ACTIONS
        if personal and not subjects and e.target_type in _SESSION_TYPES and target:
            # A session's roster or certificates: the people are its trainees.
            subjects.append(_("%(session)s 수강생", session=target))
        out.append(
            Readable(
                actor=actor,
                action=labels.action_label(e.action),
                target=target,
                details=details,
                subjects=list(dict.fromkeys(subjects)),
            )
        )
    return out
